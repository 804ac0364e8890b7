/**
 * The report's stylesheet: light, readable, print-friendly, no external resources (system fonts,
 * no url()). Badges and banners always carry words; colour only underlines them.
 */
export const REPORT_CSS = String.raw`
:root {
  --text: #1f2328;
  --muted: #59636e;
  --faint: #818b98;
  --border: #d1d9e0;
  --rule: #e7ebef;
  --bg: #ffffff;
  --subtle: #f6f8fa;
  --accent: #0b5cad;
  --best-bg: #dcf5e3; --best-fg: #0f5b26; --best-border: #8fd3a4;
  --warn-bg: #fff5cc; --warn-fg: #6b4500; --warn-border: #e6c34d;
  --bad-bg: #ffe9e7; --bad-fg: #9a1020; --bad-border: #f1a3a0;
  --info-bg: #e8f1fb; --info-fg: #0b4a8b; --info-border: #a9c8ea;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0;
  background: var(--bg);
  color: var(--text);
  font: 15px/1.55 var(--sans);
}
.page { max-width: 1200px; margin: 0 auto; padding: 24px 28px 64px; }
h1, h2, h3, h4 { line-height: 1.25; margin: 0; }
h1 { font-size: 28px; font-weight: 700; letter-spacing: -0.01em; }
h2 {
  font-size: 22px; font-weight: 650;
  margin: 48px 0 12px; padding-bottom: 6px;
  border-bottom: 2px solid var(--text);
}
h3 { font-size: 17px; font-weight: 650; margin: 28px 0 6px; }
h4 { font-size: 15px; font-weight: 650; margin: 18px 0 6px; }
p { margin: 8px 0; }
code, pre, .mono { font-family: var(--mono); font-size: 0.9em; }
pre {
  background: var(--subtle); border: 1px solid var(--rule); border-radius: 6px;
  padding: 10px 12px; overflow-x: auto; white-space: pre-wrap; word-break: break-word;
}
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.muted { color: var(--muted); }
.small { font-size: 13px; }
.lede { color: var(--muted); max-width: 96ch; }

/* Header */
header.report-header { border-bottom: 1px solid var(--border); padding-bottom: 14px; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 22px; margin-top: 8px; color: var(--muted); font-size: 14px; }
.meta b { color: var(--text); font-weight: 600; }
nav.toc { display: flex; flex-wrap: wrap; gap: 4px 18px; margin-top: 12px; font-size: 14px; }
nav.toc a { padding: 2px 0; }

/* Banners */
.banner {
  margin: 14px 0 0; padding: 12px 14px; border-radius: 6px;
  border: 1px solid; border-left-width: 6px;
}
.banner strong { display: block; font-size: 15px; margin-bottom: 2px; }
.banner p { margin: 4px 0 0; }
.banner ul { margin: 6px 0 0; padding-left: 20px; }
.banner details { margin-top: 6px; }
.banner-bad { background: var(--bad-bg); color: var(--bad-fg); border-color: var(--bad-border); }
.banner-warn { background: var(--warn-bg); color: var(--warn-fg); border-color: var(--warn-border); }
.banner-info { background: var(--info-bg); color: var(--info-fg); border-color: var(--info-border); }

/* Badges: words first, colour second */
.badge {
  display: inline-block; white-space: nowrap;
  font-size: 12px; font-weight: 600; line-height: 1.5;
  padding: 0 7px; border-radius: 999px; border: 1px solid;
  vertical-align: 1px;
}
.badge-best { background: var(--best-bg); color: var(--best-fg); border-color: var(--best-border); }
.badge-good { background: var(--best-bg); color: var(--best-fg); border-color: var(--best-border); }
.badge-warn { background: var(--warn-bg); color: var(--warn-fg); border-color: var(--warn-border); }
.badge-bad { background: var(--bad-bg); color: var(--bad-fg); border-color: var(--bad-border); }
.badge-info { background: var(--info-bg); color: var(--info-fg); border-color: var(--info-border); }
.badge-muted { background: var(--subtle); color: var(--muted); border-color: var(--border); border-style: dashed; font-weight: 500; }

/* Tables */
.table-wrap { overflow-x: auto; margin: 10px 0 6px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: 0 0 6px; color: var(--text); }
th, td { padding: 6px 10px; text-align: left; vertical-align: top; border-bottom: 1px solid var(--rule); }
thead th {
  font-size: 12.5px; font-weight: 650; color: var(--muted);
  border-bottom: 2px solid var(--border); vertical-align: bottom;
}
tbody th { font-weight: 600; }
tbody tr:hover { background: #fafbfc; }
.num, td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.empty { color: var(--muted); font-style: italic; }
table.kv, table.config { width: auto; min-width: 50%; }
table.kv th { width: 1%; white-space: nowrap; color: var(--muted); font-weight: 500; }
tr.group th {
  background: var(--subtle); color: var(--text); font-size: 13.5px; font-weight: 650;
  border-top: 1px solid var(--border);
}

/* The answer */
ul.summary { list-style: none; padding: 0; margin: 12px 0; }
ul.summary li {
  padding: 10px 14px; margin: 8px 0; border-radius: 6px;
  background: var(--subtle); border: 1px solid var(--rule); font-size: 16px;
}
.scenario-load { color: var(--muted); font-size: 14px; margin: 2px 0 8px; }
table.verdict { font-size: 14.5px; }
table.verdict thead th { text-align: right; }
table.verdict thead th:first-child { text-align: left; }
table.verdict th .unit, table.verdict th .direction { display: block; font-weight: 500; color: var(--faint); font-size: 11.5px; }
table.verdict tbody th { white-space: nowrap; }
table.verdict tbody th .code { display: block; font-weight: 400; color: var(--muted); font-size: 12px; font-family: var(--mono); }
table.verdict td { text-align: right; font-variant-numeric: tabular-nums; }
table.verdict td .figure { font-size: 15.5px; font-weight: 500; white-space: nowrap; }
table.verdict td .badges { display: flex; flex-direction: column; align-items: flex-end; gap: 3px; margin-top: 4px; }
table.verdict td.best { background: #f3fbf5; }
table.verdict td.best .figure { font-weight: 700; }
ul.margins { margin: 4px 0 0; padding-left: 20px; color: var(--text); font-size: 14px; }
ul.margins li { margin: 2px 0; }
ul.margins .crit { font-weight: 600; }

/* Comparison */
table.comparison td .claim { font-weight: 500; }
table.comparison td .evidence { font-size: 12.5px; color: var(--muted); margin-top: 3px; }
table.comparison td.not-measured .claim { color: var(--muted); }
table.comparison tbody th { width: 18%; }

/* Evidence */
figure.chart, section.chart-missing {
  margin: 28px 0 0; padding: 16px 18px 10px; border: 1px solid var(--border); border-radius: 8px;
  break-inside: avoid; page-break-inside: avoid;
}
figure.chart h3, section.chart-missing h3 { margin: 0 0 4px; }
p.reading { margin: 2px 0 8px; font-size: 15px; }
ul.flags { list-style: none; padding: 0; margin: 6px 0; display: flex; flex-wrap: wrap; gap: 6px; }
/* A long flag (a step's client-bound reasons) wraps inside its badge instead of widening the page. */
ul.flags li { max-width: 100%; }
ul.flags .badge { white-space: normal; }
.chart-box { position: relative; height: 320px; margin: 8px 0; }
.chart-box canvas { display: block; }
p.chart-error, p.missing-reason {
  padding: 12px 14px; border-radius: 6px; background: var(--subtle); border: 1px dashed var(--border); color: var(--muted);
}
section.chart-missing { background: #fcfcfd; }
details { margin: 6px 0; }
details > summary { cursor: pointer; color: var(--accent); font-size: 14px; font-weight: 500; }
details[open] > summary { margin-bottom: 4px; }

/* Baseline */
td.change { white-space: nowrap; font-weight: 600; }
td.change-better { color: var(--best-fg); }
td.change-worse { color: var(--bad-fg); }
td.change-same { color: var(--muted); font-weight: 500; }
td.change .why { display: block; white-space: normal; font-weight: 400; min-width: 14em; }

footer { margin-top: 56px; padding-top: 12px; border-top: 1px solid var(--border); color: var(--muted); font-size: 13px; }

@media (max-width: 720px) {
  body { font-size: 14px; }
  .page { padding: 16px 14px 40px; }
  h1 { font-size: 23px; }
  h2 { font-size: 19px; margin-top: 36px; }
  th, td { padding: 5px 7px; }
  .chart-box { height: 260px; }
  table.kv, table.config { min-width: 100%; }
}

@media print {
  @page { margin: 14mm 12mm; }
  body { font-size: 11pt; background: #fff; }
  .page { max-width: none; padding: 0; }
  nav.toc { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; margin-top: 24pt; }
  h3, h4, caption { break-after: avoid; page-break-after: avoid; }
  tr, .banner, ul.summary li { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  tbody tr:hover { background: none; }
  .table-wrap { overflow: visible; }
  details > summary { color: var(--text); }
  a { color: inherit; }
  .chart-box { height: 260px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;
