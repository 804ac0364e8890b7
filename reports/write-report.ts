/** Renders results.json (and an optional baseline) into report.html: the only I/O around the pure renderer. */
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ResultsFile } from '../metrics/result-types.ts';
import type { BaselineInput } from './html/types.ts';
import { renderReport } from './html/render-report.ts';

let chartJs: string | undefined;

/** chart.js's UMD build, from node_modules (its package exports do not name the file, so find it beside the main entry). */
async function chartJsSource(): Promise<string> {
  if (chartJs === undefined) {
    const main = createRequire(import.meta.url).resolve('chart.js');
    chartJs = await readFile(join(dirname(main), 'chart.umd.min.js'), 'utf8');
  }
  return chartJs;
}

/** The report's default place: report.html beside the results file. */
export function reportPathFor(resultsPath: string): string {
  return join(dirname(resultsPath), 'report.html');
}

export async function writeReport(results: ResultsFile, baseline: BaselineInput | null, outPath: string): Promise<void> {
  const html = renderReport({ results, baseline }, { chartJs: await chartJsSource() });
  await mkdir(dirname(outPath), { recursive: true });
  // Written beside its final name and renamed, so a reader never opens half a report.
  const temporary = `${outPath}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, html);
    await rename(temporary, outPath);
  } catch (err) {
    await unlink(temporary).catch(() => undefined);
    throw err;
  }
}
