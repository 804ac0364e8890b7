/** One noisy-machine rule for the run notes, the terminal, the report's banner and its Environment badge. */
import { describe, expect, it } from 'vitest';
import { NOISY_OTHER_CORES, isNoisyMachine, noisyMachineWarning, noisyRunNote } from '../../metrics/noisy-machine.ts';
import { renderBanners } from '../../reports/html/sections/header.ts';
import { renderEnvironment } from '../../reports/html/sections/environment.ts';
import { renderSummary } from '../../reports/terminal.ts';
import { buildEnvironment, buildResults, buildRun } from '../support/results.ts';

const quiet = () => buildResults({ runs: [buildRun(), buildRun({ transport: 'sse' })], environment: buildEnvironment({ otherCpuCores: 0.02 }) });

describe('noisy machine', () => {
  it('is quiet at or below the threshold and noisy above it', () => {
    expect(isNoisyMachine(buildResults({ environment: buildEnvironment({ otherCpuCores: NOISY_OTHER_CORES }) }))).toBe(false);
    expect(isNoisyMachine(buildResults({ environment: buildEnvironment({ otherCpuCores: NOISY_OTHER_CORES + 0.01 }) }))).toBe(true);
    expect(isNoisyMachine(buildResults({ environment: buildEnvironment({ otherCpuCores: null }) }))).toBe(false);
    expect(noisyMachineWarning(quiet())).toBeNull();
  });

  it('warns from the file average, and from runs whose own window was noisy when the average hides them', () => {
    const busy = quiet();
    busy.environment.otherCpuCores = 0.71;
    expect(noisyMachineWarning(busy)).toMatch(/^noisy machine: something outside the lab's processes \(other processes, or the VM's host\) kept 0\.71 cores busy on average/);

    const burst = quiet();
    burst.runs[1]!.notes.push(noisyRunNote(0.9));
    expect(noisyMachineWarning(burst)).toBe(
      `noisy machine: something outside the lab's processes (other processes, or the VM's host) kept 0.02 cores busy on average over the measured windows; 1 of 2 runs had more than ${NOISY_OTHER_CORES} cores busy outside the lab. Capacities may be low and spreads wide; stop other work and run again before comparing`,
    );
  });

  it('is printed under the terminal header, bannered at the top of the report and badged in its Environment section', () => {
    const busy = quiet();
    busy.environment.otherCpuCores = 0.71;
    const terminal = renderSummary(busy, { color: false }).split('\n');
    expect(terminal[1]).toMatch(/^⚠ noisy machine: .*0\.71 cores busy/);
    expect(renderBanners(busy)).toContain('Measured on a noisy machine');
    expect(renderEnvironment(busy)).toContain('noisy machine');

    expect(renderSummary(quiet(), { color: false })).not.toContain('noisy machine');
    expect(renderBanners(quiet())).not.toContain('noisy machine');
    expect(renderEnvironment(quiet())).not.toContain('noisy machine');
  });
});
