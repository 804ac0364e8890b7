import { describe, expect, it } from 'vitest';
import { brokeNarrowly, sloBreaches, type Slo } from '../../bench/slo.ts';
import type { RunRecord } from '../../metrics/result-types.ts';
import { validateResults } from '../../metrics/results-io.ts';
import { buildResults, buildRun, buildSummary, type RunOverrides } from '../support/results.ts';

const SLO: Slo = { p99Ms: 100, maxLoss: 0 };

/** A capacity step of a ws feed search that meets the SLO, with buildRun's overrides. */
const step = (o: RunOverrides = {}): RunRecord => buildRun({ kind: 'capacity-step', step: { index: 0, search: 'capacity-ws-feed' }, ...o });

describe('the RunRecord helper', () => {
  it('builds runs the results schema accepts', () => {
    const runs = [step(), step({ metrics: { rtt: buildSummary(3), latency: null, server: null, errors: { sendFailures: 1, disconnects: 2 } }, lost: 4 })];
    const file = buildResults({ runs });
    expect(validateResults(JSON.parse(JSON.stringify(file)), 'test').runs).toHaveLength(2);
  });
});

describe('sloBreaches', () => {
  it('a run within the SLO has no breaches', () => {
    expect(sloBreaches(step(), SLO)).toEqual([]);
    expect(sloBreaches(step({ metrics: { latency: buildSummary(99.999), rtt: buildSummary(100) } }), SLO)).toEqual([]);
  });

  it('a run without a server section (a --target run without /stats) can still pass', () => {
    expect(sloBreaches(step({ metrics: { server: null } }), SLO)).toEqual([]);
  });

  it('delivery p99 over the SLO breaks it (equal to it does not)', () => {
    expect(sloBreaches(step({ metrics: { latency: buildSummary(100) } }), SLO)).toEqual([]);
    expect(sloBreaches(step({ metrics: { latency: buildSummary(100.5) } }), SLO)).toEqual(['delivery p99 100.5 ms > 100 ms']);
  });

  it('round-trip p99 over the SLO breaks it, even with fast deliveries', () => {
    expect(sloBreaches(step({ metrics: { latency: buildSummary(2), rtt: buildSummary(250) } }), SLO)).toEqual(['round-trip p99 250 ms > 100 ms']);
    expect(sloBreaches(step({ metrics: { latency: null, rtt: buildSummary(101) } }), SLO)).toEqual(['round-trip p99 101 ms > 100 ms']);
  });

  it('uses the SLO it is given', () => {
    const run = step({ metrics: { latency: buildSummary(40) } });
    expect(sloBreaches(run, { p99Ms: 50, maxLoss: 0 })).toEqual([]);
    expect(sloBreaches(run, { p99Ms: 30, maxLoss: 0 })).toEqual(['delivery p99 40 ms > 30 ms']);
  });

  it('loss above maxLoss breaks it; loss equal to maxLoss does not', () => {
    expect(sloBreaches(step({ lost: 1 }), SLO)).toEqual(['1 messages lost (1 deliveries, 0 sends) > 0']);
    expect(sloBreaches(step({ lost: 5 }), { p99Ms: 100, maxLoss: 5 })).toEqual([]);
    expect(sloBreaches(step({ lost: 6 }), { p99Ms: 100, maxLoss: 5 })).toEqual(['6 messages lost (6 deliveries, 0 sends) > 5']);
  });

  it('failed sends count as lost messages, together with lost deliveries', () => {
    expect(sloBreaches(step({ metrics: { errors: { sendFailures: 2 } } }), SLO)).toEqual(['2 messages lost (0 deliveries, 2 sends) > 0']);
    expect(sloBreaches(step({ lost: 2, metrics: { errors: { sendFailures: 2 } } }), { p99Ms: 100, maxLoss: 3 })).toEqual(['4 messages lost (2 deliveries, 2 sends) > 3']);
    expect(sloBreaches(step({ lost: 2, metrics: { errors: { sendFailures: 2 } } }), { p99Ms: 100, maxLoss: 4 })).toEqual([]);
  });

  it('zero deliveries breaks it, even with no latency to judge and nothing counted lost', () => {
    expect(sloBreaches(step({ deliveries: 0, metrics: { latency: null } }), SLO)).toEqual(['nothing was delivered']);
  });

  it('any dropped connection breaks it', () => {
    expect(sloBreaches(step({ metrics: { errors: { disconnects: 1 } } }), SLO)).toEqual(['1 connections dropped']);
    expect(sloBreaches(step({ metrics: { errors: { disconnects: 1 } } }), { p99Ms: 100, maxLoss: 1000 })).toEqual(['1 connections dropped']);
  });

  it('slow consumers cut by the server break it', () => {
    expect(sloBreaches(step({ metrics: { server: { slowConsumerDisconnects: 3 } } }), SLO)).toEqual(['the server cut 3 slow consumers']);
  });

  it('lists every breach, in a fixed order', () => {
    const run = step({ deliveries: 0, metrics: { latency: buildSummary(500), rtt: buildSummary(700), errors: { sendFailures: 1, disconnects: 4 }, server: { slowConsumerDisconnects: 4 } }, lost: 10 });
    expect(sloBreaches(run, SLO)).toEqual([
      'nothing was delivered',
      'delivery p99 500 ms > 100 ms',
      'round-trip p99 700 ms > 100 ms',
      '11 messages lost (10 deliveries, 1 sends) > 0',
      '4 connections dropped',
      'the server cut 4 slow consumers',
    ]);
  });
});

describe('brokeNarrowly: a break worth a second trial', () => {
  it('a p99 over the SLO by at most half again, nothing else wrong', () => {
    expect(brokeNarrowly(step({ metrics: { latency: buildSummary(100.5) } }), SLO)).toBe(true);
    expect(brokeNarrowly(step({ metrics: { latency: buildSummary(150) } }), SLO)).toBe(true);
    expect(brokeNarrowly(step({ metrics: { latency: null, rtt: buildSummary(140) } }), SLO)).toBe(true);
  });

  it('not a step that held, nor one far over the SLO', () => {
    expect(brokeNarrowly(step(), SLO)).toBe(false);
    expect(brokeNarrowly(step({ metrics: { latency: buildSummary(150.5) } }), SLO)).toBe(false);
    // Deliveries narrowly late but round trips far over: not narrow.
    expect(brokeNarrowly(step({ metrics: { latency: buildSummary(120), rtt: buildSummary(400) } }), SLO)).toBe(false);
  });

  it('never a step that lost messages, dropped connections or was cut by the server, however close its p99', () => {
    expect(brokeNarrowly(step({ metrics: { latency: buildSummary(110) }, lost: 1 }), SLO)).toBe(false);
    expect(brokeNarrowly(step({ metrics: { latency: buildSummary(110), errors: { disconnects: 1 } } }), SLO)).toBe(false);
    expect(brokeNarrowly(step({ metrics: { latency: buildSummary(110), server: { slowConsumerDisconnects: 2 } } }), SLO)).toBe(false);
    // Lost alone, p99 fine: a break, but not a narrow one.
    expect(brokeNarrowly(step({ lost: 3 }), SLO)).toBe(false);
  });
});
