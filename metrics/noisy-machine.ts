/**
 * When the rest of the machine was busy enough to move the lab's figures. One threshold, read by
 * the run notes, the terminal, the report and the CI gate alike, so they never disagree on whether
 * a run was measured on a noisy machine.
 */
import type { ResultsFile } from './result-types.ts';

/** Cores kept busy outside the lab (server, workers, coordinator) above which figures are flagged. */
export const NOISY_OTHER_CORES = 0.3;

/** How a run's note begins when other processes kept the machine busy during its window. */
export const NOISY_RUN_NOTE = 'other processes kept';

export const noisyRunNote = (otherCores: number): string => `${NOISY_RUN_NOTE} ${otherCores.toFixed(2)} cores busy during the window: figures may be noisy`;

export const isNoisyCores = (otherCores: number | null): boolean => otherCores !== null && otherCores > NOISY_OTHER_CORES;

/** The file's average over its measured windows was above the threshold. */
export const isNoisyMachine = (file: Pick<ResultsFile, 'environment'>): boolean => isNoisyCores(file.environment.otherCpuCores);

/** Runs whose own window was noisy (a burst of other work can hide in the file's average). */
export const noisyRunCount = (file: Pick<ResultsFile, 'runs'>): number => file.runs.filter((run) => run.notes.some((note) => note.startsWith(NOISY_RUN_NOTE))).length;

/**
 * What was noisy, for the report's banner (which has its own title), or null on a quiet machine.
 * "Other processes" is what it usually is; on a VM it can also be the hypervisor. A Firecracker VM
 * here showed 0.6 to 0.7 such cores for its first 10 minutes after boot with no other process
 * running (ps), then 0.02: the lab cannot tell which, only that its own processes did not use them.
 */
export function noisyMachineDetail(file: Pick<ResultsFile, 'environment' | 'runs'>): string | null {
  const runs = noisyRunCount(file);
  const average = file.environment.otherCpuCores;
  if (!isNoisyCores(average) && runs === 0) return null;
  const averageText = average === null ? '' : `something outside the lab's processes (other processes, or the VM's host) kept ${average.toFixed(2)} cores busy on average over the measured windows`;
  const runsText = runs === 0 ? '' : `${runs} of ${file.runs.length} run${file.runs.length === 1 ? '' : 's'} had more than ${NOISY_OTHER_CORES} cores busy outside the lab`;
  return `${[averageText, runsText].filter((part) => part !== '').join('; ')}. Capacities may be low and spreads wide; stop other work and run again before comparing`;
}

/** The terminal's warning line, or null on a quiet machine. */
export function noisyMachineWarning(file: Pick<ResultsFile, 'environment' | 'runs'>): string | null {
  const detail = noisyMachineDetail(file);
  return detail === null ? null : `noisy machine: ${detail}`;
}
