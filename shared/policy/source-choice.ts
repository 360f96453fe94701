/**
 * Where a missing block or image comes from (a LAN peer or the cloud) and how long to wait for the
 * LAN before going to the cloud.
 *
 * This is the "strict, predictable limit on going back to source" that Dragonfly's users ask for:
 * a background pull reaches the cloud only if this printer owns the chunk (responsibility.ts) or
 * the owner failed to deliver it within `backgroundLanDeadlineMs`. With every printer following it,
 * the venue's WAN bytes stay close to 1× the unique bytes (Dragonfly reports 99.5 % egress saved,
 * Kraken deduplicates concurrent origin fetches), and the excess is bounded by the chunks whose
 * owner was offline or slower than the deadline.
 *
 * Rules, in order:
 *  1. A LAN holder exists → LAN. Peers first, as Kraken (completed peers before the origin),
 *     Delivery Optimization (a delay before the cloud source) and Syncthing do. Holders that failed
 *     or timed out should not be counted by the caller (Syncthing's fail-over).
 *  2. The cloud is unreachable → wait and re-evaluate (a LAN holder may appear meanwhile).
 *  3. On demand (a fan is waiting at the printer), no LAN holder:
 *     - no LAN peer connected, or this printer owns the chunk (nobody else will pull it) → cloud now;
 *     - otherwise wait up to `onDemandLanDeadlineMs` (a peer may be fetching it right now, and a LAN
 *       hop is far faster than the WAN once it has it), then cloud. This mirrors libtorrent's
 *       `set_piece_deadline`: latency wins over WAN savings once the deadline passes.
 *  4. Background, no LAN holder:
 *     - own chunk → cloud now (that is this printer's share of the venue's cloud pulls);
 *     - someone else's chunk → wait for it to appear on the LAN, and go to the cloud only after
 *       `backgroundLanDeadlineMs` (the owner may be offline or slow). This holds even with no LAN
 *       peer connected: if this printer is really alone, the responsibility map (recomputed on
 *       membership change) makes it the owner of everything, so waiting here only covers a stale view.
 */

export type FetchPriority = 'on_demand' | 'background';

/** A fan's image that cannot be had in this long fails that print (it is retried, never faked). */
export const ON_DEMAND_TIMEOUT_MS = 60_000;

export interface SourceInput {
  priority: FetchPriority;
  /** LAN peers known to hold it (and not known to have failed this fetch). */
  lanHolders: number;
  lanPeersConnected: number;
  /** The block lies in one of this printer's responsibility chunks. */
  ownedByMe: boolean;
  /** Since this fetch began. */
  waitedMs: number;
  cloudReachable: boolean;
}

export type SourceDecision = { source: 'lan' } | { source: 'cloud' } | { source: 'wait'; retryInMs: number };

export interface SourceConfig {
  onDemandLanDeadlineMs: number;
  backgroundLanDeadlineMs: number;
  /** How soon to re-evaluate while the cloud is unreachable. */
  unreachableCloudRetryMs: number;
}

export const DEFAULT_SOURCE_CONFIG: Readonly<SourceConfig> = {
  // About the time a LAN peer needs to pull a 5 MB master over a venue WAN and start serving it;
  // short enough that a fan at the counter barely notices when the LAN cannot help.
  onDemandLanDeadlineMs: 1500,
  // Long enough for the owner to pull a few MiB over a busy uplink; short enough that a missing
  // owner delays background sync by minutes, not the whole event.
  backgroundLanDeadlineMs: 120_000,
  unreachableCloudRetryMs: 5_000,
};

/** Never ask the caller to re-check sooner than this: a zero delay would spin. */
const MIN_RETRY_MS = 1;

const LAN: SourceDecision = Object.freeze({ source: 'lan' });
const CLOUD: SourceDecision = Object.freeze({ source: 'cloud' });

function wait(ms: number): SourceDecision {
  return { source: 'wait', retryInMs: Math.max(MIN_RETRY_MS, Math.ceil(ms)) };
}

/**
 * How long a background fetch has been waiting for the LAN, for the deadline in chooseSource. It
 * counts only time in which the owners could have delivered and did not:
 *  - not while the cloud is unreachable (`cloudReachableSinceMs` null): an owner cannot pull its
 *    share then, and the clock restarts when the cloud comes back;
 *  - not while the venue is still receiving its owners' pulls (`venueProgressAtMs`: the last time a
 *    printer of the venue got new photos from the cloud): after a long outage the backlog takes the
 *    uplink minutes to bring in, and that is progress, not an owner gone missing.
 * Found with the simulator's wan-outage scenario: with a plain "since the photo appeared" clock every
 * printer's deadline expired during the outage and the backlog crossed the WAN once per printer.
 */
export function backgroundWaitedMs(
  sinceMs: number,
  cloudReachableSinceMs: number | null,
  venueProgressAtMs: number,
  nowMs: number,
): number {
  if (cloudReachableSinceMs === null) return 0;
  return Math.max(0, nowMs - Math.max(sinceMs, cloudReachableSinceMs, venueProgressAtMs));
}

export function chooseSource(i: SourceInput, cfg: SourceConfig = DEFAULT_SOURCE_CONFIG): SourceDecision {
  if (i.lanHolders > 0) return LAN;
  if (!i.cloudReachable) return wait(cfg.unreachableCloudRetryMs);
  const waited = Math.max(0, i.waitedMs);
  if (i.priority === 'on_demand') {
    if (i.lanPeersConnected <= 0 || i.ownedByMe || waited >= cfg.onDemandLanDeadlineMs) return CLOUD;
    return wait(cfg.onDemandLanDeadlineMs - waited);
  }
  if (i.ownedByMe || waited >= cfg.backgroundLanDeadlineMs) return CLOUD;
  return wait(cfg.backgroundLanDeadlineMs - waited);
}
