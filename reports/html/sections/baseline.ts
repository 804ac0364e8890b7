/**
 * The report's "Baseline" section: this run's figures beside those of an earlier results file
 * (--baseline), run by run, as reports/compare.ts compares them: both values, the change, its
 * noise, and the verdict in words and symbols, never colour alone. It decides nothing itself.
 */
import { limitName } from '../../capacity-words.ts';
import type { CapacityResult, ResultsFile } from '../../../metrics/result-types.ts';
import { compareResults, type CapacityDelta, type Comparison, type FigureDelta, type FigureUnit, type Noise, type RunDelta, type Verdict } from '../../compare.ts';
import { formatBytes, formatCount, formatMs } from '../../format.ts';
import { formatTimestamp, profileOf, shortCommit } from './environment.ts';
import { badge, escapeHtml } from '../html.ts';

const MINUS = '−';

/** "+12.3%" / "−4.0%" / "0.0%", from a percentage. */
export function formatPercent(value: number): string {
  const rounded = Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 10) / 10;
  const text = Math.abs(rounded).toFixed(Math.abs(rounded) >= 100 ? 0 : 1);
  return `${rounded > 0 ? '+' : rounded < 0 ? MINUS : ''}${text}%`;
}

/** A figure with its unit. */
export function formatFigure(value: number, unit: FigureUnit): string {
  switch (unit) {
    case 'per-second':
      return `${formatCount(value)}/s`;
    case 'ms':
      return `${formatMs(value)} ms`;
    case 'us':
      return `${formatMs(value)} µs`;
    case 'bytes':
      return Math.abs(value) < 1024 ? `${formatMs(value)} B` : formatBytes(value);
    case 'count':
      return formatCount(value);
  }
}

/** A signed difference with its unit: "+1.2 ms", "−3,000/s". */
function formatDelta(delta: number, unit: FigureUnit): string {
  if (delta === 0) return formatFigure(0, unit);
  return `${delta > 0 ? '+' : MINUS}${formatFigure(Math.abs(delta), unit)}`;
}

/** The verdict as words and a symbol: "better ▲", "worse ▼", "within noise ≈", "not comparable". */
export function verdictText(verdict: Verdict): string {
  switch (verdict) {
    case 'better':
      return 'better ▲';
    case 'worse':
      return 'worse ▼';
    case 'within noise':
      return 'within noise ≈';
    case 'not comparable':
      return 'not comparable';
  }
}

/** One side's noise source in a word or two: "3 s", "5 repeats", "exact", "assumed". */
function noiseShort(noise: Noise): string {
  switch (noise.kind) {
    case 'measured':
      return noise.source === 'repeats' ? `${formatCount(noise.samples)} repeats` : `${formatCount(noise.samples)} s`;
    case 'exact':
      return 'exact';
    case 'assumed':
      return 'assumed';
  }
}

/** Both sides' sources, short: "3 s + 3 s", "exact"; the legend under the table says what they mean. */
function describeNoise(base: Noise, head: Noise): string {
  const a = noiseShort(base);
  const b = noiseShort(head);
  if (a === b && base.kind !== 'measured') return a;
  const of = [base, head].map((noise) => (noise.kind === 'measured' ? noise.of : undefined)).find((name) => name !== undefined);
  return `${a} + ${b}${of === undefined ? '' : ` of ${of}`}`;
}

function noiseCell(figure: FigureDelta): string {
  if (figure.noise === null || figure.base.noise === null || figure.head.noise === null) return '<td class="num">—</td>';
  const base = figure.base.value ?? 0;
  const size = base === 0 ? `±${formatFigure(figure.noise, figure.unit)}` : `±${formatPercent((figure.noise / Math.abs(base)) * 100).replace(/^\+/, '')}`;
  return `<td class="num">${escapeHtml(size)}<br><span class="muted small">${escapeHtml(describeNoise(figure.base.noise, figure.head.noise))}</span></td>`;
}

