import { describe, expect, it } from 'vitest';
import { brokeBelowOf, nextMove, runSearch, type SearchBounds, type StepOutcome } from '../../bench/capacity-search.ts';
import { mulberry32 } from '../support/seeded-random.ts';

/** Feed rates are publish rates; 1000 subscribers make each one 1000 deliveries/s, as in the default profile. */
const SUBSCRIBERS = 1000;
const BOUNDS: SearchBounds = { startRate: 100, minRate: 1, maxRate: 100_000, maxSteps: 8, resolution: 0.1, steps: null };

/** A simulated server that holds every step up to `limit` deliveries/s and breaks above it. */
const server =
  (limit: number) =>
  async (rate: number): Promise<boolean> =>
    rate * SUBSCRIBERS <= limit;

describe('capacity search against a simulated server whose limit is known', () => {
  it.each([37_000, 150_000, 400_000, 777_000])('limit %i deliveries/s: lands within the resolution, in at most 8 steps', async (limit) => {
    const outcome = await runSearch(BOUNDS, server(limit));
    expect(outcome.end).toBe('bracketed');
    const held = outcome.held! * SUBSCRIBERS;
    const broke = outcome.broke! * SUBSCRIBERS;
    expect(held).toBeLessThanOrEqual(limit);
    expect(broke).toBeGreaterThan(limit);
    expect(broke / held - 1).toBeLessThanOrEqual(BOUNDS.resolution);
    expect(outcome.history.length).toBeLessThanOrEqual(BOUNDS.maxSteps);
  });

  it('doubles from the first rate, then bisects at the geometric midpoint', async () => {
    const outcome = await runSearch(BOUNDS, server(400_000));
    expect(outcome.history.map((s) => s.rate)).toEqual([100, 200, 400, 800, 566, 476, 436]);
  });

  it('searches downward when the first step breaks (limit 37,000/s, first step 100,000/s), then bisects', async () => {
    const outcome = await runSearch(BOUNDS, server(37_000));
    expect(outcome.history.slice(0, 3)).toEqual([
      { rate: 100, held: false },
      { rate: 50, held: false },
      { rate: 25, held: true },
    ]);
    expect(outcome.held).toBe(35);
  });

  it('a limit below the lowest rate: ends at the floor with the lowest rate that broke, never with nothing', async () => {
    const outcome = await runSearch({ ...BOUNDS, minRate: 5 }, server(1000));
    expect(outcome).toMatchObject({ end: 'floor', held: null, broke: 5 });
    expect(outcome.history.map((s) => s.rate)).toEqual([100, 50, 25, 12, 6, 5]);
  });

  it('a limit above the cap: ends at the maximum rate, which held', async () => {
    const outcome = await runSearch({ ...BOUNDS, maxRate: 1000 }, server(10_000_000));
    expect(outcome).toMatchObject({ end: 'max-rate', held: 1000, broke: null });
    expect(outcome.history.map((s) => s.rate)).toEqual([100, 200, 400, 800, 1000]);
  });

  it('a search that needs more steps than allowed stops at maxSteps with the bracket so far', async () => {
    const unbounded = await runSearch(BOUNDS, server(90_000_000));
    expect(unbounded).toMatchObject({ end: 'max-steps', held: 12_800, broke: null });
    expect(unbounded.history).toHaveLength(8);
    const fine = await runSearch({ ...BOUNDS, resolution: 0.001, maxSteps: 6 }, server(150_000));
    expect(fine).toMatchObject({ end: 'max-steps', held: 147, broke: 154 });
    expect(fine.history).toHaveLength(6);
  });

  it('adjacent whole rates end the search even when the resolution asks for finer', async () => {
    const outcome = await runSearch({ ...BOUNDS, startRate: 2, resolution: 0.01, maxSteps: 20 }, server(3_500));
    expect(outcome).toMatchObject({ end: 'bracketed', held: 3, broke: 4 });
  });

  it('noisy edges: a server whose limit wobbles ±3 % per step still lands within resolution of the band', async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = mulberry32(seed);
      const limit = 20_000 + random() * 900_000;
      const noisy = async (rate: number): Promise<boolean> => rate * SUBSCRIBERS <= limit * (1 + (random() * 2 - 1) * 0.03);
      const outcome = await runSearch(BOUNDS, noisy);
      expect(outcome.end, `seed ${seed}`).toBe('bracketed');
      const held = outcome.held! * SUBSCRIBERS;
      const broke = outcome.broke! * SUBSCRIBERS;
      expect(held, `seed ${seed}`).toBeLessThanOrEqual(limit * 1.03);
      expect(broke, `seed ${seed}`).toBeGreaterThan(limit * 0.97);
      expect(broke / held - 1, `seed ${seed}`).toBeLessThanOrEqual(BOUNDS.resolution);
      expect(outcome.history.length, `seed ${seed}`).toBeLessThanOrEqual(BOUNDS.maxSteps);
    }
  });

  it('stops when measure says so (interrupted), keeping the bracket so far', async () => {
    let calls = 0;
    const outcome = await runSearch(BOUNDS, async (rate) => (++calls > 2 ? null : rate <= 150));
    expect(outcome).toMatchObject({ end: null, held: 100, broke: 200 });
  });
});

