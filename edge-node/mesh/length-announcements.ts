import type Hypercore from 'hypercore';
import { AppError } from '../../shared/errors.ts';

/**
 * Hypercore 11.37.1 can lose the message that tells a peer how long a core has grown, and the cloud
 * lane hits it. The lane's core grows when the cloud sends it a new photo's blocks; about then the
 * main core (from a LAN peer) grows to the same length and says so to the lane. The lane was still
 * working out whether it may offer the main core an upgrade (`_updateCanUpgradeAndSync`, async); on
 * seeing the main core's new length it drops that without sending its own, and since both lengths
 * are now equal nothing ever sends it. The main core keeps the lane's old length and never asks the
 * lane for a block past it (`_makeRequest`: "the remote has signalled they have the length"), so the
 * printer's cloud share sits in its lane, and every printer waits for it, until the feed grows again:
 * 42 s in a validation-8 run (P4, 564–606 s), "the cloud share reached the cloud lane but not the
 * main core in time" every 5 s meanwhile.
 *
 * Both cores are in this process, so the lane checks what the main core has heard and, when it is
 * behind, says its length again (the peer's own `sendSync`). The internals are reached through
 * one narrow type; Hypercore is pinned, and this fails loudly if they are gone.
 */
interface SyncingPeer {
  readonly remotePublicKey: Buffer;
  /** How long this core is, as the peer last said. */
  readonly remoteLength: number;
  /** How long the peer believes our core is, as it last said in its own sync. */
  readonly lengthAcked: number;
  sendSync(): void;
}

function peersOf(core: Hypercore): SyncingPeer[] {
  const peers = core.peers as unknown as Array<Partial<SyncingPeer>>;
  for (const peer of peers) {
    if (
      typeof peer.sendSync !== 'function' ||
      typeof peer.remoteLength !== 'number' ||
      typeof peer.lengthAcked !== 'number'
    )
      throw new AppError('hypercore_internals_changed', undefined, {
        missing: 'Peer#sendSync / Peer#remoteLength / Peer#lengthAcked',
      });
  }
  return peers as SyncingPeer[];
}

const byKey = (peers: SyncingPeer[], keyHex: string) => peers.find((p) => p.remotePublicKey.toString('hex') === keyHex);

/**
 * If the main core has not heard the lane core's length, the lane says it again. `laneKeyHex`: the
 * lane as the main core's peer; `mainKeyHex`: the main store as the lane core's peer. Returns whether
 * the main core was behind.
 */
export function repeatLaneLength(
  main: Hypercore,
  lane: Hypercore,
  keys: { laneKeyHex: string; mainKeyHex: string },
): boolean {
  const laneAsHeard = byKey(peersOf(main), keys.laneKeyHex);
  if (!laneAsHeard || laneAsHeard.remoteLength >= lane.length) return false;
  const mainPeer = byKey(peersOf(lane), keys.mainKeyHex);
  if (!mainPeer) return false;
  mainPeer.sendSync();
  return true;
}

/**
 * The same loss between two printers: this printer's core grew (its cloud share arrived) while a LAN
 * peer's grew from elsewhere, and the peer never heard our new length, so it never asks us for the
 * blocks only we hold yet. We cannot see the peer's view directly, but each peer's own sync says what
 * it believes our length is (`lengthAcked`): where that is short of ours, we say it again. A peer that
 * heard us but has had no reason to sync since gets a message it did not need (a few bytes). Skips
 * `exceptKeyHex` (the node's own lane). Returns how many peers were told.
 */
export function repeatLengthWhereUnacknowledged(core: Hypercore, exceptKeyHex = ''): number {
  let told = 0;
  for (const peer of peersOf(core)) {
    if (peer.lengthAcked >= core.length || peer.remotePublicKey.toString('hex') === exceptKeyHex) continue;
    peer.sendSync();
    told++;
  }
  return told;
}