/** What the short noise sources of a table's figures mean, each said once. */
function noiseLegend(figures: FigureDelta[]): string {
  const notes = new Set<string>();
  for (const figure of figures) {
    for (const noise of [figure.base.noise, figure.head.noise]) {
      if (noise === null) continue;
      if (noise.kind === 'exact') notes.add(`${figure.label}: exact, ${noise.reason}.`);
      else if (noise.kind === 'assumed') notes.add(`${figure.label}: ±${formatCount(noise.relative * 100)} % a side assumed, ${noise.reason}.`);
      else if (noise.of !== undefined) notes.add(`${figure.label}: no per-second values of its own; the spread of the seconds’ ${noise.of} stands in.`);
    }
  }
  const items = [
    'Noise: ± the 95 % interval of the difference, both sides combined, from each side’s per-second values in its window (3 s + 3 s: seconds on each side) or its repeats.',
    ...notes,
  ];
  return `<ul class="muted small noise-legend">${items.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`;
}

function verdictCell(figure: FigureDelta): string {
  const cls = figure.verdict === 'better' || figure.verdict === 'worse' ? `change change-${figure.verdict}` : 'change change-same';
  let why = figure.reason;
  if (why === null && figure.verdict === 'within noise' && figure.limitedBy === 'minimum effect' && figure.minimumEffect !== null && figure.delta !== 0) {
    why = `below the ${formatCount(figure.minimumEffect.relative * 100)} % minimum effect`;
  }
  const note = why === null ? '' : `<span class="muted small why">${escapeHtml(why)}</span>`;
  return `<td class="${cls}">${escapeHtml(verdictText(figure.verdict))}${note}</td>`;
}

interface ValueFormats {
  /** How each side's value reads (capacity marks a lower bound). */
  head: (value: number) => string;
  base: (value: number) => string;
  /** What a missing value reads as. */
  missing: string;
}

/** Current, Baseline, Δ %, Δ, Noise, Verdict. */
function figureCells(figure: FigureDelta, formats: ValueFormats): string {
  const value = (v: number | null, format: (value: number) => string): string =>
    v === null ? `<span class="muted">${escapeHtml(formats.missing)}</span>` : escapeHtml(format(v));
  const delta = figure.delta === null ? '—' : escapeHtml(formatDelta(figure.delta, figure.unit));
  const percent = figure.relative === null ? '—' : escapeHtml(formatPercent(figure.relative * 100));
  return (
    `<td class="num">${value(figure.head.value, formats.head)}</td><td class="num">${value(figure.base.value, formats.base)}</td>` +
    `<td class="num">${percent}</td><td class="num">${delta}</td>${noiseCell(figure)}${verdictCell(figure)}`
  );
}

const COLUMNS =
  '<th scope="col" class="num">Current</th><th scope="col" class="num">Baseline</th>' +
  '<th scope="col" class="num">Δ %</th><th scope="col" class="num">Δ</th><th scope="col" class="num">Noise (95 %)</th><th scope="col">Verdict</th>';

function runRows(run: RunDelta): string {
  const flags = [
    ...(run.loadDifferences.length === 0 ? [] : [badge(`⚠ load differs: ${run.loadDifferences.join(', ')}`, 'warn')]),
    ...(run.clientBound.base ? [badge('⚠ client-bound in the baseline', 'warn')] : []),
    ...(run.clientBound.head ? [badge('⚠ client-bound in this run', 'warn')] : []),
  ];
  const group = `<tr class="group" data-run="${escapeHtml(run.id)}"><th colspan="7" scope="colgroup"><code>${escapeHtml(run.id)}</code>${flags.map((flag) => ` ${flag}`).join('')}</th></tr>`;
  const rows = run.figures.map((figure) => {
    const format = (value: number): string => formatFigure(value, figure.unit);
    return (
      `<tr><th scope="row">${escapeHtml(figure.label)} <span class="muted small">(${figure.better} is better)</span></th>` +
      figureCells(figure, { head: format, base: format, missing: 'not measured' }) +
      '</tr>'
    );
  });
  return [group, ...rows].join('\n');
}

