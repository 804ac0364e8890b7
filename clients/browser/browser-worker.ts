/**
 * A browser worker process: the same IPC protocol as a Node load worker (clients/load/worker-protocol.ts),
 * but its clients live in pages of one headless Chromium, using the browser's own WebSocket,
 * EventSource and fetch (clients/browser/page/, bundled by page-bundle.ts). Pages record locally
 * and report in batches, so driving them costs the measured window nothing per message. Chromium's
 * CPU and memory are read from /proc. The worker exits with its parent, and Chromium with the
 * worker (it is driven over a pipe).
 */
import type { Page } from 'puppeteer-core';
import { everySecondSince, nowMicros } from '../../scenarios/clock.ts';
import type { BrowserWindowReport, ConnectReport, FromWorker, ToWorker, WindowReport, WorkerPlan } from '../load/worker-protocol.ts';
import { launchChromium, type LaunchedChromium } from './chromium.ts';
import { startDriverPage, type DriverPageServer } from './driver-page.ts';
import { layoutPages } from './layout.ts';
import { mergeConnectReports, mergeWindowReports } from './merge-reports.ts';
import { buildPageBundle } from './page-bundle.ts';
import type { PageConnectReport, PagePlan, PageReportBatch, PageWindowReport } from './page-protocol.ts';
import { cpuBetween, treeCpu, treePssBytes, type TreeCpu } from './process-tree.ts';

const CLOSE_TIMEOUT_MS = 10_000;
const CLOCK_ROUNDS = 5;
const MAX_PAGE_PROBLEMS = 5;

function reply(message: FromWorker): void {
  process.send?.(message);
}

interface CpuMark {
  chromium: TreeCpu;
  own: NodeJS.CpuUsage;
}

class BrowserWorker {
  private chromium: LaunchedChromium | undefined;
  private driverPage: DriverPageServer | undefined;
  private readonly pages: Page[] = [];
  private clients = 0;
  private version = '';
  /** Page errors and console errors: the run's notes. */
  private readonly pageProblems: string[] = [];
  private markTimers: NodeJS.Timeout[] = [];
  private startMark: CpuMark | undefined;
  private endMark: CpuMark | undefined;
  private pssBytes = 0;
  private stopTimeline: () => void = () => undefined;

  constructor(private readonly plan: WorkerPlan) {}

  private get chromiumPid(): number {
    return this.chromium?.browser.process()?.pid ?? -1;
  }

  private problem(text: string): void {
    if (this.pageProblems.length < MAX_PAGE_PROBLEMS && !this.pageProblems.includes(text)) this.pageProblems.push(text);
  }

