/**
 * Reading, validating and writing results.json. Every file the lab reads or writes passes through
 * metrics/results.schema.json first, so a report never renders a file it does not understand and a
 * bug never leaves an invalid file behind. Every refusal is a ResultsError with a stable code and a
 * message that says what to do.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import Ajv2020Module from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { SCHEMA_VERSION, type ResultsFile } from './result-types.ts';
import type { LabErrorCode } from '../scenarios/errors.ts';

export type ResultsErrorCode = Extract<LabErrorCode, 'BAD_RESULTS' | 'RESULTS_NOT_FOUND' | 'RESULTS_VERSION'>;

export class ResultsError extends Error {
  override readonly name = 'ResultsError';
  readonly code: ResultsErrorCode;

  constructor(code: ResultsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** How many schema problems a BAD_RESULTS message lists before summarising the rest. */
const MAX_LISTED_PROBLEMS = 5;

const REGENERATE_HINT = 'regenerate it with `npm run bench` (or pass the path of a results.json written by this lab)';
const WRITE_HINT =
  'this is a bug in the lab: the results it built do not match metrics/results.schema.json, so the file was not written';

// ajv is CommonJS: under tsx/Node ESM the default import is module.exports (the class, which also
// carries itself as .default); under a bundler or esModuleInterop it may already be the class.
type Ajv2020Class = typeof Ajv2020Module.default;
const Ajv2020: Ajv2020Class =
  (Ajv2020Module as unknown as { default?: Ajv2020Class }).default ?? (Ajv2020Module as unknown as Ajv2020Class);

let validator: ValidateFunction<ResultsFile> | undefined;

/** Compiles the schema once, on first use. */
function getValidator(): ValidateFunction<ResultsFile> {
  if (validator === undefined) {
    const schema = JSON.parse(readFileSync(new URL('./results.schema.json', import.meta.url), 'utf8')) as object;
    const ajv = new Ajv2020({
      allErrors: true,
      strict: true,
      // type: ["number", "null"] is the plainest way to say "nullable" for tools outside the lab.
      allowUnionTypes: true,
      // NaN and Infinity would be written as null by JSON.stringify: refuse them before they are.
      strictNumbers: true,
    });
    validator = ajv.compile<ResultsFile>(schema);
  }
  return validator;
}

function describeProblem(error: ErrorObject): string {
  const pointer = error.instancePath === '' ? '(root)' : error.instancePath;
  let message = error.message ?? `fails ${error.keyword}`;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    message += ` ('${params.additionalProperty}')`;
  } else if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    message += `: ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  } else if (error.keyword === 'const' && 'allowedValue' in params) {
    message += `: ${JSON.stringify(params.allowedValue)}`;
  }
  return `${pointer}: ${message}`;
}

function check(value: unknown, source: string, hint: string): ResultsFile {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'schemaVersion' in value) {
    const version = (value as { schemaVersion: unknown }).schemaVersion;
    if (typeof version === 'number' && version !== SCHEMA_VERSION) {
      throw new ResultsError(
        'RESULTS_VERSION',
        `${source} has schemaVersion ${version}; this lab reads version ${SCHEMA_VERSION}: ` +
          're-run `npm run bench` or use the lab version that wrote it',
      );
    }
  }
  const validate = getValidator();
  if (validate(value)) return value;
  const errors = validate.errors ?? [];
  const listed = errors.slice(0, MAX_LISTED_PROBLEMS).map((e) => `  ${describeProblem(e)}`);
  if (errors.length > MAX_LISTED_PROBLEMS) listed.push(`  ... and ${errors.length - MAX_LISTED_PROBLEMS} more`);
  const count = errors.length === 1 ? '1 problem' : `${errors.length} problems`;
  throw new ResultsError(
    'BAD_RESULTS',
    `${source} is not a valid results file (schemaVersion ${SCHEMA_VERSION}), ${count}:\n${listed.join('\n')}\n${hint}`,
  );
}

/**
 * Checks that value is a results file this lab can read, and returns it typed. `source` names it in
 * messages (a path, or a description such as "results from worker 2").
 */
export function validateResults(value: unknown, source: string): ResultsFile {
  return check(value, source, capitalise(REGENERATE_HINT) + '.');
}

/** Reads and validates a results.json. */
export async function readResultsFile(path: string): Promise<ResultsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ResultsError(
        'RESULTS_NOT_FOUND',
        `no results file at ${path}: run \`npm run bench\` to produce one, or pass the path of an existing results.json`,
        { cause: err },
      );
    }
    const why = code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
    throw new ResultsError('BAD_RESULTS', `cannot read the results file ${path} (${why}): pass the path of a results.json`, {
      cause: err,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const what = text.trim() === '' ? 'is empty' : `is not JSON (${(err as Error).message})`;
    throw new ResultsError('BAD_RESULTS', `${path} ${what}: ${REGENERATE_HINT}`, { cause: err });
  }
  return check(value, path, capitalise(REGENERATE_HINT) + '.');
}

/**
 * Validates results and writes them to path as pretty JSON, atomically: the JSON goes to a temporary
 * file in the same directory, is flushed to disk, and is renamed into place, so a reader sees either
 * the old file or the whole new one, never half of it. Invalid results are refused (BAD_RESULTS) and
 * nothing is written.
 */
export async function writeResultsFile(path: string, results: ResultsFile): Promise<void> {
  check(results, `the results for ${path}`, capitalise(WRITE_HINT) + '.');
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(`${JSON.stringify(results, null, 2)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
