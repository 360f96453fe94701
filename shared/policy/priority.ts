/**
 * Background sync vs on-demand fetches (a fan waiting at the printer for a photo it lacks).
 *
 * Why background yields entirely: Hypercore gives an on-demand `get()` high priority, but only
 * within each peer's in-flight window; blocks already requested for a background range still
 * arrive first (and `range.destroy()` does not recall them). Measured here: an on-demand get took
 * 51–98 ms during a full (~48-block) background window vs 22 ms idle at 20 ms RTT. So background
 * issues no new requests while any on-demand fetch is queued or in flight (Dragonfly and Delivery
 * Optimization likewise run prefetch at a lower priority), and keeps its window small so that what
 * is already in flight when an order arrives delays it by little. The window itself (how many
 * blocks background sync keeps in flight) is the sync planner's: sync-planner.ts
 * `BACKGROUND_WINDOW_BLOCKS`, measured with `npm run bench:mesh`. (A window derived from a latency
 * budget, 4 blocks on a 100 Mbit/s LAN, lived here once; neither the node nor the simulator used it,
 * and the node's measured 1 × 128 blocks is what runs: issue #16 traded a window twice as large for
 * less CPU per replicated MB.)
 */

export interface PriorityState {
  onDemandInFlight: number;
  onDemandQueued: number;
}

export function backgroundMayRun(state: PriorityState): boolean {
  return state.onDemandInFlight <= 0 && state.onDemandQueued <= 0;
}
