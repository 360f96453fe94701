import type Hypercore from 'hypercore';
import { AppError } from '../../shared/errors.ts';

/**
 * Hypercore's "hotswaps": whenever a peer has free request slots, the replicator asks it for blocks
 * that are already in flight at other peers (up to three copies of a block). That cuts a fan's wait
 * when one LAN peer is slow, but during background sync from ten LAN peers it asked for 2,505 of
 * 3,360 blocks two to seven times (bench:mesh, late printer). Every copy crosses the LAN again and
 * costs both ends a transport decryption and a proof; the late printer used 0.051 CPU s/MB with
 * them and 0.026 without, and replicated faster (8.7 vs 5.5 MB/s).
 *
 * Hypercore has no option for it, so the replicator's per-peer hook is wrapped on this core's
 * replicator: copies are asked for only while `allow()` holds (a fan is waiting for this printer).
 * Hypercore is pinned (package.json overrides); the wrap fails loudly at open if the hook is gone,
 * and test/hotswap-policy.test.ts checks that Hypercore still races without it.
 */
export interface HotswapStats {
  /** Block requests Hypercore sent as copies of requests in flight at another peer. */
  readonly hotswaps: number;
}

interface ReplicatorHooks {
  _updateHotswap(peer: unknown): void;
  readonly stats: HotswapStats;
}

function replicatorOf(core: Hypercore): ReplicatorHooks {
  const replicator = (core as unknown as { core?: { replicator?: Partial<ReplicatorHooks> } }).core?.replicator;
  if (typeof replicator?._updateHotswap !== 'function' || typeof replicator.stats?.hotswaps !== 'number')
    throw new AppError('hypercore_internals_changed', undefined, { missing: 'Replicator#_updateHotswap' });
  return replicator as ReplicatorHooks;
}

/**
 * Limits duplicate block requests on an opened core to the times `allow()` returns true; returns the
 * undo and the replicator's counters. Call after `core.ready()`.
 */
export function raceDuplicatesOnlyWhen(
  core: Hypercore,
  allow: () => boolean,
): { restore: () => void; stats: HotswapStats } {
  const replicator = replicatorOf(core);
  const own = Object.hasOwn(replicator, '_updateHotswap');
  const original = replicator._updateHotswap;
  replicator._updateHotswap = function gatedHotswap(this: ReplicatorHooks, peer: unknown) {
    if (allow()) original.call(this, peer);
  };
  return {
    stats: replicator.stats,
    restore: () => {
      if (own) replicator._updateHotswap = original;
      else delete (replicator as Partial<ReplicatorHooks>)._updateHotswap;
    },
  };
}