function runTable(runs: RunDelta[], caption: string): string {
  return (
    `<div class="table-wrap"><table class="baseline"><caption>${escapeHtml(caption)}</caption>\n` +
    `<thead><tr><th scope="col">Figure</th>${COLUMNS}</tr></thead>\n<tbody>\n` +
    runs.map(runRows).join('\n') +
    '\n</tbody></table></div>' +
    noiseLegend(runs.flatMap((run) => run.figures))
  );
}

function sustainedText(result: CapacityResult): (value: number) => string {
  // All steps passed: the capacity is at least the highest step, not exactly it.
  return (value) => `${result.stopReason === 'all-steps-passed' ? '≥ ' : ''}${formatCount(value)}/s`;
}

function outcome(result: CapacityResult): string {
  switch (result.stopReason) {
    case 'slo-broken': {
      const limit = limitName(result);
      const at = `${result.sustained === null ? 'even ' : ''}broke at ${formatCount(result.broke?.offeredDeliveriesPerSec)}/s`;
      return limit === null ? at : `${at} (limit: ${limit})`;
    }
    case 'client-bound':
      return 'client-bound (server limit not reached)';
    case 'all-steps-passed':
      return 'all steps passed';
    case 'interrupted':
      return 'interrupted';
    case 'failed':
      return 'failed';
  }
}

function capacityTable(capacity: CapacityDelta[]): string {
  if (capacity.length === 0) return '';
  const rows = capacity.map((entry) => {
    const cells = figureCells(entry.sustained, { head: sustainedText(entry.head), base: sustainedText(entry.base), missing: 'none sustained' });
    return (
      `<tr><th scope="row"><code>${escapeHtml(entry.id)}</code></th>${cells}` +
      `<td>${escapeHtml(outcome(entry.head))}<br><span class="muted small">before: ${escapeHtml(outcome(entry.base))}</span></td></tr>`
    );
  });
  return (
    '<div class="table-wrap"><table class="baseline capacity"><caption>Capacity: deliveries/s sustained within the SLO (higher is better)</caption>\n' +
    `<thead><tr><th scope="col">Search</th>${COLUMNS}<th scope="col">Outcome</th></tr></thead>\n<tbody>\n` +
    rows.join('\n') +
    '\n</tbody></table></div>' +
    noiseLegend(capacity.map((entry) => entry.sustained))
  );
}

function unmatched(title: string, ids: string[]): string {
  if (ids.length === 0) return '';
  return `<p><b>${escapeHtml(title)}</b> (${escapeHtml(formatCount(ids.length))}): ${ids
    .map((id) => `<code>${escapeHtml(id)}</code>`)
    .join(', ')}</p>`;
}

function allFigures(comparison: Comparison): FigureDelta[] {
  return [...comparison.runs.flatMap((run) => run.figures), ...comparison.capacity.map((entry) => entry.sustained)];
}

function tally(comparison: Comparison): string {
  const all = allFigures(comparison);
  const count = (verdict: Verdict): number => all.filter((figure) => figure.verdict === verdict).length;
  const parts = (['better', 'worse', 'within noise'] as const).map((verdict) => `${formatCount(count(verdict))} ${verdictText(verdict)}`);
  const notComparable = count('not comparable');
  if (notComparable > 0) parts.push(`${formatCount(notComparable)} not comparable`);
  return parts.join(', ');
}

function notable(comparison: Comparison, verdict: 'better' | 'worse'): string {
  const items = comparison.runs
    .filter((run) => run.kind === 'fixed')
    .flatMap((run) => run.figures.map((figure) => ({ run: run.id, figure })))
    .filter((item) => item.figure.verdict === verdict && item.figure.relative !== null)
    .sort((a, b) => Math.abs(b.figure.relative ?? 0) - Math.abs(a.figure.relative ?? 0))
    .slice(0, 3);
  if (items.length === 0) return '';
  const list = items
    .map((item) => `<code>${escapeHtml(item.run)}</code> ${escapeHtml(item.figure.label.toLowerCase())} ${escapeHtml(formatPercent((item.figure.relative ?? 0) * 100))}`)
    .join('; ');
  return `<li>${verdict === 'worse' ? 'Largest regressions (worse ▼)' : 'Largest improvements (better ▲)'}: ${list}</li>`;
}

