/** Ticks and errors gathered in the page and handed to the driver every 250 ms, in one call, never per message. */
import type { TimelineTick } from '../../load/worker-protocol.ts';
import type { PageError, PageReportBatch } from '../page-protocol.ts';

export const REPORT_MS = 250;
const MAX_ERRORS_PER_BATCH = 100;

const emptyBatch = (): PageReportBatch => ({ ticks: [], errors: [], errorsDropped: 0 });

export class ReportBatcher {
  private batch = emptyBatch();
  private readonly timer = setInterval(() => this.flush(), REPORT_MS);

  /** @param deliver hands a batch to the driver (window.pushbenchReport); it may be absent when nobody listens */
  constructor(private readonly deliver: (batch: PageReportBatch) => void) {}

  tick(tick: TimelineTick): void {
    this.batch.ticks.push(tick);
  }

  error(error: PageError): void {
    if (this.batch.errors.length < MAX_ERRORS_PER_BATCH) this.batch.errors.push(error);
    else this.batch.errorsDropped++;
  }

  /** Sends what gathered since the last flush, if anything did. */
  flush(): void {
    const batch = this.batch;
    if (batch.ticks.length === 0 && batch.errors.length === 0 && batch.errorsDropped === 0) return;
    this.batch = emptyBatch();
    this.deliver(batch);
  }

  /** Stops the periodic flush and sends what is left. */
  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
