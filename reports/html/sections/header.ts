/**
 * The top of the page: title, what this run was (date, commit, profile, runs, machine), the loud
 * banners (an incomplete file, client-bound runs, a noisy machine, clocks that disagree) and the table of contents.
 */
import { noisyMachineDetail } from '../../../metrics/noisy-machine.ts';
import type { ResultsFile, RunRecord } from '../../../metrics/result-types.ts';
import { formatBytes, formatCount } from '../../format.ts';
import { escapeHtml } from '../html.ts';
import type { ReportInput } from '../types.ts';
import { formatDate, profileOf, shortCommit } from './environment.ts';
import { plural } from './labels.ts';

/** How a run is named in the banners: its id, and its capacity step if it is one. */
function runLabel(run: RunRecord): string {
  return run.step === null ? run.id : `${run.id} (capacity step ${run.step.index})`;
}

/** The loud notices at the top: an incomplete file, client-bound runs, a noisy machine, clocks that disagree. */
export function renderBanners(results: ResultsFile): string {
  const banners: string[] = [];
  const incompleteRuns = results.runs.filter((run) => !run.complete);
  if (!results.complete) {
    const reason = results.interruption ?? 'no reason was recorded';
    const runs =
      incompleteRuns.length > 0 ? ` ${plural(incompleteRuns.length, 'run is', 'runs are')} marked incomplete.` : '';
    banners.push(
      '<div class="banner banner-bad" role="alert"><strong>⚠ INCOMPLETE RESULTS: the bench did not finish</strong>' +
        `<p>Reason: ${escapeHtml(reason)}. The figures below cover only what was collected before it stopped; missing runs are simply absent.${escapeHtml(runs)}</p></div>`,
    );
  } else if (incompleteRuns.length > 0) {
    banners.push(
      `<div class="banner banner-bad" role="alert"><strong>⚠ ${escapeHtml(plural(incompleteRuns.length, 'run is', 'runs are'))} incomplete</strong>` +
        `<p>${incompleteRuns.map((run) => `<code>${escapeHtml(runLabel(run))}</code>`).join(', ')}: their figures cover part of the window only.</p></div>`,
    );
  }
  const clientBound = results.runs.filter((run) => run.clientBound);
  if (clientBound.length > 0) {
    const headline =
      clientBound.length === 1
        ? "1 run was client-bound: its figures describe the lab's limit, not the server's"
        : `${formatCount(clientBound.length)} runs were client-bound: their figures describe the lab's limit, not the server's`;
    const list = clientBound
      .map((run) => {
        const reasons = run.clientBoundReasons.length > 0 ? run.clientBoundReasons.join('; ') : 'no reason recorded';
        return `<li><code>${escapeHtml(runLabel(run))}</code>: ${escapeHtml(reasons)}</li>`;
      })
      .join('');
    banners.push(
      `<div class="banner banner-warn" role="note"><strong>⚠ ${escapeHtml(headline)}</strong>` +
        '<p>The load generator, not the server, ran out of room; such figures are marked "⚠ client-bound" wherever they appear.</p>' +
        `<details><summary>Which runs, and why</summary><ul>${list}</ul></details></div>`,
    );
  }
  const noisy = noisyMachineDetail(results);
  if (noisy !== null) {
    banners.push(
      '<div class="banner banner-warn" role="note"><strong>⚠ Measured on a noisy machine</strong>' +
        `<p>${escapeHtml(noisy)}. The Environment section gives the figure; each affected run carries a note.</p></div>`,
    );
  }
  if (results.clock !== null && !results.clock.agreed) {
    banners.push(
      '<div class="banner banner-warn" role="note"><strong>⚠ The processes\' clocks disagree</strong>' +
        `<p>Largest offset ${escapeHtml(formatCount(results.clock.maxAbsOffsetUs))} µs: latencies measured across processes may be off by that much.</p></div>`,
    );
  }
  return banners.join('\n');
}

/** "6 fixed-load (3 Node, 3 browser), 3 reconnect runs, 3 capacity searches"; the client split only when browsers ran. */
function runCounts(results: ResultsFile): string {
  const fixed = results.runs.filter((run) => run.kind === 'fixed');
  const browser = fixed.filter((run) => run.client === 'browser').length;
  const reconnect = results.runs.filter((run) => run.kind === 'reconnect').length;
  return (
    `${formatCount(fixed.length)} fixed-load` +
    (browser > 0 ? ` (${formatCount(fixed.length - browser)} Node, ${formatCount(browser)} browser)` : '') +
    (reconnect > 0 ? `, ${plural(reconnect, 'reconnect run', 'reconnect runs')}` : '') +
    (results.capacity.length > 0 ? `, ${plural(results.capacity.length, 'capacity search', 'capacity searches')}` : '')
  );
}

/** One link of the table of contents: a section's id and its title. */
export interface NavEntry {
  id: string;
  label: string;
}

/** The header: title, run facts, banners and the table of contents (one link per entry of nav). */
export function renderHeader(input: ReportInput, nav: NavEntry[]): string {
  const { results } = input;
  const env = results.environment;
  const profile = profileOf(results);
  const meta = [
    ['Date', escapeHtml(formatDate(env.startedAt))],
    ['Commit', `<code>${escapeHtml(shortCommit(results))}</code>`],
    ['Profile', escapeHtml(profile ?? 'unknown')],
    ['Runs', escapeHtml(runCounts(results))],
    ['Machine', escapeHtml(`${env.cpuModel} × ${env.cpuCount}, ${formatBytes(env.totalMemoryBytes)}`)],
  ]
    .map(([label, value]) => `<span>${label} <b>${value}</b></span>`)
    .join('');
  const links = nav.map((entry) => `<a href="#${entry.id}">${escapeHtml(entry.label)}</a>`).join('');
  return [
    '<header class="report-header">',
    '<h1>pushbench report</h1>',
    '<p class="lede">WebSocket, Server-Sent Events and HTTP long polling, measured by the same lab on the same scenarios: which transport, for what?</p>',
    `<div class="meta">${meta}</div>`,
    renderBanners(results),
    `<nav class="toc" aria-label="Sections">${links}</nav>`,
    '</header>',
  ]
    .filter((part) => part !== '')
    .join('\n');
}
