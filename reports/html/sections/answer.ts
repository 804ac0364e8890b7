/**
 * The report's "The answer" section: one summary sentence per scenario, then per scenario its
 * load, its verdict table (transports x criteria, the best cell badged) and the margins in words.
 */
import { TRANSPORTS, type TransportName } from '../../../scenarios/constants.ts';
import type { ResultsFile, RunRecord, ScenarioName } from '../../../metrics/result-types.ts';
import { formatCount } from '../../format.ts';
import { badge, escapeHtml, flagBadge, flagKind, joinWords, slug } from '../html.ts';
import type { Verdict, VerdictCriterion, VerdictFigure } from '../types.ts';
import { plural, scenarioLabel, transportLabel } from './labels.ts';
import { scenarioOf } from '../../../scenarios/registry.ts';

const SCENARIO_INTROS: Record<ScenarioName, string> = {
  feed: 'Server push to many subscribers: every subscriber receives every published message (prices, scores, notifications).',
  chat: 'Rooms whose members both send and receive: each message goes to the other members of its room, and the sender measures its own round trip.',
};

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

/** The loads a scenario's verdict compares (fixed-load Node-client runs), in words. */
function scenarioLoad(results: ResultsFile, scenario: ScenarioName): string {
  const runs = results.runs.filter((run) => run.scenario === scenario && run.kind === 'fixed' && run.client === 'node');
  if (runs.length === 0) return '';
  const describe = (run: RunRecord): string => {
    const load = run.load;
    const offered = `${formatCount(load.offeredDeliveriesPerSec)} deliveries/s offered`;
    if (scenarioOf(scenario).pace === 'senders' && load.rooms !== null && load.membersPerRoom !== null) {
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

/** The whole section: summary sentences, then each scenario's load, verdict table and margins. */
export function renderAnswer(results: ResultsFile, list: Verdict[]): string {
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
      verdict.basis === undefined ? '' : `<p class="verdict-basis">${escapeHtml(verdict.basis)}</p>`,
    );
  }
  parts.push('</section>');
  return parts.filter((part) => part !== '').join('\n');
}
