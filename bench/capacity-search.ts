/**
 * Where the capacity search measures next (pure): double the rate while steps hold, halve it while
 * they break, then bisect (geometric midpoint) between the highest rate that held and the lowest
 * above it that broke until the two are within the resolution. A list of fixed steps replaces the doubling:
 * those steps in order until one breaks, with no bisection. Either way, when the first step breaks
 * the search goes down, so it always ends with an answer: a rate that held, or the lowest rate it
 * tried, which broke.
 *
 * A step that broke only narrowly (the caller says which: `marginal`) is measured once more at the
 * same rate, and that second trial's verdict stands: near the SLO's edge one window's p99 moves by
 * as much as a bisection step, and a single unlucky window would end the search a bracket or two
 * low. A rate is measured at most twice; a step that broke clearly is believed at once.
 *
 * With `probeAboveBrokenStart`, a first step that broke is followed by one step at twice its rate
 * before the search goes down. Long-poll's p99 at 1,000 subscribers does not rise with the rate: it
 * is the time the server takes to answer every client's next poll, and at higher rates each answer
 * carries more messages. Measured here, 100,000/s broke at p99 102 ms and 200,000/s held at 68 ms;
 * searching only downward from the first break reported 92,000/s where 800,000/s held. So the
 * answer is the highest rate that held, and the broken rates below it are reported beside it.
 */

export interface SearchBounds {
  /** The first rate measured (ignored when `steps` is given). */
  startRate: number;
  /** The lowest rate the downward search may try. */
  minRate: number;
  /** The highest rate the search may try: reaching it with a step that holds ends the search. */
  maxRate: number;
  /** At most this many steps in all. */
  maxSteps: number;
  /** Bisect until lowest broke / highest held - 1 is at most this (0.1: within 10 %). */
  resolution: number;
  /** Fixed steps, increasing, instead of the doubling search; null: search. */
  steps: readonly number[] | null;
  /** When the first step breaks, measure twice its rate once before going down (see above). Default false. */
  probeAboveBrokenStart?: boolean;
}

export interface MeasuredStep {
  rate: number;
  held: boolean;
  /** It broke, but narrowly: worth a second trial at the same rate. */
  marginal?: boolean;
}

/** What measuring one step found: whether it held, and if it broke, whether only narrowly. */
export interface StepOutcome {
  held: boolean;
  marginal: boolean;
}

/** Why a search ended. */
export type SearchEnd =
  /** Highest held and lowest broke are within the resolution (or adjacent rates). */
  | 'bracketed'
  /** A step at maxRate held (or the fixed steps all held): the capacity is at least that. */
  | 'max-rate'
  /** maxSteps measured before the search settled. */
  | 'max-steps'
  /** Even minRate broke. */
  | 'floor'
  /** Fixed steps: one broke after a lower one held. */
  | 'list';

export type SearchMove = { kind: 'measure'; rate: number } | { kind: 'done'; held: number | null; broke: number | null; end: SearchEnd };

/** Each rate's verdict: its last trial's (a rate tried twice was re-measured after a narrow break). */
function verdicts(history: readonly MeasuredStep[]): MeasuredStep[] {
  const byRate = new Map<number, MeasuredStep>();
  for (const step of history) byRate.set(step.rate, step);
  return [...byRate.values()];
}

/**
 * The highest rate that held, and the lowest rate above it that broke (with none held: the lowest
 * that broke). Where the rates only rise into a break, as in a plain doubling and bisection, this is
 * the highest held below the lowest broken.
 */
export function bracketOf(history: readonly MeasuredStep[]): { held: number | null; broke: number | null } {
  const steps = verdicts(history);
  let held: number | null = null;
  for (const step of steps) if (step.held && (held === null || step.rate > held)) held = step.rate;
  let broke: number | null = null;
  for (const step of steps) if (!step.held && (held === null || step.rate > held) && (broke === null || step.rate < broke)) broke = step.rate;
  return { held, broke };
}

/** Rates that broke below the highest that held, ascending: the SLO does not hold at every rate up to the answer. */
export function brokeBelowOf(history: readonly MeasuredStep[]): number[] {
  const { held } = bracketOf(history);
  if (held === null) return [];
  return verdicts(history)
    .filter((step) => !step.held && step.rate < held)
    .map((step) => step.rate)
    .sort((a, b) => a - b);
}

export function nextMove(bounds: SearchBounds, history: readonly MeasuredStep[]): SearchMove {
  const { held, broke } = bracketOf(history);
  const done = (end: SearchEnd): SearchMove => ({ kind: 'done', held, broke, end });
  const measure = (rate: number): SearchMove => (history.length >= bounds.maxSteps ? done('max-steps') : { kind: 'measure', rate });
  const last = history[history.length - 1];
  if (last !== undefined && !last.held && last.marginal === true && history.filter((step) => step.rate === last.rate).length === 1) return measure(last.rate);
  const first = history[0];
  if (bounds.probeAboveBrokenStart === true && bounds.steps === null && first !== undefined && held === null && history.every((step) => step.rate <= first.rate)) {
    const probe = Math.min(bounds.maxRate, first.rate * 2);
    if (probe > first.rate) return measure(probe);
  }
  if (broke !== null && held === null) {
    // Going down: halve until a step holds.
    const lowest = Math.min(...history.map((s) => s.rate));
    if (lowest <= bounds.minRate) return done('floor');
    return measure(Math.max(bounds.minRate, Math.floor(lowest / 2)));
  }
  if (bounds.steps !== null) {
    if (broke !== null) return done('list');
    const next = bounds.steps[verdicts(history).length];
    return next === undefined ? done('max-rate') : measure(next);
  }
  if (history.length === 0) return measure(Math.min(bounds.startRate, bounds.maxRate));
  if (held === null) return done('floor'); // unreachable: no step held and none broke means none was measured
  if (broke === null) return held >= bounds.maxRate ? done('max-rate') : measure(Math.min(bounds.maxRate, held * 2));
  if (broke / held - 1 <= bounds.resolution || broke - held <= 1) return done('bracketed');
  // Rates are whole numbers: the midpoint stays strictly between the two.
  const mid = Math.min(broke - 1, Math.max(held + 1, Math.round(Math.sqrt(held * broke))));
  return measure(mid);
}

/**
 * Runs the search: `measure` runs one step and says whether it held (with StepOutcome, also whether a
 * break was narrow), or null when the search must stop (interrupted). Returns every step measured and
 * how the search ended (null end: stopped). `measured`: steps already measured (the fixed-load run at
 * the start rate), which the search goes on from and which count towards maxSteps.
 */
export async function runSearch(
  bounds: SearchBounds,
  measure: (rate: number) => Promise<boolean | StepOutcome | null>,
  measured: readonly MeasuredStep[] = [],
): Promise<{ history: MeasuredStep[]; held: number | null; broke: number | null; brokeBelow: number[]; end: SearchEnd | null }> {
  const history: MeasuredStep[] = [...measured];
  for (;;) {
    const move = nextMove(bounds, history);
    if (move.kind === 'done') return { history, held: move.held, broke: move.broke, brokeBelow: brokeBelowOf(history), end: move.end };
    const outcome = await measure(move.rate);
    if (outcome === null) return { history, ...bracketOf(history), brokeBelow: brokeBelowOf(history), end: null };
    if (typeof outcome === 'boolean') history.push({ rate: move.rate, held: outcome });
    else history.push(outcome.held || !outcome.marginal ? { rate: move.rate, held: outcome.held } : { rate: move.rate, held: false, marginal: true });
  }
}
