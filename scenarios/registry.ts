/** Every scenario the lab runs, by name: the bench, its configuration checks and the plan ask these modules. */
import { CHAT } from './chat.ts';
import { SCENARIO_NAMES, type ScenarioName } from './constants.ts';
import { FEED } from './feed.ts';
import type { Scenario } from './scenario.ts';

const BY_NAME: Readonly<Record<ScenarioName, Scenario>> = { feed: FEED, chat: CHAT };

/** In SCENARIO_NAMES order. */
export const SCENARIOS: readonly Scenario[] = SCENARIO_NAMES.map((name) => BY_NAME[name]);

export function scenarioOf(name: ScenarioName): Scenario {
  return BY_NAME[name];
}
