/**
 * HTML building blocks for the report: escaping, inline <script> payloads and tables. Every string
 * that comes from results.json (ids, notes, notices, hostnames, chart captions) passes through
 * escapeHtml before it reaches the page; everything here is pure.
 */
import type { DataTable } from './types.ts';

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text (or an attribute value) made safe for HTML: & < > " ' become entities. */
export function escapeHtml(value: string | number | boolean | null | undefined): string {
  return String(value ?? '').replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/**
 * JavaScript source made safe to sit between <script> and </script>: "</script" (any case) and
 * "<!--" would end the element or change how the HTML parser reads it. "\x3C" is "<" in strings,
 * template literals and regular expressions alike, and harmless in comments.
 */
export function escapeScriptSource(source: string): string {
  return source.replace(/<(?=\/script|!--)/gi, '\\x3C');
}

/**
 * A value as JSON for a <script type="application/json"> element. Every "<" becomes \u003c (a "<"
 * can only occur inside a JSON string, where the escape means the same character), so no
 * "</script" or "<!--" can appear; U+2028/U+2029 are escaped too, for good measure.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * A preformatted cell that reads as a number (optionally signed, with separators, a decimal part, a
 * percent sign or a short unit): such columns are right-aligned. "-" and "" (no value) do not
 * decide a column either way.
 */
const NUMERIC_CELL =
  /^[+\-−±~≈<>≤≥]?\s*\d[\d,]*(\.\d+)?\s*(%|x|×|ms|s|µs|us|B|KB|MB|GB|TB|\/s|cores?|conns?|KB\/conn|B\/msg)?(\s*\([^()]*\))?$/;

export function isNumericCell(text: string): boolean {
  return NUMERIC_CELL.test(text.trim());
}

const isBlankCell = (text: string): boolean => {
  const trimmed = text.trim();
  return trimmed === '' || trimmed === '-' || trimmed === '—' || trimmed === 'n/a';
};

/** Which columns hold numbers: every non-blank cell numeric and at least one such cell. */
export function numericColumns(table: DataTable): boolean[] {
  return table.columns.map((_, column) => {
    const cells = table.rows.map((row) => row[column] ?? '').filter((cell) => !isBlankCell(cell));
    return cells.length > 0 && cells.every(isNumericCell);
  });
}

export interface TableOptions {
  /** Class of the <table> element. */
  className?: string;
  /** Extra attributes, already escaped by the caller, e.g. `data-chart="x"`. */
  attributes?: string;
  /** Leave the caption out (when a heading above already says it). */
  hideCaption?: boolean;
}

/**
 * A DataTable as an HTML table: caption, a header row, one row per entry; numeric columns are
 * right-aligned (class "num"); the first cell of each row is a row header. Wrapped in a div that
 * scrolls sideways on narrow screens.
 */
export function renderTable(table: DataTable, options: TableOptions = {}): string {
  const numeric = numericColumns(table);
  const cls = (column: number): string => (numeric[column] ? ' class="num"' : '');
  const caption = options.hideCaption || table.caption === '' ? '' : `<caption>${escapeHtml(table.caption)}</caption>`;
  const head = table.columns.map((column, i) => `<th scope="col"${cls(i)}>${escapeHtml(column)}</th>`).join('');
  const body = table.rows
    .map((row) => {
      const cells = table.columns.map((_, i) => {
        const text = row[i] ?? '';
        return i === 0 ? `<th scope="row"${cls(i)}>${escapeHtml(text)}</th>` : `<td${cls(i)}>${escapeHtml(text)}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  const className = options.className ? ` class="${escapeHtml(options.className)}"` : '';
  const attributes = options.attributes ? ` ${options.attributes}` : '';
  const empty =
    table.rows.length === 0
      ? `<tr><td colspan="${Math.max(1, table.columns.length)}" class="empty">No rows.</td></tr>`
      : body;
  return (
    `<div class="table-wrap"><table${className}${attributes}>${caption}\n` +
    `<thead><tr>${head}</tr></thead>\n<tbody>\n${empty}\n</tbody></table></div>`
  );
}

/** A two-column table of labels and values; values are HTML the caller has already escaped. */
export function renderKeyValueTable(rows: [label: string, valueHtml: string][], caption?: string): string {
  const body = rows.map(([label, value]) => `<tr><th scope="row">${escapeHtml(label)}</th><td>${value}</td></tr>`).join('\n');
  const captionHtml = caption ? `<caption>${escapeHtml(caption)}</caption>` : '';
  return `<div class="table-wrap"><table class="kv">${captionHtml}\n<tbody>\n${body}\n</tbody></table></div>`;
}

export type BadgeKind = 'best' | 'warn' | 'bad' | 'muted' | 'good' | 'info';

/** A text badge: the words carry the meaning, the colour only underlines it. */
export function badge(text: string, kind: BadgeKind): string {
  return `<span class="badge badge-${kind}">${escapeHtml(text)}</span>`;
}

/** How loud a flag is: incomplete runs and lost or duplicated messages are bad, client-bound and noisy figures warn, the rest informs. */
export function flagKind(flag: string): 'bad' | 'warn' | 'info' {
  const lower = flag.toLowerCase();
  if (/incomplete|loss|lost|dropped|duplicat|reorder|fail|error|interrupt/.test(lower)) return 'bad';
  if (/client-bound|client bound|noisy|clock|warn|partial|disagree/.test(lower)) return 'warn';
  return 'info';
}

/** A figure's flag (from a verdict or a chart) as a badge; bad and warning flags get a "⚠". */
export function flagBadge(flag: string): string {
  const kind = flagKind(flag);
  return badge(kind === 'info' ? flag : `⚠ ${flag}`, kind);
}

/** "a", "a and b", "a, b and c". */
export function joinWords(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}

/** An id safe for HTML id attributes and CSS selectors: anything outside [A-Za-z0-9_-] becomes "-". */
export function slug(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  return cleaned === '' ? 'x' : cleaned;
}
