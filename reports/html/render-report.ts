/**
 * The report: results (and an optional baseline) in, one self-contained HTML string out (pure).
 *
 * The page answers "which transport, for what?" first (verdict tables per scenario), then sets the
 * usual claims beside this run's evidence, then shows every chart with its numbers, the baseline
 * comparison and the environment. Nothing is fetched: chart.js, the styles, the chart data and the
 * page script are all inline, and a Content-Security-Policy forbids any network access.
 */
import { TRANSPORTS, type TransportName } from '../../scenarios/constants.ts';
import type { ResultsFile, RunRecord, ScenarioName } from '../../metrics/result-types.ts';
import { formatBytes, formatCount } from '../terminal.ts';
import { renderBaseline } from './baseline.ts';
import { CHART_BUILDERS } from './charts/index.ts';
import { comparisonRows } from './comparison.ts';
import { formatDate, profileOf, renderEnvironment, shortCommit } from './environment.ts';
import { badge, escapeHtml, escapeScriptSource, flagBadge, flagKind, joinWords, jsonForScript, renderTable, slug } from './html.ts';
import { CHART_DATA_ID, PAGE_SCRIPT } from './page-script.ts';
import { REPORT_CSS } from './style.ts';
import type { ChartBuilder, ChartSection, ComparisonRow, ReportInput, Verdict, VerdictCriterion, VerdictFigure } from './types.ts';
import { verdicts } from './verdict.ts';

export { FORMATTER_NAMES, type FormatterName } from './page-script.ts';

export interface ReportAssets {
  /** chart.js's UMD build, inlined so the file opens offline. */
  chartJs: string;
}

/** What the page is built from besides the results: computed by verdict.ts, comparison.ts and the chart builders. */
export interface ReportParts {
  verdicts: Verdict[];
  comparison: ComparisonRow[];
  sections: ChartSection[];
}

export const TRANSPORT_LABELS: Record<TransportName, string> = {
  ws: 'WebSocket',
  sse: 'Server-Sent Events',
  'long-poll': 'Long polling',
};

const SCENARIO_LABELS: Record<ScenarioName, string> = { feed: 'Feed', chat: 'Chat' };

const SCENARIO_INTROS: Record<ScenarioName, string> = {
  feed: 'Server push to many subscribers: every subscriber receives every published message (prices, scores, notifications).',
  chat: 'Rooms whose members both send and receive: each message goes to the other members of its room, and the sender measures its own round trip.',
};

const scenarioLabel = (scenario: string): string => SCENARIO_LABELS[scenario as ScenarioName] ?? scenario;
const transportLabel = (transport: string): string => TRANSPORT_LABELS[transport as TransportName] ?? transport;
const plural = (count: number, one: string, many: string): string => `${formatCount(count)} ${count === 1 ? one : many}`;

// ---------------------------------------------------------------------------------------------
// Header and banners.

function runLabel(run: RunRecord): string {
  return run.step === null ? run.id : `${run.id} (capacity step ${run.step.index})`;
}

/** The loud notices at the top: an incomplete file, client-bound runs, clocks that disagree. */
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
  if (results.clock !== null && !results.clock.agreed) {
    banners.push(
      '<div class="banner banner-warn" role="note"><strong>⚠ The processes\' clocks disagree</strong>' +
        `<p>Largest offset ${escapeHtml(formatCount(results.clock.maxAbsOffsetUs))} µs: latencies measured across processes may be off by that much.</p></div>`,
    );
  }
  return banners.join('\n');
}

interface NavEntry {
  id: string;
  label: string;
}