describe('a search that starts from a step already measured (the fixed-load run)', () => {
  it('goes on from it: up when it held, down when it broke, counting it towards maxSteps', async () => {
    const up = await runSearch(BOUNDS, server(400_000), [{ rate: 100, held: true }]);
    expect(up.history.map((s) => s.rate)).toEqual([100, 200, 400, 800, 566, 476, 436]);
    expect(up).toMatchObject({ end: 'bracketed', held: 400, broke: 436 });
    const down = await runSearch({ ...BOUNDS, maxSteps: 3 }, server(30_000), [{ rate: 100, held: false }]);
    expect(down.history.map((s) => s.rate)).toEqual([100, 50, 25]);
    expect(down).toMatchObject({ end: 'max-steps', held: 25, broke: 50 });
  });
});

describe('a narrow break is measured once more', () => {
  /** A server that holds up to `limit`, whose p99 near the edge comes out too high in the first trial at each rate in `unlucky`. */
  const unluckyServer = (limit: number, unlucky: readonly number[]) => {
    const tried = new Map<number, number>();
    return async (rate: number): Promise<StepOutcome> => {
      const trial = (tried.get(rate) ?? 0) + 1;
      tried.set(rate, trial);
      const held = rate * SUBSCRIBERS <= limit && !(trial === 1 && unlucky.includes(rate));
      // Within 20 % above the limit, or an unlucky window: a narrow break. Far above it: a clear one.
      return { held, marginal: !held && rate * SUBSCRIBERS <= limit * 1.2 };
    };
  };

  it('an unlucky first trial below the limit does not end the search there: the second trial decides', async () => {
    // Without the second trial, the unlucky 400 would end the search between 200 and 283 (limit 400,000).
    const outcome = await runSearch({ ...BOUNDS, maxSteps: 12 }, unluckyServer(400_000, [400]));
    expect(outcome.history.slice(0, 4)).toEqual([
      { rate: 100, held: true },
      { rate: 200, held: true },
      { rate: 400, held: false, marginal: true },
      { rate: 400, held: true },
    ]);
    expect(outcome.end).toBe('bracketed');
    expect(outcome.held! * SUBSCRIBERS).toBeLessThanOrEqual(400_000);
    expect(outcome.broke! * SUBSCRIBERS).toBeGreaterThan(400_000);
    expect(outcome.broke! / outcome.held! - 1).toBeLessThanOrEqual(BOUNDS.resolution);
  });

  it('a rate is measured at most twice, and a clear break only once', async () => {
    const outcome = await runSearch({ ...BOUNDS, maxSteps: 20 }, unluckyServer(400_000, []));
    const counts = new Map<number, number>();
    for (const step of outcome.history) counts.set(step.rate, (counts.get(step.rate) ?? 0) + 1);
    // 800 (800,000/s) broke clearly: once. 436 (9 % over) broke narrowly: twice, broke both times.
    expect(counts.get(800)).toBe(1);
    expect(counts.get(436)).toBe(2);
    expect(Math.max(...counts.values())).toBe(2);
    expect(outcome).toMatchObject({ end: 'bracketed', held: 400, broke: 436 });
  });

  it('a second trial that breaks again stands as the break', () => {
    const move = nextMove(BOUNDS, [
      { rate: 100, held: true },
      { rate: 200, held: false, marginal: true },
      { rate: 200, held: false, marginal: true },
    ]);
    expect(move).toEqual({ kind: 'measure', rate: 141 });
  });

  it('fixed steps: the second trial at a step does not skip the next step', async () => {
    const outcome = await runSearch({ ...BOUNDS, steps: [100, 200, 300] }, unluckyServer(1_000_000, [200]));
    expect(outcome.history.map((s) => s.rate)).toEqual([100, 200, 200, 300]);
    expect(outcome).toMatchObject({ end: 'max-rate', held: 300, broke: null });
  });
});

