import type Corestore from 'corestore';
import { AppError } from '../../shared/errors.ts';

/** The protocol name Hypercore's replicator opens its channels under. */
export const HYPERCORE_PROTOCOL = 'hypercore/alpha';

/** What is read of Hypercore's replicator for one core (hypercore 11.37, pinned by overrides). */
interface ReplicatorInternals {
  attached(muxer: unknown): boolean;
  _makePeer(muxer: unknown): void;
}

/** Protomux's public calls for one channel by protocol and id. */
interface MuxerChannels {
  opened(channel: { protocol: string; id: Buffer }): boolean;
  getLastChannel(channel: { protocol: string; id: Buffer }): { close(): void } | null;
}

/**
 * Opens or closes one core's Hypercore channel on a LAN connection that is already up: what the
 * LAN overlay (lan-overlay.ts) needs when the venue's membership changes: the guard decides a
 * channel when it is offered, and Hypercore offers one again only now and then (when a core starts
 * downloading again), while an open one is never decided again. Opening goes through Hypercore's
 * own `_makePeer` (as its replicator does when a core starts downloading), so the overlay's guard
 * decides at both ends as for any channel; closing closes the connection's channel for the core,
 * open or still opening (Protomux's `getLastChannel`), which the remote sees as the channel ending
 * and Hypercore as a peer gone (its requests go to other peers). Corestore's `cores.get`
 * (documented as callable from outside) finds the core; a core not open here has no channel to
 * change. Returns whether it acted.
 */
export function setCoreChannel(store: Corestore, muxer: unknown, discoveryKeyHex: string, open: boolean): boolean {
  const tracker = (store as unknown as { cores?: { get?: (id: string) => { replicator?: unknown } | null } }).cores;
  if (typeof tracker?.get !== 'function')
    throw new AppError('hypercore_internals_changed', undefined, { missing: 'Corestore#cores.get' });
  const core = tracker.get(discoveryKeyHex);
  if (!core) return false;
  const replicator = core.replicator as Partial<ReplicatorInternals> | undefined;
  const mux = muxer as Partial<MuxerChannels> | null;
  if (
    typeof replicator?.attached !== 'function' ||
    typeof replicator._makePeer !== 'function' ||
    typeof mux?.opened !== 'function' ||
    typeof mux.getLastChannel !== 'function'
  )
    throw new AppError('hypercore_internals_changed', undefined, { missing: 'Hypercore replicator or Protomux' });
  if (!replicator.attached(muxer)) return false;
  const channel = { protocol: HYPERCORE_PROTOCOL, id: Buffer.from(discoveryKeyHex, 'hex') };
  if (open) {
    if (mux.opened(channel)) return false;
    replicator._makePeer(muxer);
    return true;
  }
  const last = mux.getLastChannel(channel);
  if (!last) return false;
  last.close();
  return true;
}