function renderHeader(input: ReportInput, nav: NavEntry[]): string {
  const { results } = input;
  const env = results.environment;
  const profile = profileOf(results);
  const fixedRuns = results.runs.filter((run) => run.kind === 'fixed').length;
  const meta = [
    ['Date', escapeHtml(formatDate(env.startedAt))],
    ['Commit', `<code>${escapeHtml(shortCommit(results))}</code>`],
    ['Profile', escapeHtml(profile ?? 'unknown')],
    [
      'Runs',
      escapeHtml(
        `${formatCount(fixedRuns)} fixed-load` +
          (results.capacity.length > 0 ? `, ${plural(results.capacity.length, 'capacity search', 'capacity searches')}` : ''),
      ),
    ],
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

// ---------------------------------------------------------------------------------------------
// The answer: verdicts.

/** "Delivery latency (p99)" -> "delivery latency (p99)"; "CPU per 1k" stays as it is. */
function inSentence(label: string): string {
  if (label.length > 1 && /^[A-Z][a-z]/.test(label)) return label.charAt(0).toLowerCase() + label.slice(1);
  return label;
}

/**
 * One sentence per scenario, from the verdict only: who wins what, where nobody does, and whether
 * any figure carries a caveat. "Feed: ws wins on delivery latency (p99) and server CPU; long-poll
 * on capacity; no clear winner on bytes per message."
 */
export function summarySentence(verdict: Verdict): string {
  const name = scenarioLabel(verdict.scenario);
  if (verdict.criteria.length === 0) return `${name}: no criterion could be measured.`;
  if (verdict.transports.length < 2) {
    const only = verdict.transports[0];
    return only === undefined
      ? `${name}: no transport was measured.`
      : `${name}: only ${only} was measured, so there is nothing to compare it with.`;
  }
  const wins = new Map<TransportName, string[]>();
  const open: string[] = [];
  for (const criterion of verdict.criteria) {
    if (criterion.winner === null) open.push(inSentence(criterion.label));
    else wins.set(criterion.winner, [...(wins.get(criterion.winner) ?? []), inSentence(criterion.label)]);
  }
  const order = (transport: TransportName): number => TRANSPORTS.indexOf(transport);
  const winners = [...wins.entries()].sort((a, b) => b[1].length - a[1].length || order(a[0]) - order(b[0]));
  const clauses = winners.map(([transport, labels], i) => `${transport}${i === 0 ? ' wins' : ''} on ${joinWords(labels)}`);
  if (open.length > 0) clauses.push(`${clauses.length === 0 ? 'No clear winner' : 'no clear winner'} on ${joinWords(open)}`);
  let sentence = `${name}: ${clauses.join('; ')}.`;
  if (winners.length === 1 && open.length === 0) {
    const [winner] = winners[0] ?? [];
    sentence = `${name}: ${winner ?? ''} wins on every criterion (${joinWords(verdict.criteria.map((c) => inSentence(c.label)))}).`;
  }
  const flagged = new Set(
    verdict.criteria
      .flatMap((criterion) => Object.values(criterion.figures).flatMap((figure) => figure?.flags ?? []))
      .filter((flag) => flagKind(flag) !== 'info'),
  );
  if (flagged.size > 0) sentence += ` Some figures carry caveats (${joinWords([...flagged])}): see the ⚠ marks.`;
  return sentence;
}

/** The loads a scenario ran at (fixed-load runs), in words. */
function scenarioLoad(results: ResultsFile, scenario: ScenarioName): string {
  const runs = results.runs.filter((run) => run.scenario === scenario && run.kind === 'fixed');
  if (runs.length === 0) return '';
  const describe = (run: RunRecord): string => {
    const load = run.load;
    const offered = `${formatCount(load.offeredDeliveriesPerSec)} deliveries/s offered`;
    if (scenario === 'chat' && load.rooms !== null && load.membersPerRoom !== null) {
      return (
        `${formatCount(load.rooms)} rooms × ${formatCount(load.membersPerRoom)} members, each sending ` +
        `${formatCount(load.sendRatePerMember)} messages/s, ${formatCount(load.payloadBytes)} B payload (${offered})`
      );
    }
    return (
      `${plural(load.connections, 'subscriber', 'subscribers')}, ${formatCount(load.publishRatePerSec)} messages/s each, ` +
      `${formatCount(load.payloadBytes)} B payload (${offered})`
    );
  };
  const loads = [...new Set(runs.map(describe))];
  const encodings = [...new Set(runs.map((run) => run.encoding))];
  const clients = [...new Set(runs.map((run) => run.client))];
  const window = runs[0] === undefined ? '' : `; ${formatCount(runs[0].load.durationMs / 1000)} s measured per run`;
  return `Load: ${loads.join(' / ')}; ${encodings.join(' and ')} encoding; ${clients.join(' and ')} clients${window}.`;
}

function figureCell(criterion: VerdictCriterion, transport: TransportName): string {
  const figure: VerdictFigure | undefined = criterion.figures[transport];
  const best = criterion.winner === transport;
  const badges: string[] = [];
  if (best) badges.push(badge('best', 'best'));
  let text: string;
  if (figure === undefined) {
    text = '<span class="muted">—</span>';
    badges.push(badge('not measured', 'muted'));
  } else {
    text = figure.value === null ? `<span class="muted">${escapeHtml(figure.text)}</span>` : escapeHtml(figure.text);
    badges.push(...figure.flags.map(flagBadge));
  }
  const badgeHtml = badges.length > 0 ? `<span class="badges">${badges.join(' ')}</span>` : '';
  return `<td${best ? ' class="best"' : ''} data-criterion="${escapeHtml(criterion.id)}"><span class="figure">${text}</span>${badgeHtml}</td>`;
}

function criterionHeader(criterion: VerdictCriterion): string {
  const unit = criterion.unit === '' ? '' : `<span class="unit">${escapeHtml(criterion.unit)}</span>`;
  return `<th scope="col">${escapeHtml(criterion.label)}${unit}<span class="direction">${criterion.better} is better</span></th>`;
}

/** One scenario's verdict: rows = transports, columns = criteria, the best cell badged "best". */
export function renderVerdictTable(verdict: Verdict): string {
  const head = `<tr><th scope="col">Transport</th>${verdict.criteria.map(criterionHeader).join('')}</tr>`;
  const rows = verdict.transports.map(
    (transport) =>
      `<tr data-transport="${escapeHtml(transport)}"><th scope="row">${escapeHtml(transportLabel(transport))}` +
      `<span class="code">${escapeHtml(transport)}</span></th>` +
      verdict.criteria.map((criterion) => figureCell(criterion, transport)).join('') +
      '</tr>',
  );
  const caption = `${scenarioLabel(verdict.scenario)}: each transport (rows) on each criterion (columns)`;
  return (
    `<div class="table-wrap"><table class="verdict" data-scenario="${escapeHtml(verdict.scenario)}"><caption>${escapeHtml(caption)}</caption>\n` +
    `<thead>${head}</thead>\n<tbody>\n${rows.join('\n')}\n</tbody></table></div>`
  );
}

/** Under the table: per criterion, who won and by how much (or why nobody did). */
function renderMargins(verdict: Verdict): string {
  const items = verdict.criteria.map((criterion) => {
    const label = `<span class="crit">${escapeHtml(criterion.label)}</span>`;
    const margin = criterion.margin.trim();
    if (criterion.winner === null) return `<li>${label}: no winner${margin === '' ? '' : ` (${escapeHtml(margin)})`}</li>`;
    const winner = `<b>${escapeHtml(criterion.winner)}</b>`;
    // Margins usually start with the winner's name ("ws: 29 % lower than sse"): bold it rather than repeat it.
    if (margin.startsWith(criterion.winner)) return `<li>${label}: ${winner}${escapeHtml(margin.slice(criterion.winner.length))}</li>`;
    return `<li>${label}: ${winner} best${margin === '' ? '' : `, ${escapeHtml(margin)}`}</li>`;
  });
  return items.length === 0 ? '' : `<ul class="margins">${items.join('')}</ul>`;
}

function renderAnswer(results: ResultsFile, list: Verdict[]): string {
  const parts = [
    '<section id="answer">',
    '<h2>The answer</h2>',
    '<p class="lede">For each scenario, every transport under the same load, criterion by criterion. ' +
      '"best" marks the winner of each criterion; "⚠" marks figures to read with care (client-bound, incomplete, lost messages).</p>',
  ];
  if (list.length === 0) {
    parts.push('<p class="muted">No verdict could be computed from these results: no scenario has figures to compare.</p>', '</section>');
    return parts.join('\n');
  }
  parts.push(`<ul class="summary">${list.map((verdict) => `<li>${escapeHtml(summarySentence(verdict))}</li>`).join('')}</ul>`);
  for (const verdict of list) {
    const scenario = verdict.scenario;
    const intro = SCENARIO_INTROS[scenario] ?? '';
    const load = scenarioLoad(results, scenario);
    parts.push(
      `<h3 id="answer-${escapeHtml(slug(scenario))}">${escapeHtml(scenarioLabel(scenario))}</h3>`,
      intro === '' ? '' : `<p>${escapeHtml(intro)}</p>`,
      load === '' ? '' : `<p class="scenario-load">${escapeHtml(load)}</p>`,
      verdict.criteria.length === 0 ? '<p class="muted">No criterion could be measured for this scenario.</p>' : renderVerdictTable(verdict),
      renderMargins(verdict),
    );
  }
  parts.push('</section>');
  return parts.filter((part) => part !== '').join('\n');
}

// ---------------------------------------------------------------------------------------------
// WebSocket vs SSE vs long polling.

/** The seed notes' claims (rows = features, columns = transports), each with this run's evidence. */
export function renderComparison(rows: ComparisonRow[]): string {
  const parts = [
    '<section id="comparison">',
    '<h2>WebSocket vs SSE vs long polling</h2>',
    '<p class="lede">The usual claims about each transport, and under each claim what this run measured for it. ' +
      'Claims this run could not check are marked "not measured in this run".</p>',
  ];
  if (rows.length === 0) {
    parts.push('<p class="muted">No comparison rows were computed.</p>', '</section>');
    return parts.join('\n');
  }
  const head =
    '<tr><th scope="col">Feature</th>' +
    TRANSPORTS.map((transport) => `<th scope="col">${escapeHtml(transportLabel(transport))} <span class="muted small">(${escapeHtml(transport)})</span></th>`).join('') +
    '</tr>';
  const body = rows.map((row) => {
    const cells = TRANSPORTS.map((transport) => {
      const cell = row.cells[transport];
      if (cell === undefined) return `<td class="not-measured">${badge('not measured in this run', 'muted')}</td>`;
      const measured = cell.support === 'measured';
      if (measured) {
        return `<td class="measured"><div class="claim">${escapeHtml(cell.claim)}</div><div class="evidence">${escapeHtml(cell.evidence)}</div></td>`;
      }
      // The badge says "not measured in this run"; keep only what the evidence adds to it.
      const rest = cell.evidence.trim().replace(/^not measured in this run\.?\s*/i, '');
      const why = rest === '' ? '' : ` ${escapeHtml(rest)}`;
      return (
        `<td class="not-measured"><div class="claim">${escapeHtml(cell.claim)}</div>` +
        `<div class="evidence">${badge('not measured in this run', 'muted')}${why}</div></td>`
      );
    });
    return `<tr><th scope="row">${escapeHtml(row.feature)}</th>${cells.join('')}</tr>`;
  });
  parts.push(
    '<div class="table-wrap"><table class="comparison"><caption>Claim (above) and this run\'s evidence (below), per transport</caption>\n' +
      `<thead>${head}</thead>\n<tbody>\n${body.join('\n')}\n</tbody></table></div>`,
    '</section>',
  );
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Evidence: the charts.

/** Every builder's sections, in order; a builder that throws becomes a 'missing' section saying so. */
export function chartSections(input: ReportInput, builders: ChartBuilder[] = CHART_BUILDERS): ChartSection[] {
  return builders.flatMap((builder): ChartSection[] => {
    try {
      return builder.build(input);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return [{ kind: 'missing', id: builder.id, title: builder.id, reason: `the chart builder failed: ${message}` }];
    }
  });
}

/** Unique DOM-safe ids for the sections (a repeated id gets -2, -3...). */
function sectionIds(sections: ChartSection[]): string[] {
  const seen = new Map<string, number>();
  return sections.map((section) => {
    const base = slug(section.kind === 'chart' ? section.spec.id : section.id);
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return count === 1 ? base : `${base}-${count}`;
  });
}

/** One chart (title, reading, caveats, canvas, numbers) or one missing chart (title and why). */
export function renderChartSection(section: ChartSection, domId: string = slug(section.kind === 'chart' ? section.spec.id : section.id)): string {
  if (section.kind === 'missing') {
    return (
      `<section class="chart-missing" id="fig-${escapeHtml(domId)}" data-missing="${escapeHtml(section.id)}">` +
      `<h3>${escapeHtml(section.title)}</h3>` +
      `<p class="missing-reason">${badge('not drawn', 'muted')} ${escapeHtml(section.reason)}</p></section>`
    );
  }
  const spec = section.spec;
  const flags = spec.flags.length === 0 ? '' : `<ul class="flags">${spec.flags.map((flag) => `<li>${flagBadge(flag)}</li>`).join('')}</ul>`;
  const label = `${spec.title}. ${spec.reading}`;
  return [
    `<figure class="chart" id="fig-${escapeHtml(domId)}">`,
    `<h3>${escapeHtml(spec.title)}</h3>`,
    `<p class="reading">${escapeHtml(spec.reading)}</p>`,
    flags,
    `<div class="chart-box"><canvas id="chart-${escapeHtml(domId)}" data-chart="${escapeHtml(domId)}" role="img" aria-label="${escapeHtml(label)}">` +
      'The chart needs JavaScript; its numbers are in the table below.</canvas></div>',
    `<details open><summary>The numbers behind this chart</summary>${renderTable(spec.table)}</details>`,
    '</figure>',
  ]
    .filter((part) => part !== '')
    .join('\n');
}

function renderEvidence(sections: ChartSection[], ids: string[]): string {
  const parts = [
    '<section id="evidence">',
    '<h2>Evidence</h2>',
    '<p class="lede">The measurements behind the answer. Every chart has its numbers in a table beneath it.</p>',
  ];
  if (sections.length === 0) parts.push('<p class="muted">No charts were built from these results.</p>');
  sections.forEach((section, i) => parts.push(renderChartSection(section, ids[i])));
  parts.push('</section>');
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------
// The page.

const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/**
 * chart.js ready to inline: "</script" and "<!--" escaped, and the scheme of the web addresses in
 * its licence banners dropped ("www.chartjs.org"), so the page holds no URL at all.
 */
export function inlineChartJs(source: string): string {
  const banners = source.replace(/\/\*![\s\S]*?\*\//g, (comment) => comment.replace(/\bhttps?:\/\//gi, ''));
  return escapeScriptSource(banners);
}

/** The page from parts already computed: renderReport's work, open to tests with hand-built parts. */
export function renderDocument(input: ReportInput, assets: ReportAssets, parts: ReportParts): string {
  const { results } = input;
  const ids = sectionIds(parts.sections);
  const configs: Record<string, unknown> = {};
  parts.sections.forEach((section, i) => {
    const id = ids[i];
    if (section.kind === 'chart' && id !== undefined) configs[id] = section.spec.config;
  });
  const nav: NavEntry[] = [
    { id: 'answer', label: 'The answer' },
    { id: 'comparison', label: 'WebSocket vs SSE vs long polling' },
    { id: 'evidence', label: 'Evidence' },
    ...(input.baseline === null ? [] : [{ id: 'baseline', label: 'Baseline' }]),
    { id: 'environment', label: 'Environment' },
  ];
  const title = `pushbench report, ${formatDate(results.environment.startedAt)}, ${shortCommit(results)}${results.complete ? '' : ' (INCOMPLETE)'}`;
  const body = [
    renderHeader(input, nav),
    '<main>',
    renderAnswer(results, parts.verdicts),
    renderComparison(parts.comparison),
    renderEvidence(parts.sections, ids),
    input.baseline === null ? '' : renderBaseline(results, input.baseline),
    renderEnvironment(results),
    '</main>',
    `<footer>Generated by pushbench ${escapeHtml(results.environment.labVersion)} from results.json (schema version ${escapeHtml(results.schemaVersion)}). ` +
      'This file is self-contained: it needs no network, and its charts are drawn by chart.js inlined below.</footer>',
  ].filter((part) => part !== '');
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="pushbench">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head>',
    '<body>',
    '<div class="page">',
    ...body,
    '</div>',
    `<script>${inlineChartJs(assets.chartJs)}</script>`,
    `<script type="application/json" id="${CHART_DATA_ID}">${jsonForScript(configs)}</script>`,
    `<script>${escapeScriptSource(PAGE_SCRIPT)}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** The report for results (and a baseline), as one self-contained HTML string. */
export function renderReport(input: ReportInput, assets: ReportAssets): string {
  return renderDocument(input, assets, {
    verdicts: verdicts(input),
    comparison: comparisonRows(input),
    sections: chartSections(input),
  });
}
