/**
 * One background sync cycle, decided once for the edge node (edge-node/mesh/background-replicator.ts)
 * and the simulator (sim/strategies/mesh-sync.ts): which of the units a printer lacks it pulls from
 * the cloud now, which it takes from its LAN peers, and which it leaves for a later cycle; and how
 * much background data may be in flight at once.
 *
 * A unit is whatever the caller moves as one piece: the edge node plans the part of an image that
 * lies in one responsibility chunk (a run of feed blocks), the simulator whole images. Each unit is
 * decided by `chooseSource` (source-choice.ts) at background priority:
 *  - a LAN peer holds it → LAN;
 *  - the cloud is unreachable → later (re-planned next cycle);
 *  - it lies in this printer's share (responsibility.ts) → cloud;
 *  - someone else's share → later, then the cloud once the LAN has failed to deliver it for
 *    `backgroundLanDeadlineMs` (`backgroundWaitedMs`: the clock stops while the cloud is unreachable
 *    and while the venue is still receiving photos).
 * `star-periodic` (the seed patent's baseline) takes everything from the cloud.
 *
 * What the caller does with `later` is its own business: the edge node still asks its LAN peers for
 * them after the LAN units (a peer's have-list may lag, and a request nobody answers only costs a
 * stall); the simulator, which knows exactly who holds what, leaves them for the next cycle.
 */
import { FEED_BLOCK_BYTES } from '../feed/feed-block.ts';
import { backgroundWaitedMs, chooseSource, DEFAULT_SOURCE_CONFIG, type SourceConfig } from './source-choice.ts';

/**
 * Blocks requested at once by background sync. Each batch is one Hypercore download range with its
 * own requests, stall timer and priority race; with ten LAN peers, 32-block batches spent
 * 36 ms of the edge node's CPU per MB received against 28 ms with 128-block batches and 25 ms with
 * 256 (9 seeders, 80 MB, measured 2026-12-05 with the late-printer harness of issue #16: process
 * CPU per MB, noisy on a loaded machine). Fewer, larger batches also mean fewer of Hypercore's
 * per-request tree-node reads and hot-swap re-requests between peers.
 */
export const BACKGROUND_BATCH_BLOCKS = 128;
/**
 * Background batches in flight at once (1 × 128 blocks × 64 KiB = 8 MiB window). Measured with
 * `npm run bench:mesh`: 2 × 32 blocks gave 13 MB/s and a 1.3–1.6× slower on-demand fetch during sync,
 * 4 × 32 gave 18 MB/s and 2.1×: blocks already requested still arrive after a range is stopped.
 */
export const BACKGROUND_PARALLEL_BATCHES = 1;
export const BACKGROUND_WINDOW_BLOCKS = BACKGROUND_BATCH_BLOCKS * BACKGROUND_PARALLEL_BATCHES;
/** The background window in bytes: also the burst of the background bandwidth cap's token bucket. */
export const BACKGROUND_WINDOW_BYTES = BACKGROUND_WINDOW_BLOCKS * FEED_BLOCK_BYTES;

export type SyncMode = 'mesh' | 'star-periodic';

export interface SyncUnit {
  /** The caller's handle: a first block (edge node) or an image index (simulator); ascending = upload order. */
  id: number;
  /** The unit lies in this printer's share of the cloud pulls. */
  ownedByMe: boolean;
  /** LAN peers known to hold it. */
  lanHolders: number;
  /** Since when the LAN could have delivered it (the edge node: first seen missing; the simulator: its upload). */
  missingSinceMs: number;
  /**
   * Live mode only: the printer whose share it is, is online and (being notified of the feed's growth
   * like this one) fetching it from the cloud now, so its blocks can be streamed from it on the LAN.
   */
  ownerFetching?: boolean;
}

export interface SyncPlanInput {
  mode: SyncMode;
  /** Units this printer lacks and no transfer is moving. */
  units: Iterable<SyncUnit>;
  /** Printers online besides this one (those the shares are computed over). */
  lanPeers: number;
  /** Since when the cloud has been reachable; null while it is not. */
  cloudReachableSinceMs: number | null;
  /** When photos last arrived (see backgroundWaitedMs). */
  progressAtMs: number;
  nowMs: number;
  source?: SourceConfig;
  /**
   * Live, pipelined replication (the default of both the edge node and the simulator): someone
   * else's share that its owner is fetching right now goes to the LAN at once (`lan`), to be taken
   * block by block from the owner while it arrives, instead of waiting for a later cycle. The cloud
   * share and the LAN share then move at the same time, as in a swarm, and every block still
   * crosses the WAN once (only owners, or the deadline, send a unit to the cloud).
   */
  live?: boolean;
}

export interface SyncPlan {
  /** Pulled from the cloud this cycle, ascending (upload order). */
  cloud: number[];
  /** Taken from LAN peers after the cloud phase, in input order (the caller orders them: fetch-order.ts). */
  lan: number[];
  /** Neither yet: re-planned next cycle. */
  later: number[];
}

export function planSyncCycle(input: SyncPlanInput): SyncPlan {
  const plan: SyncPlan = { cloud: [], lan: [], later: [] };
  const cfg = input.source ?? DEFAULT_SOURCE_CONFIG;
  const cloudReachable = input.cloudReachableSinceMs !== null;
  for (const u of input.units) {
    if (input.mode === 'star-periodic') {
      plan.cloud.push(u.id);
      continue;
    }
    const decision = chooseSource(
      {
        priority: 'background',
        lanHolders: u.lanHolders,
        lanPeersConnected: input.lanPeers,
        ownedByMe: u.ownedByMe,
        waitedMs: backgroundWaitedMs(u.missingSinceMs, input.cloudReachableSinceMs, input.progressAtMs, input.nowMs),
        cloudReachable,
      },
      cfg,
    );
    if (decision.source === 'cloud') plan.cloud.push(u.id);
    else if (decision.source === 'lan') plan.lan.push(u.id);
    else if (input.live === true && cloudReachable && u.ownerFetching === true) plan.lan.push(u.id);
    else plan.later.push(u.id);
  }
  plan.cloud.sort((a, b) => a - b);
  return plan;
}
