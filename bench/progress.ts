/** Progress lines on stderr while the bench runs (stdout is kept for the summary or --json). */
import type { RunRecord } from '../metrics/result-types.ts';
import { formatCount, formatMs } from '../reports/format.ts';
import { LAB_QUEUED_FLAG, isLabQueued } from '../reports/lab-queue.ts';

export class Progress {
  private readonly started = performance.now();
  private lastConnectLine = 0;

  constructor(
    private readonly write: (line: string) => void,
    private readonly quiet = false,
  ) {}

  private line(text: string): void {
    if (this.quiet) return;
    const seconds = ((performance.now() - this.started) / 1000).toFixed(1).padStart(6);
    this.write(`[${seconds}s] ${text}\n`);
  }

  step(label: string, text: string): void {
    this.line(`${label}: ${text}`);
  }

  connecting(label: string, opened: number, failed: number, total: number): void {
    const now = performance.now();
    if (opened + failed < total && now - this.lastConnectLine < 1000) return;
    this.lastConnectLine = now;
    this.line(`${label}: ${formatCount(opened)}/${formatCount(total)} connections open${failed > 0 ? `, ${formatCount(failed)} failed` : ''}`);
  }

  run(label: string, run: RunRecord): void {
    const m = run.metrics;
    const parts = [
      `${formatCount(m.throughput.deliveriesPerSec)} deliveries/s`,
      `latency p50 ${m.latency === null ? '-' : formatMs(m.latency.p50)} p99 ${m.latency === null ? '-' : formatMs(m.latency.p99)} ms`,
    ];
    if (m.client.readQueueMs !== undefined && m.client.readQueueMs !== null) parts.push(`lab queue p99 ${formatMs(m.client.readQueueMs.p99)} ms`);
    if (m.rtt !== null) parts.push(`rtt p99 ${formatMs(m.rtt.p99)} ms`);
    parts.push(`lost ${formatCount(m.integrity.lost)}/${formatCount(m.integrity.expected)}`);
    if (m.server !== null) parts.push(`server ${m.server.cpuCores.toFixed(2)} cores`);
    if (m.client.cpuUsPerDelivery !== null) parts.push(`client ${m.client.cpuUsPerDelivery.toFixed(2)} µs/delivery`);
    if (run.clientBound) parts.push('CLIENT-BOUND');
    if (isLabQueued(run)) parts.push(LAB_QUEUED_FLAG);
    if (!run.complete) parts.push('INCOMPLETE');
    this.line(`${label}: ${run.id}: ${parts.join(', ')}`);
  }

  notice(text: string): void {
    this.line(`note: ${text}`);
  }
}
