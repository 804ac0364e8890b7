/**
 * Busy CPU time of the whole machine. On Linux it is read from /proc/stat, not os.cpus(): libuv's
 * cpu times keep user, nice, sys, idle and irq, and drop softirq and steal. Loopback TCP does much of
 * its work in softirq: during a WebSocket feed at 600,000 deliveries/s on this 2-core machine,
 * os.cpus() showed 1.54 cores busy while /proc/stat showed 1.89 (0.34 of them softirq, 0.11 idle),
 * so a full machine looked as if it had a third of a core to spare. Steal (the hypervisor running
 * someone else) counts as busy too: those cores were not the lab's to use.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** /proc/stat counts in USER_HZ ticks, 100 per second on every Linux ABI (sysconf(_SC_CLK_TCK)). */
const MICROS_PER_TICK = 10_000;

/** Busy ticks from the `cpu` line of /proc/stat, or null when the text has none (pure). */
export function busyTicksOfProcStat(text: string): number | null {
  const line = text.split('\n').find((entry) => entry.startsWith('cpu '));
  if (line === undefined) return null;
  const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (values.length < 8 || values.some((value) => !Number.isFinite(value))) return null;
  // user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
  const [user, nice, system, , , irq, softirq, steal] = values as [number, number, number, number, number, number, number, number];
  return user + nice + system + irq + softirq + steal;
}

function fromOsCpus(): number {
  let busy = 0;
  for (const cpu of cpus()) busy += (cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq) * 1000;
  return busy;
}

/** Busy CPU time of the whole machine so far, µs, all cores together. */
export function machineBusyUs(): number {
  if (process.platform === 'linux') {
    try {
      const ticks = busyTicksOfProcStat(readFileSync('/proc/stat', 'utf8'));
      if (ticks !== null) return ticks * MICROS_PER_TICK;
    } catch {
      // no /proc (a sandbox): os.cpus() below, without softirq and steal
    }
  }
  return fromOsCpus();
}
