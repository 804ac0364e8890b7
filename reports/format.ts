/**
 * How the renderers write numbers (the terminal summary, the HTML report, progress lines): counts
 * with separators, milliseconds to three significant digits, sizes with their unit. A missing
 * figure is "-", never 0.
 */

/** How every renderer writes a figure that was not measured: never 0. */
export const MISSING = '-';

/** A number that can be shown: not null, undefined, NaN or infinite. */
export const usable = (value: number | null | undefined): value is number =>
  typeof value === 'number' && Number.isFinite(value);

/** A count or rate, rounded, with thousands separators: 301241.6 -> "301,242". null -> "-". */
export function formatCount(value: number | null | undefined): string {
  if (!usable(value)) return MISSING;
  return String(Math.round(value)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Three significant digits (0.512, 21.4, 305), whole numbers with separators from 1,000 up, and
 * never finer than a microsecond (0.0123 -> "0.012"). null -> "-", never 0.
 */
export function formatMs(value: number | null | undefined): string {
  if (!usable(value)) return MISSING;
  if (value === 0) return '0';
  const rounded = Number(value.toPrecision(3));
  const size = Math.abs(rounded);
  if (size >= 1000) return formatCount(value);
  return rounded.toFixed(size >= 100 ? 0 : size >= 10 ? 1 : size >= 1 ? 2 : 3);
}

const BYTE_UNITS = ['KB', 'MB', 'GB', 'TB'] as const;

/** A size with its unit, 1 KB = 1024 B: 512 -> "512 B", 12_595 -> "12.3 KB". null -> "-". */
export function formatBytes(value: number | null | undefined): string {
  if (!usable(value)) return MISSING;
  if (Math.abs(value) < 1024) return `${formatCount(value)} B`;
  let scaled = value / 1024;
  let unit = 0;
  while (Math.abs(scaled) >= 1024 && unit < BYTE_UNITS.length - 1) {
    scaled /= 1024;
    unit++;
  }
  return `${formatMs(scaled)} ${BYTE_UNITS[unit]}`;
}

/** A count in three significant digits with k or M, for figures shown with their range: 130241 -> "130k", 1234567 -> "1.23M". */
export function formatCompactCount(value: number | null | undefined): string {
  if (!usable(value)) return MISSING;
  const size = Math.abs(value);
  if (size >= 999_500) return `${Number((value / 1e6).toPrecision(3))}M`;
  if (size >= 1000) return `${Number((value / 1e3).toPrecision(3))}k`;
  return formatCount(value);
}
