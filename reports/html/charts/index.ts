/**
 * Every chart family of the report, in the order they appear. Add a builder here to add a chart.
 * The Node-client comparisons come first; Node vs browser last, next to the browser sections.
 */
import type { ChartBuilder } from '../types.ts';
import { bytes } from './bytes.ts';
import { latencyPercentiles } from './latency-percentiles.ts';
import { nodeVsBrowser } from './node-vs-browser.ts';
import { repeats } from './repeats.ts';
import { serverCost } from './server-cost.ts';
import { throughput } from './throughput.ts';
import { timelines } from './timelines.ts';

// repeats: after the single-run figures it spreads, before the timelines of one run each.
export const CHART_BUILDERS: ChartBuilder[] = [latencyPercentiles, throughput, bytes, serverCost, repeats, timelines, nodeVsBrowser];
