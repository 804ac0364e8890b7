/**
 * The browser clients' page bundle (built by clients/browser/page-bundle.ts): defines
 * `window.pushbench` (page-protocol.ts PageApi), through which the browser worker starts this
 * page's clients, opens windows and collects what they recorded. Ticks and errors reach the driver
 * through `window.pushbenchReport`, in batches.
 */
import type { PageApi, PageGlobals, PagePlan, PageReportBatch } from '../page-protocol.ts';
import { nowMicros } from '../../../scenarios/clock.ts';
import { isPageTransport, PageLab } from './lab.ts';

const globals = window as Window & PageGlobals;

/** Hands a batch to the driver if it listens; a driver that went away is no error of the page's. */
function deliver(batch: PageReportBatch): void {
  const report = globals.pushbenchReport;
  if (typeof report === 'function') Promise.resolve(report(batch)).catch(() => undefined);
}

let lab: PageLab | undefined;

function started(): PageLab {
  if (lab === undefined) throw new Error('pushbench.start(plan) has not been called in this page');
  return lab;
}

const api: PageApi = {
  start(plan: PagePlan) {
    if (lab !== undefined) throw new Error('pushbench.start() was already called in this page');
    if (!isPageTransport(plan.transport)) throw new Error(`unknown transport ${String(plan.transport)}: use ws, sse or long-poll`);
    if (plan.encoding !== 'json') throw new Error(`browser clients speak json only, not ${String(plan.encoding)}`);
    lab = new PageLab(plan, deliver);
    return lab.start();
  },
  window: (startUs, endUs) => started().startWindow(startUs, endUs),
  setSendRate: (perMemberPerSec, startUs) => started().setSendRate(perMemberPerSec, startUs),
  markDrop: (atUs) => started().markDrop(atUs),
  deliveries: () => lab?.windowDeliveries ?? 0,
  positions: () => lab?.positions() ?? {},
  collect: () => started().collect(),
  connectReport: () => started().connectReport(),
  close: () => lab?.close(),
  nowMicros,
};

globals.pushbench = api;
