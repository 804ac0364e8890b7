/**
 * The connection-limit finding's page (clients/browser/connection-limit.ts drives it): opens
 * EventSources at once and times when each one opens. Open times come from the `open` event
 * itself, so how often the waits poll does not change what is measured.
 */

export interface LimitTarget {
  url: string;
  label: string;
}

export interface OpenSummary {
  opened: number;
  /** Labels of the streams the server refused (the EventSource gave up). */
  failed: string[];
}

/** `window.pushbenchLimit`. */
export interface LimitPageApi {
  /** Opens every target at once; resolves when each has opened or failed, or after waitMs. */
  open(targets: LimitTarget[], waitMs: number): Promise<OpenSummary>;
  /** Closes the first stream; resolves with ms until one that was waiting opened (null: none did within waitMs, or none waited). */
  closeFirst(waitMs: number): Promise<number | null>;
  /** Per stream, ms from its creation to its open event (null: never opened). */
  openMs(): (number | null)[];
  closeAll(): void;
}

interface Stream {
  label: string;
  createdAt: number;
  openedAt: number | null;
  failed: boolean;
  source: EventSource;
}

const POLL_MS = 5;

let streams: Stream[] = [];

function track(target: LimitTarget): Stream {
  const stream: Stream = { label: target.label, createdAt: performance.now(), openedAt: null, failed: false, source: new EventSource(target.url) };
  stream.source.onopen = () => {
    stream.openedAt ??= performance.now();
  };
  stream.source.onerror = () => {
    // CLOSED: the EventSource gave up (an HTTP error, not an event stream); a queued or dropped
    // stream stays CONNECTING and is not a failure.
    if (stream.source.readyState === EventSource.CLOSED) stream.failed = true;
  };
  return stream;
}

function until(test: () => boolean, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  return new Promise((resolve) => {
    const poll = (): void => {
      if (test() || performance.now() >= deadline) resolve();
      else setTimeout(poll, POLL_MS);
    };
    poll();
  });
}

const summary = (): OpenSummary => ({
  opened: streams.filter((stream) => stream.openedAt !== null).length,
  failed: streams.filter((stream) => stream.failed).map((stream) => stream.label),
});

const settled = (): boolean => streams.every((stream) => stream.openedAt !== null || stream.failed);

const api: LimitPageApi = {
  async open(targets, waitMs) {
    streams = targets.map(track);
    await until(settled, waitMs);
    return summary();
  },
  async closeFirst(waitMs) {
    const waiting = streams.filter((stream) => stream.openedAt === null && !stream.failed);
    streams[0]?.source.close();
    const closedAt = performance.now();
    if (waiting.length === 0) return null;
    const firstOpened = (): number | null => {
      const times = waiting.flatMap((stream) => (stream.openedAt === null ? [] : [stream.openedAt]));
      return times.length === 0 ? null : Math.min(...times);
    };
    await until(() => firstOpened() !== null, waitMs);
    const at = firstOpened();
    return at === null ? null : Math.max(0, at - closedAt);
  },
  openMs: () => streams.map((stream) => (stream.openedAt === null ? null : stream.openedAt - stream.createdAt)),
  closeAll() {
    for (const stream of streams) stream.source.close();
    streams = [];
  },
};

(window as Window & { pushbenchLimit?: LimitPageApi }).pushbenchLimit = api;