describe('fixed capacity steps (--capacity-steps)', () => {
  const fixed = { ...BOUNDS, steps: [100, 200, 300] };

  it('measures the steps in order and stops at the first that breaks, without bisecting', async () => {
    const outcome = await runSearch(fixed, server(250_000));
    expect(outcome.history.map((s) => s.rate)).toEqual([100, 200, 300]);
    expect(outcome).toMatchObject({ end: 'list', held: 200, broke: 300 });
  });

  it('all steps holding: the capacity is at least the last', async () => {
    expect(await runSearch(fixed, server(1_000_000))).toMatchObject({ end: 'max-rate', held: 300, broke: null });
  });

  it('the first step breaking: goes down until one holds, so there is still an answer', async () => {
    const outcome = await runSearch(fixed, server(30_000));
    expect(outcome.history.map((s) => s.rate)).toEqual([100, 50, 25]);
    expect(outcome).toMatchObject({ end: 'list', held: 25, broke: 50 });
  });
});

describe('a first step that breaks is followed by one at twice its rate (probeAboveBrokenStart)', () => {
  const PROBING: SearchBounds = { ...BOUNDS, maxSteps: 12, probeAboveBrokenStart: true };
  /** Long-poll's shape: holds at low rates, breaks from 16 to 199 messages/s, holds again up to 900 (batched answers), breaks above. */
  const longPollLike = async (rate: number): Promise<boolean> => rate <= 15 || (rate >= 200 && rate <= 900);

  it('finds the highest rate that held above the broken start, and names the broken rate below it', async () => {
    const outcome = await runSearch(PROBING, longPollLike);
    expect(outcome.history.slice(0, 5).map((s) => [s.rate, s.held])).toEqual([
      [100, false],
      [200, true],
      [400, true],
      [800, true],
      [1600, false],
    ]);
    expect(outcome.end).toBe('bracketed');
    expect(outcome.held).toBeLessThanOrEqual(900);
    expect(outcome.broke).toBeGreaterThan(900);
    expect(outcome.broke! / outcome.held! - 1).toBeLessThanOrEqual(PROBING.resolution);
    expect(outcome.brokeBelow).toEqual([100]);
  });

  it('without the probe, the same server is searched downward only and the answer is the low region', async () => {
    const outcome = await runSearch({ ...PROBING, probeAboveBrokenStart: false }, longPollLike);
    expect(outcome.held).toBeLessThanOrEqual(15);
    expect(outcome.brokeBelow).toEqual([]);
  });

  it('a probe that breaks too costs one step, then the search goes down as before', async () => {
    const outcome = await runSearch(PROBING, server(37_000));
    expect(outcome.history.slice(0, 4).map((s) => [s.rate, s.held])).toEqual([
      [100, false],
      [200, false],
      [50, false],
      [25, true],
    ]);
    expect(outcome).toMatchObject({ end: 'bracketed', held: 35, brokeBelow: [] });
  });

  it('probes once, from the fixed-load run too, and never above the maximum rate', async () => {
    const seeded = await runSearch(PROBING, server(37_000), [{ rate: 100, held: false }]);
    expect(seeded.history.filter((s) => s.rate > 100).map((s) => s.rate)).toEqual([200]);
    const capped = await runSearch({ ...PROBING, maxRate: 100 }, server(37_000));
    expect(capped.history.every((s) => s.rate <= 100)).toBe(true);
  });

  it('a start that holds is not probed: the doubling is unchanged', async () => {
    const outcome = await runSearch(PROBING, server(400_000));
    expect(outcome.history.map((s) => s.rate)).toEqual([100, 200, 400, 800, 566, 476, 436]);
  });

  it('brokeBelowOf lists only the broken rates under the highest held, by their last trial', () => {
    expect(brokeBelowOf([{ rate: 100, held: false }, { rate: 200, held: true }, { rate: 400, held: false }])).toEqual([100]);
    expect(brokeBelowOf([{ rate: 100, held: false, marginal: true }, { rate: 100, held: true }, { rate: 200, held: false }])).toEqual([]);
    expect(brokeBelowOf([{ rate: 100, held: false }, { rate: 50, held: false }])).toEqual([]);
  });
});

