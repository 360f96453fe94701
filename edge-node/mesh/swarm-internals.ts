import type Hyperswarm from 'hyperswarm';
import type { SwarmConnection } from 'hyperswarm';

/**
 * What Hyperswarm (4.17, pinned by the lockfile) keeps about one peer and its dials, read from its
 * private fields: it has no API for "why is this dial not connecting" or "start this dial over".
 * Everything here is optional-chained, so a Hyperswarm that renamed a field degrades to an empty
 * diagnostic and a plain re-join, never a crash.
 */
interface PeerInternals {
  attempts?: number;
  banned?: boolean;
  queued?: boolean;
  waiting?: boolean;
  explicit?: boolean;
  proven?: boolean;
  disconnectedTime?: number;
  relayAddresses?: unknown[] | null;
  topics?: unknown[];
}

interface SwarmInternals {
  peers: Map<string, PeerInternals>;
  connecting?: number;
  maxParallel?: number;
  _queue?: { length?: number };
  _allConnections?: { get(publicKey: string): SwarmConnection | undefined };
}

function internals(swarm: Hyperswarm): SwarmInternals {
  return swarm as unknown as SwarmInternals;
}

/** The swarm's view of one peer's dial, for a log line (`nowMs`: wall time, as Hyperswarm stamps its peers). */
export function dialState(swarm: Hyperswarm, keyHex: string, opened: boolean, nowMs: number): Record<string, unknown> {
  const s = internals(swarm);
  const peer = s.peers.get(keyHex);
  const pending = pendingDial(swarm, keyHex, opened);
  return {
    peer: keyHex.slice(0, 12),
    known: peer !== undefined,
    attempts: peer?.attempts,
    banned: peer?.banned,
    queued: peer?.queued,
    waiting: peer?.waiting,
    explicit: peer?.explicit,
    proven: peer?.proven,
    sinceDisconnectMs: peer?.disconnectedTime ? nowMs - peer.disconnectedTime : undefined,
    relayAddresses: peer?.relayAddresses?.length ?? 0,
    topics: peer?.topics?.length ?? 0,
    pendingDial: pending !== undefined,
    swarmConnecting: s.connecting,
    swarmMaxParallel: s.maxParallel,
    swarmQueued: s._queue?.length,
    clientDials: swarm.stats.connects.client,
  };
}

/**
 * Whether the swarm holds a connection to `keyHex` of any kind: a dial in flight, one held on
 * probation or closing, or the open one the mesh keeps. Either way a new dial would not start.
 */
export function hasSwarmConnection(swarm: Hyperswarm, keyHex: string): boolean {
  return pendingDial(swarm, keyHex, false) !== undefined;
}

/** Drops whatever connection the swarm holds to `keyHex`: callers make sure it is not one they keep (a dial in flight). */
export function cancelDial(swarm: Hyperswarm, keyHex: string): void {
  const pending = pendingDial(swarm, keyHex, false);
  if (!pending) return;
  pending.on('error', () => {});
  pending.destroy();
}

/** The swarm's dial of `keyHex` that has not opened yet (`opened`: the caller holds an open connection). */
function pendingDial(swarm: Hyperswarm, keyHex: string, opened: boolean): SwarmConnection | undefined {
  if (opened) return undefined;
  return internals(swarm)._allConnections?.get(keyHex);
}

/**
 * Starts the dial of an explicit peer over: drops the attempt still in flight (Hyperswarm will not
 * start another while one is in its connection set), forgets the peer's failed attempts (which set
 * its retry back-off) and queues it again. `stillWanted` is asked once the old attempt is gone.
 */
export function redialPeer(swarm: Hyperswarm, keyHex: string, stillWanted: () => boolean): void {
  const rejoin = () => {
    if (!stillWanted()) return;
    swarm.peers.get(keyHex)?.ban(false);
    const peer = internals(swarm).peers.get(keyHex);
    if (peer) peer.attempts = 0;
    const key = Buffer.from(keyHex, 'hex');
    swarm.leavePeer(key);
    swarm.joinPeer(key);
  };
  const pending = pendingDial(swarm, keyHex, false);
  if (!pending) {
    rejoin();
    return;
  }
  // Hyperswarm's own close handler runs first (registered first) and takes it out of its set.
  pending.once('close', rejoin);
  pending.on('error', () => {});
  pending.destroy();
}

/** streamx's flags for a stream on its way out. */
export function isClosing(conn: SwarmConnection): boolean {
  const flags = conn as unknown as { destroying?: boolean; destroyed?: boolean };
  return flags.destroying === true || flags.destroyed === true;
}
