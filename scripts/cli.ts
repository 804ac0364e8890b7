/** Shared by the entry points: flag parsing with clear refusals, and exits that say what went wrong. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { ResultsFile } from '../metrics/result-types.ts';
import { readResultsFile, ResultsError } from '../metrics/results-io.ts';
import { UsageError } from '../scenarios/errors.ts';

export function parseFlags<T extends ParseArgsConfig['options']>(argv: string[], options: T, usage: string) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError('BAD_FLAG', `${(err as Error).message}\n\n${usage}`);
  }
}

export function intFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new UsageError('BAD_FLAG', `--${name} takes a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** Runs an entry point: usage errors print their message and exit 2; anything else is a crash. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`pushbench: ${err.message} [${err.code}]\n`);
      process.exit(2);
    }
    process.stderr.write(`pushbench: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  });
}

/** A results file for a command-line tool: one it cannot use is refused as bad usage (exit 2), with the reader's message. */
export async function readResultsOrRefuse(path: string): Promise<ResultsFile> {
  try {
    return await readResultsFile(path);
  } catch (err) {
    if (err instanceof ResultsError) throw new UsageError(err.code, err.message);
    throw err;
  }
}
