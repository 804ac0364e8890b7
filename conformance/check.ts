/** One behaviour docs/PROTOCOL.md requires, checked over the wire against any server. */
import type { CheckContext } from './context.ts';
import type { Capability } from './target.ts';

export interface Check {
  /** Stable, for --checks. */
  id: string;
  /** The PROTOCOL.md section that requires the behaviour, e.g. '§3'. */
  section: string;
  title: string;
  /** False for a behaviour a server MAY leave out: reported when it fails, without failing the run. */
  required: boolean;
  /** What the target must have for the check to apply; without it the check is skipped, with the reason. */
  needs?: readonly Capability[];
  /** Throws (an assertion, a timed-out wait) when the server does not behave. */
  run(ctx: CheckContext): Promise<void>;
}
