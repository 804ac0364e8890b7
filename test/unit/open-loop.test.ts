import { describe, expect, it, vi } from 'vitest';
import { OpenLoopSchedule, startOpenLoopSends } from '../../clients/load/open-loop.ts';
import { newClientSlot, type ClientSlot } from '../../clients/load/recorder-core.ts';
import { createHistogram, recordMicros, summarize, type Summary } from '../../metrics/histogram.ts';
import { nowMicros } from '../../scenarios/clock.ts';

/** A realistic host-clock start (µs since the epoch), so float arithmetic is exercised at scale. */
const START = 1_795_323_929_042_520;
const MS = 1000;

interface Issued {
  n: number;
  due: number;
}

function issue(schedule: OpenLoopSchedule, nowUs: number): Issued[] {
  const out: Issued[] = [];
  const returned = schedule.issueDue(nowUs, (n, due) => out.push({ n, due }));
  expect(returned).toBe(out.length);
  return out;
}

describe('OpenLoopSchedule.dueAt', () => {
  it('puts send n at start + n / rate', () => {
    const schedule = new OpenLoopSchedule(5_000_000, 1000);
    expect(schedule.dueAt(0)).toBe(5_000_000);
    expect(schedule.dueAt(1)).toBe(5_001_000);
    expect(schedule.dueAt(1999)).toBe(6_999_000);
    const slow = new OpenLoopSchedule(0, 4);
    expect([0, 1, 2, 3, 4].map((n) => slow.dueAt(n))).toEqual([0, 250_000, 500_000, 750_000, 1_000_000]);
  });

  it('keeps fractional due times for rates that do not divide a second', () => {
    const schedule = new OpenLoopSchedule(0, 3);
    expect(schedule.dueAt(1)).toBeCloseTo(333_333.333, 2);
    expect(schedule.dueAt(3)).toBe(1_000_000);
  });
});

describe('OpenLoopSchedule.issueDue', () => {
  it('issues nothing before the start', () => {
    const schedule = new OpenLoopSchedule(START, 1000);
    expect(issue(schedule, START - 1)).toEqual([]);
    expect(issue(schedule, START - 1_000_000)).toEqual([]);
    expect(schedule.count).toBe(0);
  });

  it('issues send 0 at the start and each later send once it is due, in order, none twice', () => {
    const schedule = new OpenLoopSchedule(START, 1000);
    expect(issue(schedule, START)).toEqual([{ n: 0, due: START }]);
    expect(issue(schedule, START)).toEqual([]);
    expect(issue(schedule, START + 999)).toEqual([]);
    expect(issue(schedule, START + 1000)).toEqual([{ n: 1, due: START + 1000 }]);
    expect(issue(schedule, START + 1000)).toEqual([]);
    expect(issue(schedule, START + 5_500)).toEqual([2, 3, 4, 5].map((n) => ({ n, due: START + n * 1000 })));
    expect(schedule.count).toBe(6);
    // Time going backwards (a wake-up that read an earlier clock) issues nothing and re-issues nothing.
    expect(issue(schedule, START + 2_000)).toEqual([]);
    expect(schedule.count).toBe(6);
  });

  it('issues exactly the sends due by now over a run of irregular wake-ups', () => {
    const rate = 700;
    const schedule = new OpenLoopSchedule(START, rate);
    const all: Issued[] = [];
    let now = START - 3_000;
    for (let wake = 0; wake < 2000; wake++) {
      now += 1 + ((wake * 7919) % 2_300); // 1 µs to 2.3 ms, irregular
      const issued = issue(schedule, now);
      for (const s of issued) expect(s.due).toBeLessThanOrEqual(now);
      all.push(...issued);
      // Nothing that is due remains unissued, nothing not yet due was issued.
      expect(schedule.dueAt(schedule.count)).toBeGreaterThan(now);
      if (schedule.count > 0) expect(schedule.dueAt(schedule.count - 1)).toBeLessThanOrEqual(now);
    }
    expect(all.length).toBeGreaterThan(1000);
    expect(all.map((s) => s.n)).toEqual(all.map((_, i) => i));
    for (const s of all) {
      expect(s.due).toBe(schedule.dueAt(s.n));
      expect(s.due).toBeGreaterThanOrEqual(START);
    }
  });

  it('at whole-µs clock readings, issues each send within 1 µs of its due time, never before it', () => {
    // Far from the epoch a double has only 1/4 µs of resolution, so a fractional due time is
    // rounded; the schedule may issue the send at the next whole µs rather than at the rounded value.
    for (const rate of [3, 7, 333, 1000]) {
      for (let n = 1; n < 60; n++) {
        const due = new OpenLoopSchedule(START, rate).dueAt(n);
        expect(Math.abs(due - START - (n * 1_000_000) / rate)).toBeLessThan(0.5);
        expect(issue(new OpenLoopSchedule(START, rate), Math.floor(due) - 1)).toHaveLength(n);
        const onTime = issue(new OpenLoopSchedule(START, rate), Math.ceil(due) + 1);
        expect(onTime).toHaveLength(n + 1);
        expect(onTime.at(-1)).toEqual({ n, due });
      }
    }
  });

  it('issues a send exactly at its due time when the due time is exact', () => {
    const schedule = new OpenLoopSchedule(0, 4);
    expect(issue(schedule, 249_999)).toHaveLength(1);
    expect(issue(schedule, 250_000)).toEqual([{ n: 1, due: 250_000 }]);
    expect(issue(schedule, 1_000_000)).toEqual([2, 3, 4].map((n) => ({ n, due: n * 250_000 })));
  });

  it('a late wake-up issues every owed send at once, with its original due time', () => {
    const schedule = new OpenLoopSchedule(START, 1000);
    expect(issue(schedule, START + 100 * MS)).toHaveLength(101);
    const late = issue(schedule, START + 300 * MS);
    expect(late).toHaveLength(200);
    expect(late[0]).toEqual({ n: 101, due: START + 101 * MS });
    expect(late.at(-1)).toEqual({ n: 300, due: START + 300 * MS });
    late.forEach((s, i) => expect(s.due).toBe(START + (101 + i) * MS));
    expect(schedule.count).toBe(301);
  });

  it('never issues at rate 0 (or a negative rate)', () => {
    for (const rate of [0, -5]) {
      const schedule = new OpenLoopSchedule(START, rate);
      expect(issue(schedule, START + 10_000_000)).toEqual([]);
      expect(schedule.count).toBe(0);
    }
  });
});

