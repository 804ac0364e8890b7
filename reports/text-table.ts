/**
 * A tiny aligned-table formatter for the terminal summary: words carry the meaning, colour (ANSI,
 * when asked for) only underlines them and is applied after padding, so widths stay true.
 */

export type Style = 'bold' | 'red' | 'green' | 'yellow';
export type Paint = (text: string, style?: Style) => string;

const ANSI: Record<Style, string> = { bold: '1', red: '31', green: '32', yellow: '33' };

export function painter(color: boolean): Paint {
  return (text, style) => (color && style && text ? `\x1b[${ANSI[style]}m${text}\x1b[0m` : text);
}

export interface Cell {
  text: string;
  style?: Style;
}

export interface Column<R> {
  header: string;
  align: 'left' | 'right';
  cell: (row: R) => string | Cell;
}

export const INDENT = '  ';
const GAP = '  ';

/** Header, rule and rows, every line padded to the same width (colour is applied after padding). */
export function renderTable<R>(columns: Column<R>[], rows: R[], paint: Paint): string[] {
  const cells = rows.map((row) =>
    columns.map((column): Cell => {
      const value = column.cell(row);
      return typeof value === 'string' ? { text: value } : value;
    }),
  );
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...cells.map((row) => row[i]?.text.length ?? 0)),
  );
  const pad = (text: string, i: number): string => {
    const width = widths[i] ?? 0;
    return columns[i]?.align === 'right' ? text.padStart(width) : text.padEnd(width);
  };
  const line = (parts: string[]): string => INDENT + parts.join(GAP);
  return [
    line(columns.map((column, i) => paint(pad(column.header, i), 'bold'))),
    line(widths.map((width) => '-'.repeat(width))),
    ...cells.map((row) => line(row.map((cell, i) => paint(pad(cell.text, i), cell.style)))),
  ];
}
