/**
 * The report in a real Chromium: rendered from a real (short) quick run, opened from disk with the
 * network cut off; no console error, no failed request, every chart drawn, a verdict row per transport.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type LaunchedChromium } from '../../clients/browser/chromium.ts';
import { TRANSPORTS } from '../../scenarios/constants.ts';
import { isAlive, runBenchProcess, runReportProcess } from '../support/bench-run.ts';

let chromium: LaunchedChromium | undefined;
let reportPath = '';

beforeAll(async () => {
  const run = await runBenchProcess(['--profile', 'quick', '--warmup', '500ms', '--duration', '1500ms', '--capacity-steps', '100,400', '--step-duration', '1s'], { timeoutMs: 100_000 });
  expect(run.code, run.stderr).toBe(0);
  reportPath = /^report: +(.+)$/m.exec(run.stdout)![1]!;
  expect(reportPath.startsWith(run.outDir)).toBe(true);
  chromium = await launchChromium();
}, 120_000);

afterAll(async () => {
  const pid = chromium?.browser.process()?.pid;
  await chromium?.close();
  if (pid !== undefined) expect(isAlive(pid), 'Chromium is still running').toBe(false);
});

describe('report.html in Chromium', () => {
  it('is one self-contained file of a reasonable size', async () => {
    const html = await readFile(reportPath, 'utf8');
    expect((await stat(reportPath)).size).toBeLessThan(5 * 1024 * 1024);
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=["']?(https?:)?\/\//i);
  });

  it('stays within a 1280 px viewport when a capacity step carries a long client-bound reason', { timeout: 60_000 }, async () => {
    const results = JSON.parse(await readFile(join(reportPath, '..', 'results.json'), 'utf8')) as { runs: { kind: string; clientBound: boolean; clientBoundReasons: string[] }[] };
    const step = results.runs.find((run) => run.kind === 'capacity-step');
    expect(step).toBeDefined();
    step!.clientBound = true;
    step!.clientBoundReasons = ["a load worker's event loop was busy 99 % of the window (limit 90 %); a load worker's event-loop delay p99 reached 714.751 ms (limit 50 ms), its loop busy 99 % of the window; ".repeat(3)];
    const edited = join(reportPath, '..', 'long-flag.json');
    await writeFile(edited, JSON.stringify(results));
    const out = join(reportPath, '..', 'long-flag.html');
    const rendered = await runReportProcess([edited, '--out', out], 30_000);
    expect(rendered.code, rendered.stderr).toBe(0);
    const page = await chromium!.browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(pathToFileURL(out).href, { waitUntil: 'load' });
    expect(await page.evaluate(() => document.body.textContent!.includes('its loop busy 99 % of the window'))).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    await page.close();
  });

  it('opens offline with no console error or failed request, draws every chart, and leads with a verdict row per transport', { timeout: 60_000 }, async () => {
    const page = await chromium!.browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warn') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${(err as Error).message}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
    await page.setRequestInterception(true);
    page.on('request', (request) => {
      // Only the file itself may load: anything else would be a network dependency.
      if (request.url() === pathToFileURL(reportPath).href) void request.continue();
      else {
        problems.push(`request attempted: ${request.url()}`);
        void request.abort();
      }
    });
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(pathToFileURL(reportPath).href, { waitUntil: 'load' });
    await page.waitForFunction(() => document.querySelectorAll('canvas').length > 0, { timeout: 10_000 });

    const canvases = await page.$$eval('canvas', (elements) =>
      elements.map((canvas) => {
        const context = (canvas as HTMLCanvasElement).getContext('2d')!;
        const { data } = context.getImageData(0, 0, (canvas as HTMLCanvasElement).width, (canvas as HTMLCanvasElement).height);
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
        return { id: canvas.id, width: (canvas as HTMLCanvasElement).width, painted };
      }),
    );
    expect(canvases.length).toBeGreaterThanOrEqual(5);
    for (const canvas of canvases) {
      expect(canvas.width, canvas.id).toBeGreaterThan(0);
      expect(canvas.painted, `${canvas.id} has drawn pixels`).toBeGreaterThan(500);
    }

    const verdictRows = await page.$$eval('table.verdict', (tables) => tables.map((table) => [...table.querySelectorAll('tbody tr')].map((row) => row.getAttribute('data-transport'))));
    expect(verdictRows.length).toBeGreaterThanOrEqual(2);
    for (const rows of verdictRows) expect([...rows].sort()).toEqual([...TRANSPORTS].sort());
    // The answer comes before the evidence.
    const order = await page.evaluate(() => {
      const verdict = document.querySelector('table.verdict')!;
      const chart = document.querySelector('canvas')!;
      return verdict.compareDocumentPosition(chart) & Node.DOCUMENT_POSITION_FOLLOWING;
    });
    expect(order).toBeTruthy();

    // Nothing widens the page past the viewport: long flags wrap, wide tables scroll inside their own box.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);

    await page.screenshot({ path: join(reportPath, '..', 'report.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});