/**
 * A server that echoes each send 1 ms after it arrives, except that while it is stalled nothing is
 * answered: every echo that would fall inside the stall goes out 1 ms after the stall ends.
 */
function echoServer(stall: { fromUs: number; toUs: number } | null): (sentUs: number) => number {
  return (sentUs) => {
    const natural = sentUs + 1 * MS;
    if (stall !== null && natural >= stall.fromUs && natural < stall.toUs) return stall.toUs + 1 * MS;
    return natural;
  };
}

const RATE = 1000;
const RUN_US = 2_000 * MS;
const STALL = { fromUs: START + 1_000 * MS, toUs: START + 1_200 * MS };

/**
 * The lab's way (clients/load/worker.ts): wake every 1 ms, issue what is due, and measure each
 * round trip from the send's due time. `clientPause` makes the client itself miss its wake-ups.
 */
function openLoop(echo: (sentUs: number) => number, clientPause: { fromUs: number; toUs: number } | null = null): { summary: Summary; sends: number } {
  const schedule = new OpenLoopSchedule(START, RATE);
  const rtt = createHistogram();
  for (let now = START; now < START + RUN_US; now += 1 * MS) {
    if (clientPause !== null && now >= clientPause.fromUs && now < clientPause.toUs) continue;
    schedule.issueDue(now, (_n, due) => recordMicros(rtt, echo(now) - due));
  }
  const summary = summarize(rtt);
  if (summary === null) throw new Error('no round trips');
  return { summary, sends: schedule.count };
}

/** The closed loop (coordinated omission): one sender, next send only after the reply, timed from the actual send. */
function closedLoop(echo: (sentUs: number) => number): { summary: Summary; sends: number } {
  const rtt = createHistogram();
  let sends = 0;
  let next = START;
  while (next < START + RUN_US) {
    const sentAt = next;
    const reply = echo(sentAt);
    recordMicros(rtt, reply - sentAt);
    sends++;
    next = Math.max(reply, sentAt + 1_000_000 / RATE);
  }
  const summary = summarize(rtt);
  if (summary === null) throw new Error('no round trips');
  return { summary, sends };
}

