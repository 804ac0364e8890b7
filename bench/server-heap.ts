/**
 * --server-heap: how the lab's own servers size their V8 heap. The default is Node's own: a young
 * generation that grows to 16 MB semi-spaces under load and an old generation V8 lets grow well past
 * what survives, so a busy server's RSS holds garbage not yet collected (at 10,000 held polls, a
 * forced full GC found 45-61 MB live of 104-183 MB used). Lean trades server CPU for memory.
 *
 * Measured on this 2-core machine, nothing else running, default and lean back to back:
 * - feed at 10,000 connections and 2 messages/s (2 default runs, 1 lean): server RSS per connection
 *   ws 7.8-7.9 -> 5.2 KB, SSE 12.4 -> 9.9 KB, long-poll 13.8-14.1 -> 10.6 KB; server CPU per 1,000
 *   deliveries ws 16.5-21.1 -> 23.3 ms, SSE 19.4-20.1 -> 22.2 ms, long-poll 45.1-46.0 -> 45.7 ms;
 * - feed at 1,000 connections and 100 messages/s (2 benches of 2 repeats each): RSS per connection
 *   ws 30-34 -> 13-15 KB, SSE 46 -> 19-20 KB, long-poll 47-50 -> 17-19 KB; server CPU per 1,000
 *   deliveries within the repeats' spread (ws 8.3-8.7 / 8.1-8.7 ms, SSE 8.5-8.8 / 8.2-8.8 ms,
 *   long-poll 9.2-10.1 / 9.7-10.0 ms);
 * - long-poll feed capacity (server-bound: about one poll per delivery at 1,000 subscribers):
 *   12,000 and 12,000 deliveries/s default, 8,000 and 8,000 lean. Its latency at the SLO's edge
 *   is what the extra collections cost, more than its CPU per delivery.
 * - the 1 MB semi-space alone (no heap growing percent): long-poll capacity 10,000 and 7,000, RSS per
 *   connection at 10,000 ws 6.95, SSE 11.7, long-poll 13.6 KB (one run each). So the small young
 *   generation is what costs long-poll; why is a reading, not profiled: a burst of 1,000 polls
 *   allocates more than 1 MB, so scavenges in mid-burst would promote the polls still in flight.
 * - a 4 or 8 MB semi-space (one run each at 10,000 connections and 2 messages/s): RSS per idle
 *   connection ws 4.35 / 5.11, SSE 9.00 / 9.63, long-poll 9.03 / 9.23 KB against 6.43-6.55,
 *   10.5-10.9 and 11.1-11.2 by default (3 runs); during the window ws 5.40 / 6.00, SSE 9.90 / 11.8,
 *   long-poll 13.7 / 14.4 KB. Long-poll capacity, 4 MB and default alternating, 3 pairs:
 *   8,000 / 10,000, 8,000 / 10,000, 7,000 / 7,000; 8 MB alone 9,000 and 8,000.
 * So lean is not the default, nor is a smaller semi-space: either would move every capacity figure
 * that a server limits.
 */
import type { ServerHeap } from '../scenarios/bench-options.ts';

const NODE_ARGS: Record<ServerHeap, readonly string[]> = {
  default: [],
  // A 1 MB semi-space: scavenges run more often on fewer live bytes. A heap that grows by 50 % of
  // what survived a full GC, not by V8's dynamic factor (up to 4x): more full GCs, less garbage kept.
  lean: ['--max-semi-space-size=1', '--heap-growing-percent=50'],
};

/** The Node options a lab server process starts with. */
export function serverHeapArgs(heap: ServerHeap): readonly string[] {
  return NODE_ARGS[heap];
}
