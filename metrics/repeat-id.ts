/**
 * How a run's id (and a capacity search's) carries its repeat under --repeat N: the repeat goes
 * right after the session's part, `ws/feed/json/node/repeat-2`, so its capacity search is
 * `ws/feed/json/node/repeat-2/capacity` and that search's steps follow. With one repeat the id has
 * no repeat part, as before repeats existed, so single-run files still match older baselines by id.
 * The series is the id without its repeat part: what the repeats of one measurement share.
 */

const REPEAT_PART = /\/repeat-\d+(?=\/|$)/;

/** The session's id part for one repeat (1-based) of `repeats`. */
export function repeatBase(base: string, repeat: number, repeats: number): string {
  return repeats > 1 ? `${base}/repeat-${repeat}` : base;
}

/** The id without its repeat part: the same for every repeat of one run or search. */
export function seriesOf(id: string): string {
  return id.replace(REPEAT_PART, '');
}
