/**
 * Background sync vs on-demand fetches (a fan waiting at the printer for a photo it lacks).
 *
 * Why background yields entirely: Hypercore gives an on-demand `get()` high priority, but only
 * within each peer's in-flight window; blocks already requested for a background range still
 * arrive first (and `range.destroy()` does not recall them). Measured here: an on-demand get took
 * 51–98 ms during a full (~48-block) background window vs 22 ms idle at 20 ms RTT. So background
 * issues no new requests while any on-demand fetch is queued or in flight (Dragonfly and Delivery
 * Optimization likewise run prefetch at a lower priority), and keeps its window small so that what
 * is already in flight when an order arrives delays it by little.
 *
 * Window size from a latency budget: an on-demand block can be stuck behind at most `window`
 * background blocks, i.e. window × blockBytes / linkBytesPerSec of extra latency. The window is the
 * largest that keeps this under `maxAddedOnDemandLatencyMs`, clamped to [min, max]. Small windows
 * cost bulk throughput (Kraken keeps small pipelines for the same reason); `linkBytesPerSec` should be
 * the measured LAN throughput, so a fast LAN earns a larger window.
 */

export interface PriorityState {
  onDemandInFlight: number;
  onDemandQueued: number;
}

export interface PriorityConfig {
  /** Extra latency background traffic may add to an on-demand fetch. */
  maxAddedOnDemandLatencyMs: number;
  /** Throughput of the link the background blocks share with on-demand ones. */
  linkBytesPerSec: number;
  /** Feed block size (FEED_BLOCK_BYTES in shared/feed/feed-layout.ts). */
  blockBytes: number;
  minWindowBlocks: number;
  maxWindowBlocks: number;
}

/** Keeps an on-demand fetch under ~2 LAN RTTs of added delay on a busy venue Wi-Fi. */
export const DEFAULT_MAX_ADDED_ON_DEMAND_LATENCY_MS = 25;
/** A conservative venue LAN: 100 Mbit/s. */
export const DEFAULT_LINK_BYTES_PER_SEC = 12_500_000;
export const POLICY_BLOCK_BYTES = 64 * 1024;
/** Below one block in flight, background sync would stall between round trips. */
export const MIN_BACKGROUND_WINDOW_BLOCKS = 1;
/** Hypercore's own per-peer window is ~48 blocks; never go beyond what it would do unasked. */
export const MAX_BACKGROUND_WINDOW_BLOCKS = 48;

export const DEFAULT_PRIORITY_CONFIG: Readonly<PriorityConfig> = {
  maxAddedOnDemandLatencyMs: DEFAULT_MAX_ADDED_ON_DEMAND_LATENCY_MS,
  linkBytesPerSec: DEFAULT_LINK_BYTES_PER_SEC,
  blockBytes: POLICY_BLOCK_BYTES,
  minWindowBlocks: MIN_BACKGROUND_WINDOW_BLOCKS,
  maxWindowBlocks: MAX_BACKGROUND_WINDOW_BLOCKS,
};

export function backgroundMayRun(state: PriorityState): boolean {
  return state.onDemandInFlight <= 0 && state.onDemandQueued <= 0;
}

/** Background blocks that may be in flight now: 0 while any on-demand fetch is queued or running. */
export function backgroundWindowBlocks(state: PriorityState, cfg: PriorityConfig = DEFAULT_PRIORITY_CONFIG): number {
  if (!backgroundMayRun(state)) return 0;
  const budgetBytes = (cfg.maxAddedOnDemandLatencyMs / 1000) * cfg.linkBytesPerSec;
  const blocks = Math.floor(budgetBytes / cfg.blockBytes);
  return Math.min(cfg.maxWindowBlocks, Math.max(cfg.minWindowBlocks, blocks));
}