describe('open loop vs a stalling server', () => {
  it('without a stall every round trip is ~1 ms', () => {
    const { summary, sends } = openLoop(echoServer(null));
    expect(sends).toBe(2000);
    expect(summary.count).toBe(2000);
    expect(summary.p50).toBeCloseTo(1, 2);
    expect(summary.p99).toBeCloseTo(1, 2);
    expect(summary.max).toBeCloseTo(1, 2);
  });

  it('a 200 ms server stall raises the round-trip tail by about 200 ms', () => {
    const calm = openLoop(echoServer(null)).summary;
    const { summary, sends } = openLoop(echoServer(STALL));
    // The client kept its rate: every send of the schedule was issued and answered.
    expect(sends).toBe(2000);
    expect(summary.count).toBe(2000);
    expect(summary.max).toBeGreaterThanOrEqual(190);
    expect(summary.max).toBeLessThanOrEqual(210);
    expect(summary.p999).toBeGreaterThanOrEqual(190);
    expect(summary.p999 - calm.p999).toBeGreaterThan(180);
    // 10 % of the run's sends met the stall, so even p99 shows it (one in ten waited ~100 ms on average).
    expect(summary.p99).toBeGreaterThan(100 * calm.p99);
    expect(summary.p99).toBeGreaterThan(150);
    expect(summary.mean).toBeGreaterThan(9);
    // The median is untouched: most sends never met the stall.
    expect(summary.p50).toBeCloseTo(1, 2);
  });

  it('a client that misses its wake-ups for 200 ms also shows up in the tail (round trips run from the due time)', () => {
    const { summary, sends } = openLoop(echoServer(null), STALL);
    expect(sends).toBe(2000);
    expect(summary.max).toBeGreaterThanOrEqual(190);
    expect(summary.max).toBeLessThanOrEqual(210);
    expect(summary.p99).toBeGreaterThan(150);
  });

  it('a closed loop hides the same stall (coordinated omission), which is why the lab uses the open loop', () => {
    const { summary, sends } = closedLoop(echoServer(STALL));
    // Only the one request in flight when the stall began saw it...
    expect(summary.max).toBeGreaterThanOrEqual(190);
    expect(summary.max).toBeLessThanOrEqual(210);
    // ...so the tail percentiles stay at the server's normal 1 ms...
    expect(summary.p99).toBeCloseTo(1, 2);
    expect(summary.p999).toBeCloseTo(1, 2);
    // ...and the load silently dropped: ~200 sends that should have happened never did.
    expect(sends).toBeLessThan(1850);
    expect(summary.count).toBe(sends);
    const open = openLoop(echoServer(STALL)).summary;
    expect(open.p99).toBeGreaterThan(100 * summary.p99);
  });
});

describe('startOpenLoopSends (what Node workers and browser pages send with)', () => {
  const WAKE_MS = 1;
  /** Long enough for 20 wake-ups: what did not happen by then will not. */
  const twentyWakes = (): Promise<unknown> => new Promise((resolve) => setTimeout(resolve, 20 * WAKE_MS));

  interface Member {
    name: string;
    slot: ClientSlot;
  }

  it('sends round-robin from its members on the schedule, each with its own next message id, remembered with its due time', async () => {
    const members: Member[] = ['a', 'b', 'c'].map((name) => ({ name, slot: newClientSlot({ topics: [], rooms: ['lobby'] }) }));
    members[1]!.slot.nextMid = 0xffff_ffff; // the next id wraps to 0
    const sends: { member: string; mid: number }[] = [];
    const lags: number[] = [];
    const perMemberPerSec = 200;
    const startUs = nowMicros() + 5 * MS;
    const stop = startOpenLoopSends({
      members,
      slotOf: (m) => m.slot,
      perMemberPerSec,
      startUs,
      wakeMs: WAKE_MS,
      sent: (_due, lag) => lags.push(lag),
      send: (m, mid) => sends.push({ member: m.name, mid }),
    });
    await vi.waitFor(() => expect(sends.length).toBeGreaterThanOrEqual(30), { timeout: 5000, interval: 5 });
    stop();
    const issued = sends.length;
    await twentyWakes();
    expect(sends).toHaveLength(issued);

    const schedule = new OpenLoopSchedule(startUs, perMemberPerSec * members.length);
    sends.forEach((send, n) => expect(send.member).toBe(members[n % 3]!.name));
    const ids = (name: string): number[] => sends.filter((s) => s.member === name).map((s) => s.mid);
    expect(ids('a')).toEqual(ids('a').map((_, i) => i));
    expect(ids('b').slice(0, 3)).toEqual([0xffff_ffff, 0, 1]);
    // Each send is pending under its id with the due time of its place in the schedule.
    for (const [n, send] of sends.entries()) expect(members[n % 3]!.slot.pending.get(send.mid)).toBe(schedule.dueAt(n));
    expect(lags).toHaveLength(issued);
    for (const lag of lags) expect(lag).toBeGreaterThanOrEqual(0);
  });

  it('sends nothing without members or at rate 0', async () => {
    const sends: number[] = [];
    const member = { slot: newClientSlot({ topics: [], rooms: ['lobby'] }) };
    const options = { slotOf: (m: typeof member) => m.slot, startUs: nowMicros(), wakeMs: WAKE_MS, sent: () => undefined, send: (_m: typeof member, mid: number) => void sends.push(mid) };
    const stops = [startOpenLoopSends({ ...options, members: [], perMemberPerSec: 100 }), startOpenLoopSends({ ...options, members: [member], perMemberPerSec: 0 })];
    await twentyWakes();
    for (const stop of stops) stop();
    expect(sends).toEqual([]);
  });
});