  async connect(): Promise<ConnectReport> {
    const browserPlan = this.plan.browser;
    if (browserPlan === undefined) throw new Error('a browser worker needs a browser plan');
    if (this.plan.endpoint.encoding !== 'json') throw new Error(`browser clients speak json only, not ${this.plan.endpoint.encoding}`);
    const layout = layoutPages(this.plan.endpoint.transport, this.plan.connections, browserPlan);
    this.clients = this.plan.connections.length;
    this.driverPage = await startDriverPage();
    this.chromium = await launchChromium();
    this.version = await this.chromium.browser.version();
    const bundle = await buildPageBundle();
    for (let i = 0; i < layout.length; i++) {
      const page = await this.chromium.browser.newPage();
      page.on('pageerror', (err) => this.problem(`page error: ${(err as Error).message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') this.problem(`console error: ${message.text()}`);
      });
      await page.exposeFunction('pushbenchReport', (batch: PageReportBatch) => this.onBatch(batch));
      await page.goto(this.driverPage.url);
      await page.addScriptTag({ content: bundle });
      this.pages.push(page);
    }
    const clocks = await this.checkClocks();
    const reports = await Promise.all(
      this.pages.map((page, i) => {
        const pagePlan: PagePlan = {
          transport: this.plan.endpoint.transport,
          clients: layout[i]!,
          encoding: 'json',
          token: this.plan.endpoint.token,
          reconnect: true,
          // The coordinator starts chat sends with 'send-rate', as for Node workers.
          sendRatePerMember: 0,
          payloadBytes: this.plan.payloadBytes,
          originUs: this.plan.originUs,
        };
        return page.evaluate(`pushbench.start(${JSON.stringify(pagePlan)})`) as Promise<PageConnectReport>;
      }),
    );
    this.startTimeline();
    return { ...mergeConnectReports(reports), clocks };
  }

  /** Each page's clock against this process's: both read the same system clock, but say so with numbers. */
  private async checkClocks(): Promise<NonNullable<ConnectReport['clocks']>> {
    const clocks: NonNullable<ConnectReport['clocks']> = [];
    for (let i = 0; i < this.pages.length; i++) {
      let best = { offsetUs: 0, uncertaintyUs: Number.POSITIVE_INFINITY };
      for (let round = 0; round < CLOCK_ROUNDS; round++) {
        const sent = nowMicros();
        const pageUs = (await this.pages[i]!.evaluate('pushbench.nowMicros()')) as number;
        const back = nowMicros();
        const uncertaintyUs = (back - sent) / 2;
        if (uncertaintyUs < best.uncertaintyUs) best = { offsetUs: pageUs - (sent + back) / 2, uncertaintyUs };
      }
      clocks.push({ process: `Chromium ${this.plan.index + 1} page ${i + 1}`, offsetUs: Math.round(best.offsetUs), uncertaintyUs: Math.round(best.uncertaintyUs) });
    }
    return clocks;
  }

  private onBatch(batch: PageReportBatch): void {
    for (const tick of batch.ticks) reply({ type: 'tick', ...tick });
  }

  /** Chromium's CPU (and this driver's) per second on the coordinator's boundaries; the pages tick their own deliveries. */
  private startTimeline(): void {
    let last = this.cpuMark();
    this.stopTimeline = everySecondSince(this.plan.originUs, (second) => {
      const mark = this.cpuMark();
      const chromium = cpuBetween(last.chromium, mark.chromium).totalUs;
      const own = process.cpuUsage(last.own);
      last = mark;
      reply({ type: 'tick', second, deliveries: 0, latency: null, connections: 0, cpuUs: chromium + own.user + own.system, loopDelayP99Ms: 0 });
    });
  }

  private cpuMark(): CpuMark {
    return { chromium: treeCpu(this.chromiumPid), own: process.cpuUsage() };
  }

  private each<T>(script: string): Promise<T[]> {
    return Promise.all(this.pages.map((page) => page.evaluate(script) as Promise<T>));
  }

  async handle(message: ToWorker): Promise<void> {
    switch (message.type) {
      case 'clock':
        reply({ type: 'clock', sentUs: message.sentUs, workerUs: nowMicros() });
        break;
      case 'window': {
        await this.each(`pushbench.window(${message.startUs}, ${message.endUs})`);
        for (const timer of this.markTimers) clearTimeout(timer);
        this.startMark = this.endMark = undefined;
        const now = nowMicros();
        this.markTimers = [
          setTimeout(() => (this.startMark = this.cpuMark()), Math.max(0, (message.startUs - now) / 1000)),
          setTimeout(() => {
            this.endMark = this.cpuMark();
            this.pssBytes = treePssBytes(this.chromiumPid);
          }, Math.max(0, (message.endUs - now) / 1000)),
        ];
        break;
      }
      case 'send-rate':
        await this.each(`pushbench.setSendRate(${message.perConnectionPerSec}, ${message.startUs})`);
        break;
      case 'drop':
        await this.each(`pushbench.markDrop(${message.atUs})`);
        break;
      case 'drain-status': {
        const counts = await this.each<number>('pushbench.deliveries()');
        reply({ type: 'drain-status', inWindow: counts.reduce((a, b) => a + b, 0) });
        break;
      }
      case 'collect':
        reply({ type: 'window-result', ...(await this.collect()) });
        break;
      case 'close':
        await this.close();
        break;
      case 'plan':
        break;
    }
  }

  private async collect(): Promise<WindowReport> {
    for (const timer of this.markTimers) clearTimeout(timer);
    // An interrupted window: its marks are taken now.
    const start = (this.startMark ??= this.cpuMark());
    if (this.endMark === undefined) {
      this.endMark = this.cpuMark();
      this.pssBytes = treePssBytes(this.chromiumPid);
    }
    const end = this.endMark;
    const pages = await this.each<PageWindowReport>('pushbench.collect()');
    const merged = mergeWindowReports(pages, this.pageProblems);
    const chromium = cpuBetween(start.chromium, end.chromium);
    const own = end.own.user + end.own.system - start.own.user - start.own.system;
    const browser: BrowserWindowReport = {
      version: this.version,
      pages: this.pages.length,
      clients: this.clients,
      processes: chromium.processes,
      chromiumCpuUs: chromium.totalUs,
      busiestProcessCpuUs: chromium.busiestUs,
      pssBytes: this.pssBytes,
      reconnects: merged.reconnects,
      resume: merged.resume,
      notResumed: merged.notResumed,
    };
    return { ...merged.window, cpuUs: chromium.totalUs + own, browser };
  }

  async close(): Promise<void> {
    this.stopTimeline();
    for (const timer of this.markTimers) clearTimeout(timer);
    const timeout = new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref());
    // Deliberate closes first (no reconnect), then the browser itself.
    await Promise.race([Promise.allSettled(this.pages.map((page) => page.evaluate('pushbench.close()'))), timeout]);
    await this.chromium?.close();
    await this.driverPage?.close();
    reply({ type: 'closed' });
    process.disconnect?.();
    setTimeout(() => process.exit(0), 50).unref();
  }
}

let worker: BrowserWorker | undefined;
// Messages are handled one at a time, in order: a 'collect' must see the 'window' before it.
let queue: Promise<void> = Promise.resolve();

process.on('message', (message: ToWorker) => {
  if (message.type === 'plan') {
    worker = new BrowserWorker(message.plan);
    queue = worker.connect().then(
      (report) => reply({ type: 'connected', ...report }),
      (err: Error) => fail(err),
    );
    return;
  }
  if (message.type === 'clock' && worker === undefined) {
    reply({ type: 'clock', sentUs: message.sentUs, workerUs: nowMicros() });
    return;
  }
  const current = worker;
  if (current === undefined) return;
  if (message.type === 'clock') {
    current.handle(message).catch(fail);
    return;
  }
  queue = queue.then(() => current.handle(message)).catch(fail);
});

function fail(err: unknown): void {
  reply({ type: 'fatal', message: (err as Error)?.stack ?? String(err) });
  void worker?.close().catch(() => undefined);
  setTimeout(() => process.exit(1), 2000).unref();
}

process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
// The coordinator is gone: Chromium goes with this process (it is driven over a pipe).
process.on('disconnect', () => process.exit(0));
