/** Each page client's first connection attempt, opened (with its connect time) or failed, as the ConnectReport Node workers give. */
import { createHistogram, encodeHistogram, recordMicros } from '../../../metrics/histogram.ts';
import type { PageConnectReport } from '../page-protocol.ts';

const MAX_FAILURES = 5;

export class ConnectOutcomes {
  private opened = 0;
  private failed = 0;
  private readonly failures: string[] = [];
  private readonly times = createHistogram();
  private readonly settled = new Set<string>();
  /** Called once every client's first attempt has an outcome. */
  onAllSettled: ((report: PageConnectReport) => void) | undefined;

  constructor(private readonly clients: number) {}

  /** A client's first attempt: `failure` null when it opened after `connectUs`. Later outcomes of the same client are ignored. */
  record(client: string, failure: string | null, connectUs: number): void {
    if (this.settled.has(client)) return;
    this.settled.add(client);
    if (failure === null) {
      this.opened++;
      recordMicros(this.times, connectUs);
    } else {
      this.failed++;
      if (this.failures.length < MAX_FAILURES && !this.failures.includes(failure)) this.failures.push(failure);
    }
    if (this.opened + this.failed === this.clients) this.onAllSettled?.(this.report());
  }

  report(): PageConnectReport {
    // Pages cannot see socket bytes, so handshake bytes are not measured.
    return { opened: this.opened, failed: this.failed, failures: this.failures.slice(), connect: encodeHistogram(this.times), handshakeBytes: 0 };
  }
}
