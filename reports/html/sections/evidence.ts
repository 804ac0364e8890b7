/**
 * The report's "Evidence" section: every chart builder's sections, each chart with its reading,
 * caveats, canvas and the table of its numbers (or, for a chart that could not be drawn, why).
 */
import { CHART_BUILDERS } from '../charts/index.ts';
import { badge, escapeHtml, flagBadge, renderTable, slug } from '../html.ts';
import type { ChartBuilder, ChartSection, ReportInput } from '../types.ts';

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
export function sectionIds(sections: ChartSection[]): string[] {
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

/** The whole section: every chart section in order, under the DOM ids sectionIds gave them (the chart data uses the same ids). */
export function renderEvidence(sections: ChartSection[], ids: string[]): string {
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
