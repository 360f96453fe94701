import type Corestore from 'corestore';
import { AppError } from '../../shared/errors.ts';

/** The protocol name Hypercore's replicator opens its channels under. */
export const HYPERCORE_PROTOCOL = 'hypercore/alpha';

/** What is read of Hypercore's replicator for one core (hypercore 11.37, pinned by overrides). */
interface ReplicatorInternals {
  attached(muxer: unknown): boolean;
  _makePeer(muxer: unknown): void;
  peers: Array<{ protomux: unknown; channel: { close(): void } }>;
}

interface MuxerInternals {
  opened(channel: { protocol: string; id: Buffer }): boolean;
}

/**
 * Opens or closes one core's Hypercore channel on a LAN connection that is already up: what the
 * LAN overlay (lan-overlay.ts) needs when the venue's membership changes, since a channel once
 * refused is not offered again on a connection, and one open stays open. Opening goes through
 * Hypercore's own `_makePeer` (as its replicator does when a core starts downloading), so the
 * overlay's guard decides at both ends as for any channel; closing closes the peer's channel, which
 * the remote sees as the channel ending. Corestore's `cores.get` (documented as callable from
 * outside) finds the core; a core not open here has no channel to change. Returns whether it acted.
 */
export function setCoreChannel(store: Corestore, muxer: unknown, discoveryKeyHex: string, open: boolean): boolean {
  const tracker = (store as unknown as { cores?: { get?: (id: string) => { replicator?: unknown } | null } }).cores;
  if (typeof tracker?.get !== 'function')
    throw new AppError('hypercore_internals_changed', undefined, { missing: 'Corestore#cores.get' });
  const core = tracker.get(discoveryKeyHex);
  if (!core) return false;
  const replicator = core.replicator as Partial<ReplicatorInternals> | undefined;
  const mux = muxer as Partial<MuxerInternals> | null;
  if (
    typeof replicator?.attached !== 'function' ||
    typeof replicator._makePeer !== 'function' ||
    !Array.isArray(replicator.peers) ||
    typeof mux?.opened !== 'function'
  )
    throw new AppError('hypercore_internals_changed', undefined, { missing: 'Hypercore replicator or Protomux' });
  if (!replicator.attached(muxer)) return false;
  const isOpen = mux.opened({ protocol: HYPERCORE_PROTOCOL, id: Buffer.from(discoveryKeyHex, 'hex') });
  if (open) {
    if (isOpen) return false;
    replicator._makePeer(muxer);
    return true;
  }
  const peer = replicator.peers.find((p) => p.protomux === muxer);
  if (!peer) return false;
  peer.channel.close();
  return true;
}
