/**
 * How each transport looks on a chart: one colour, point style, point size and dash pattern per
 * transport (Okabe-Ito colours, safe for colour-blind readers; the point style and dash are a second
 * cue so colour is never the only one), and the colours of marks that are not a transport.
 *
 * Plain JSON values only: chart configs must survive JSON.stringify into the page.
 */
import type { TransportName } from '../../../scenarios/constants.ts';

/** Okabe-Ito blue, orange and bluish green. */
export const TRANSPORT_COLORS: Record<TransportName, string> = {
  ws: '#0072B2',
  sse: '#E69F00',
  'long-poll': '#009E73',
};

/** chart.js point styles: a second cue besides colour. */
export const TRANSPORT_POINT_STYLES: Record<TransportName, string> = {
  ws: 'circle',
  sse: 'rect',
  'long-poll': 'triangle',
};

/** Point sizes: a larger mark for each later transport, so coinciding marks nest instead of hiding. */
export const TRANSPORT_POINT_RADII: Record<TransportName, number> = {
  ws: 4,
  sse: 5,
  'long-poll': 6,
};

/** Line dash patterns: a third cue on line charts (solid, dashed, dotted). */
export const TRANSPORT_DASHES: Record<TransportName, number[]> = {
  ws: [],
  sse: [8, 4],
  'long-poll': [2, 3],
};

/** Colours for marks that are not a transport (Okabe-Ito black, vermillion, reddish purple; a neutral grey). */
export const MARK_COLORS = {
  capacity: '#000000',
  broke: '#D55E00',
  clientBound: '#CC79A7',
  reference: '#999999',
  window: 'rgba(0, 0, 0, 0.07)',
} as const;

/** "#0072B2" at alpha 0.35 -> "rgba(0, 114, 178, 0.35)". */
export function translucent(hex: string, alpha: number): string {
  const value = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(value >> 16) & 255}, ${(value >> 8) & 255}, ${value & 255}, ${alpha})`;
}