function banner(title: string, items: string[], after: string): string {
  if (items.length === 0) return '';
  return (
    `<div class="banner banner-warn" role="note"><strong>⚠ ${escapeHtml(title)}</strong>` +
    `<ul>${items.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul><p>${escapeHtml(after)}</p></div>`
  );
}

/** The section for a comparison computed by reports/compare.ts; `baseline` is the file it compared against. */
export function renderComparison(comparison: Comparison, baseline: ResultsFile): string {
  const env = baseline.environment;
  const parts: string[] = ['<section id="baseline">', '<h2>Baseline</h2>'];
  parts.push(
    `<p class="lede">This run compared with the baseline of commit <code>${escapeHtml(shortCommit(baseline))}</code>, ` +
      `started ${escapeHtml(formatTimestamp(env.startedAt))}, profile ${escapeHtml(profileOf(baseline) ?? 'unknown')}. ` +
      'Runs are matched by id. A change reads as better ▲ or worse ▼ only when it is beyond both its noise and the minimum effect ' +
      `of ${escapeHtml(formatCount(comparison.minimumEffect * 100))} %; otherwise it is within noise ≈. ` +
      'The noise is the 95 % interval of each side’s figure, from its per-second values in the measured window (or its repeats), ' +
      'both sides combined; a figure without per-second values says what stands in for them. ' +
      'Δ is current minus baseline; ▲ marks a change for the better whichever way the number moved.</p>',
  );
  parts.push(
    banner('Not like for like: the two files were measured differently', comparison.environmentDifferences, 'Differences below may come from the environment rather than the code.'),
    banner('The machine was busy', comparison.caveats, 'Per-second noise does not capture another process coming and going between runs: repeat both runs on a quiet machine before trusting a verdict.'),
  );
  if (comparison.runs.length === 0 && comparison.capacity.length === 0) {
    parts.push('<p><b>No run of this file has a match in the baseline</b>: nothing to compare.</p>');
  } else {
    parts.push(
      `<ul class="tally"><li>Across ${escapeHtml(formatCount(comparison.runs.length))} matched runs: ${escapeHtml(tally(comparison))}.</li>` +
        notable(comparison, 'worse') +
        notable(comparison, 'better') +
        '</ul>',
    );
  }
  const fixed = comparison.runs.filter((run) => run.kind === 'fixed');
  const steps = comparison.runs.filter((run) => run.kind === 'capacity-step');
  const reconnect = comparison.runs.filter((run) => run.kind === 'reconnect');
  if (fixed.length > 0) parts.push(runTable(fixed, 'Fixed-load runs: key figures, current vs baseline'));
  if (reconnect.length > 0) parts.push(runTable(reconnect, 'Reconnect runs (browser clients): key figures, current vs baseline'));
  parts.push(capacityTable(comparison.capacity));
  if (steps.length > 0) {
    parts.push(
      `<details><summary>Capacity steps, run by run (${escapeHtml(formatCount(steps.length))})</summary>` +
        runTable(steps, 'Capacity steps: key figures, current vs baseline') +
        '</details>',
    );
  }
  parts.push(
    unmatched('Runs only in this file', comparison.onlyInHead.map((run) => run.id)),
    unmatched('Runs only in the baseline', comparison.onlyInBase.map((run) => run.id)),
    unmatched('Capacity searches only in this file', comparison.capacityOnlyInHead),
    unmatched('Capacity searches only in the baseline', comparison.capacityOnlyInBase),
    '</section>',
  );
  return parts.filter((part) => part !== '').join('\n');
}

/** The whole "Baseline" section: `current` compared with `baseline`. */
export function renderBaseline(current: ResultsFile, baseline: ResultsFile): string {
  return renderComparison(compareResults(baseline, current), baseline);
}