describe('nextMove', () => {
  it('starts at the start rate, capped by the maximum rate', () => {
    expect(nextMove(BOUNDS, [])).toEqual({ kind: 'measure', rate: 100 });
    expect(nextMove({ ...BOUNDS, maxRate: 60 }, [])).toEqual({ kind: 'measure', rate: 60 });
  });

  it('never measures outside the bracket', () => {
    const move = nextMove(BOUNDS, [
      { rate: 100, held: true },
      { rate: 200, held: false },
      { rate: 141, held: true },
    ]);
    expect(move).toEqual({ kind: 'measure', rate: 168 });
  });
});

describe('the search lands within the resolution from any start, on both axes', () => {
  // Each axis's range as the bench sets it: feed publish rates (--capacity-max-rate) and connection counts (--capacity-max-connections).
  const axes = [
    { axis: 'rate', bounds: { ...BOUNDS, maxRate: 100_000, maxSteps: 40 }, limits: [3, 37, 400, 777, 15_000, 99_000], starts: [1, 10, 100, 1000, 100_000] },
    { axis: 'connections', bounds: { ...BOUNDS, maxRate: 20_000, maxSteps: 40 }, limits: [7, 300, 2500, 9000, 17_000, 19_999], starts: [1, 50, 1000, 5000, 20_000] },
  ] as const;
  for (const { axis, bounds, limits, starts } of axes) {
    it.each(limits.flatMap((limit) => starts.flatMap((start) => [[limit, start, false] as const, ...(axis === 'rate' ? [[limit, start, true] as const] : [])])))(`${axis} axis: limit %i, first step %i, probe above a broken start: %s`, async (limit, start, probe) => {
      const measured: number[] = [];
      const outcome = await runSearch({ ...bounds, startRate: start, probeAboveBrokenStart: probe }, async (value) => {
        measured.push(value);
        return value <= limit;
      });
      expect(outcome.end).toBe('bracketed');
      expect(outcome.held).toBeLessThanOrEqual(limit);
      expect(outcome.broke).toBeGreaterThan(limit);
      // Within the resolution, or adjacent whole numbers when the resolution is finer than one step.
      expect(outcome.broke! / outcome.held! - 1 <= bounds.resolution || outcome.broke! - outcome.held! === 1).toBe(true);
      expect(Math.min(...measured)).toBeGreaterThanOrEqual(bounds.minRate);
      expect(Math.max(...measured)).toBeLessThanOrEqual(bounds.maxRate);
    });
  }

  it('connections axis: a server that holds every count ends at the maximum, which held', async () => {
    const outcome = await runSearch({ ...BOUNDS, startRate: 1000, maxRate: 20_000, maxSteps: 40 }, async () => true);
    expect(outcome).toMatchObject({ end: 'max-rate', held: 20_000, broke: null });
    expect(outcome.history.map((s) => s.rate)).toEqual([1000, 2000, 4000, 8000, 16_000, 20_000]);
  });
});
