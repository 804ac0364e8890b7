/**
 * Chromium's connections-per-origin finding in words, shared by the terminal summary and the HTML
 * report so both say the same thing. Every figure comes from the finding itself.
 */
import type { TransportName } from '../scenarios/constants.ts';
import type { ConnectionLimitFinding, ResultsFile } from '../metrics/result-types.ts';
import { formatCount, formatMs } from './format.ts';

const STREAMS: Record<TransportName, string> = {
  ws: 'WebSockets',
  sse: 'EventSources',
  'long-poll': 'long polls',
};

/** Why the lab spreads its browser clients over ports; no figure, so it holds whatever the limit measured. */
export const LAB_REMEDY =
  'This is why the lab spreads its browser SSE and long-poll clients over several ports of the same server (one origin each): ' +
  'no origin carries more streams than Chromium opens at once.';

/** The connections-per-origin findings of a file (none in files written before browser clients existed). */
export function connectionLimitFindings(results: ResultsFile): ConnectionLimitFinding[] {
  return (results.findings ?? []).filter((finding) => finding.kind === 'connections-per-origin');
}

/** 1 -> "1st", 7 -> "7th", 12 -> "12th", 23 -> "23rd". */
export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${formatCount(n)}${suffix}`;
}

/** "Chromium/142.0.7444.59" -> "Chromium 142.0.7444.59"; any other product name stays as reported. */
export function browserName(version: string): string {
  const match = /^(?:HeadlessChrome|Chromium|Chrome)\/(.+)$/.exec(version.trim());
  return match ? `Chromium ${match[1]}` : version.trim() === '' ? 'Chromium (version not recorded)' : version.trim();
}

/** 1500 -> "1.5 s", 250 -> "0.25 s". */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toPrecision(3))} s`;
}

/** Whether a stream opened within the lab's wait: null (never) and later opens did not. */
export const openedAtOnce = (openMs: number | null, waitMs: number): boolean => openMs !== null && openMs <= waitMs;

/**
 * The first stream left waiting, 0-based: the first that did not open within the wait. Chromium
 * opens in creation order, so without per-stream times it is the one after those that opened.
 */
export function firstWaiting(finding: ConnectionLimitFinding): number {
  const index = finding.openMs.findIndex((ms) => !openedAtOnce(ms, finding.waitMs));
  return index === -1 ? finding.openedAtOnce : index;
}

/**
 * "Chromium 142 opened 6 of 7 EventSources to one origin within 1.5 s; the 7th opened only 3.10 ms
 * after the first was closed. Spread over 2 origins, all 7 opened."
 */
export function connectionLimitSentence(finding: ConnectionLimitFinding): string {
  const streams = STREAMS[finding.transport] ?? 'streams';
  const within = `to one origin within ${formatSeconds(finding.waitMs)}`;
  let text: string;
  if (finding.openedAtOnce >= finding.attempted) {
    text = `${browserName(finding.browserVersion)} opened all ${formatCount(finding.attempted)} ${streams} ${within}: no stream waited`;
  } else {
    text = `${browserName(finding.browserVersion)} opened ${formatCount(finding.openedAtOnce)} of ${formatCount(finding.attempted)} ${streams} ${within}`;
    const waiting = finding.attempted - finding.openedAtOnce;
    const who = waiting === 1 ? `the ${ordinal(firstWaiting(finding) + 1)}` : `the first waiting one (the ${ordinal(firstWaiting(finding) + 1)})`;
    text +=
      finding.waitingOpenedAfterCloseMs === null
        ? `; none of the ${formatCount(waiting)} waiting opened after the first was closed`
        : `; ${who} opened only ${formatMs(finding.waitingOpenedAfterCloseMs)} ms after the first was closed`;
  }
  text += '.';
  const spread = finding.spread;
  if (spread !== null) {
    const opened = spread.opened >= spread.streams ? `all ${formatCount(spread.streams)} opened` : `only ${formatCount(spread.opened)} of ${formatCount(spread.streams)} opened`;
    text += ` Spread over ${formatCount(spread.origins)} origins, ${opened}.`;
  }
  return text;
}
