/**
 * Detours (issue #16): links outside the photo overlay for fans' photos.
 *
 * On the overlay (shared/policy/photo-overlay.ts) a printer replicates an event's photos with its
 * neighbours only, and a photo reaches it hop by hop because every printer on the way fetches it
 * in the background. A fan's photo that no neighbour holds (the sync windows are closed, so nobody
 * relays; or it is still a few hops away) would come from the cloud although a printer down the
 * hall holds it, which the full mesh never did. So the fetch asks one or two of the printers that
 * announced it (the have-lists reach every printer over the catalog) for a detour: both ends let the
 * event's photo channel through their guards for that pair and open it on the connection they
 * already share; the fetch takes its blocks from there like from any peer and closes the detour
 * when it ends. A printer serves at most PHOTO_DETOURS_SERVED_AT_ONCE detours, each for
 * PHOTO_DETOUR_LEASE_MS at a time; one it declines is told so and the fetch asks another holder, one
 * whose lease is up is asked again while fans still wait. So a printer has at most
 * PHOTO_DETOURS_SERVED_AT_ONCE photo peers beyond the overlay's for the printers it serves, and two
 * per fan waiting at it.
 *
 * One link per pair of printers and event, however many fetches at the asker use it: the asker
 * tells the holder it is done only when its last fetch there ends. The request travels over a
 * Hypercore extension on the event's catalog core (shared/protocol/photo-detour.ts), on the
 * connection the channel then opens on, ahead of it, so the holder lets the channel through before
 * it is offered.
 */
import type Hypercore from 'hypercore';
import { photoDetourTargets } from '../../shared/policy/photo-overlay.ts';
import { ON_DEMAND_TIMEOUT_MS } from '../../shared/policy/source-choice.ts';
import type { Clock, Timer } from '../../shared/ports/clock.ts';
import type { StructuredLogger } from '../../shared/ports/logger.ts';
import {
  type DetourStats,
  PHOTO_DETOUR_EXTENSION,
  type PhotoDetourMessage,
  photoDetourMessageSchema,
} from '../../shared/protocol/photo-detour.ts';
import { type JsonExtension, type RemotePeer, registerJsonExtension } from './json-extension.ts';
import type { LanOverlay } from './lan-overlay.ts';

/** Detours a printer serves at once, over all events: each is another printer's extra photo peer. */
export const PHOTO_DETOURS_SERVED_AT_ONCE = 8;
/**
 * A served detour ends this long after it opened, as long as a fan's fetch may last: the asker asks
 * again if fans still wait, so a link shared by a stream of fans is renewed, and a link nobody ends
 * (a bug, a lost message) does not hold a place for good.
 */
export const PHOTO_DETOUR_LEASE_MS = ON_DEMAND_TIMEOUT_MS;
/**
 * A printer's catalog peer went away: its detours end only if no connection to it is back this much
 * later. Hyperswarm replaces a duplicate connection by closing one, and the other's channels open a
 * round trip later.
 */
export const PHOTO_DETOUR_PEER_GONE_GRACE_MS = 1_000;

/** What detours need of the node's mesh. */
export interface DetourLinks {
  overlay: Pick<LanOverlay, 'openDetour' | 'closeDetour' | 'isNeighbour'>;
  /** Opens or closes a core's channel on the live connection to a LAN printer (nothing if none is up). */
  setChannel(remote: string, discoveryKeyHex: string, open: boolean): void;
  isConnected(remote: string): boolean;
}

export interface PhotoDetoursOptions {
  /** This printer's key (hex): spreads its detours over a photo's holders (photoDetourTargets). */
  self: string;
  links: DetourLinks;
  clock: Clock;
  logger: StructuredLogger;
  /** Default PHOTO_DETOURS_SERVED_AT_ONCE. */
  servedAtOnce?: number;
  /** Default PHOTO_DETOUR_LEASE_MS. */
  leaseMs?: number;
}

/** The detours one fetch asked for; closed when the fetch ends. */
export interface Detour {
  readonly remotes: readonly string[];
  /** Every holder asked has declined, ended the detour or gone: ask others. */
  readonly ended: boolean;
  close(): void;
}

/** One event's side of the detours: asking its holders, and serving its photos to askers. */
export interface EventDetours {
  /**
   * Asks the holders (keys, hex) of one photo (`photoId`: any name unique in the event) for detours,
   * leaving out `exclude` (holders that declined this fetch); null when a photo peer holds it or no
   * holder is left.
   */
  ask(holders: readonly string[], photoId: string, exclude?: ReadonlySet<string>): Detour | null;
  /** Stops talking detours for this event (its replica closes); the detours it serves and uses end. */
  detach(): void;
}

/** What the attachments of one node share: options, counts, and the limit over all events. */
interface Shared {
  o: PhotoDetoursOptions;
  counts: { asked: number; served: number; declined: number; rejectedMessages: number };
  servingNow(): number;
}

export class PhotoDetours {
  readonly #shared: Shared;
  readonly #attached = new Set<AttachedEvent>();

  constructor(opts: PhotoDetoursOptions) {
    this.#shared = {
      o: opts,
      counts: { asked: 0, served: 0, declined: 0, rejectedMessages: 0 },
      servingNow: () => this.#servingNow(),
    };
  }

  get stats(): DetourStats {
    return { ...this.#shared.counts, serving: this.#servingNow() };
  }

  /** Talks detours on one event's catalog core for its blobs core (discovery key, hex). */
  attach(catalogCore: Hypercore, blobsDiscoveryKeyHex: string): EventDetours {
    const event = new AttachedEvent(this.#shared, catalogCore, blobsDiscoveryKeyHex, () =>
      this.#attached.delete(event),
    );
    this.#attached.add(event);
    return event;
  }

  /** Stops the served detours' timers (the mesh is closing; its connections go with it). */
  close(): void {
    for (const event of this.#attached) event.stopTimers();
  }

  #servingNow(): number {
    let n = 0;
    for (const event of this.#attached) n += event.serving;
    return n;
  }
}

/** One holder asked by one fetch. */
interface Leg {
  remote: string;
  ended: boolean;
}

/** A pair's link as the asker holds it: the fetches using it, and the opening the holder answers. */
interface Asked {
  legs: Set<Leg>;
  opening: number;
}

class AttachedEvent implements EventDetours {
  readonly #s: Shared;
  readonly #core: Hypercore;
  readonly #dk: string;
  readonly #extension: JsonExtension;
  readonly #onDetach: () => void;
  /** Detours served to askers, by asker: the opening served and the timer that ends it. */
  readonly #served = new Map<string, { opening: number; timer: Timer }>();
  /** Detours asked of holders, by holder. */
  readonly #asking = new Map<string, Asked>();
  /** Printers whose catalog peer went away, by key: the check that ends their detours. */
  readonly #gone = new Map<string, Timer>();
  #openings = 0;
  #detached = false;
  readonly #onPeerRemoved = (peer: RemotePeer) => {
    const remote = peer.remotePublicKey?.toString('hex');
    if (!remote || this.#gone.has(remote)) return;
    const check = this.#s.o.clock
      .setTimeout(() => {
        this.#gone.delete(remote);
        if (this.#peerOf(remote)) return;
        this.#endServed(remote, null);
        this.#endAsking(remote);
      }, PHOTO_DETOUR_PEER_GONE_GRACE_MS)
      .unref();
    this.#gone.set(remote, check);
  };

  constructor(shared: Shared, core: Hypercore, discoveryKeyHex: string, onDetach: () => void) {
    this.#s = shared;
    this.#core = core;
    this.#dk = discoveryKeyHex;
    this.#onDetach = onDetach;
    this.#extension = registerJsonExtension(core, PHOTO_DETOUR_EXTENSION, (message, peer) =>
      this.#receive(message, peer),
    );
    core.on('peer-remove', this.#onPeerRemoved);
  }

  get serving(): number {
    return this.#served.size;
  }

  ask(holders: readonly string[], photoId: string, exclude: ReadonlySet<string> = new Set()): Detour | null {
    if (this.#detached) return null;
    const { overlay, isConnected } = this.#s.o.links;
    const targets = photoDetourTargets(
      holders,
      (key) => overlay.isNeighbour(this.#dk, key),
      (key) => !exclude.has(key) && isConnected(key) && this.#peerOf(key) !== undefined,
      `${this.#s.o.self}/${photoId}`,
    );
    if (targets.length === 0) return null;
    const legs = targets.map((remote) => this.#openLeg(remote));
    return {
      remotes: targets,
      get ended() {
        return legs.every((leg) => leg.ended);
      },
      close: () => {
        for (const leg of legs) this.#closeLeg(leg);
      },
    };
  }

  detach(): void {
    this.#detached = true;
    this.#core.off('peer-remove', this.#onPeerRemoved);
    for (const check of this.#gone.values()) check.cancel();
    this.#gone.clear();
    // The replica closes: askers ask someone else, holders free the place at once.
    for (const remote of [...this.#served.keys()]) this.#endServed(remote, 'declined');
    for (const remote of [...this.#asking.keys()]) {
      this.#send(remote, { ask: false });
      this.#endAsking(remote);
    }
    this.#extension.destroy();
    this.#onDetach();
  }

  stopTimers(): void {
    for (const { timer } of this.#served.values()) timer.cancel();
    this.#served.clear();
    for (const check of this.#gone.values()) check.cancel();
    this.#gone.clear();
  }

  #openLeg(remote: string): Leg {
    const leg: Leg = { remote, ended: false };
    let asked = this.#asking.get(remote);
    if (!asked) {
      asked = { legs: new Set(), opening: 0 };
      this.#asking.set(remote, asked);
      this.#s.o.links.overlay.openDetour(this.#dk, remote);
      this.#askFor(remote, asked);
    }
    asked.legs.add(leg);
    this.#s.counts.asked++;
    return leg;
  }

  /** Asks the holder (again) for the link, ahead of the channel on the same connection: its guard lets it through. */
  #askFor(remote: string, asked: Asked): void {
    asked.opening = ++this.#openings;
    this.#send(remote, { ask: true, n: asked.opening });
    this.#s.o.links.setChannel(remote, this.#dk, true);
  }

  #closeLeg(leg: Leg): void {
    if (leg.ended) return;
    leg.ended = true;
    const asked = this.#asking.get(leg.remote);
    if (!asked?.legs.delete(leg) || asked.legs.size > 0) return;
    this.#asking.delete(leg.remote);
    this.#send(leg.remote, { ask: false });
    this.#release(leg.remote);
  }

  /** The holder declined or left: every fetch's leg there ends (they ask others). */
  #endAsking(remote: string): void {
    const asked = this.#asking.get(remote);
    if (!asked) return;
    this.#asking.delete(remote);
    for (const leg of asked.legs) leg.ended = true;
    this.#release(remote);
  }

  #receive(message: unknown, peer: RemotePeer): void {
    const remote = peer.remotePublicKey?.toString('hex');
    const parsed = photoDetourMessageSchema.safeParse(message);
    if (!remote || !parsed.success) {
      this.#s.counts.rejectedMessages++;
      return;
    }
    const m = parsed.data;
    if ('served' in m) this.#answered(remote, m.n, m.why);
    else if (m.ask) this.#serve(remote, m.n);
    else this.#endServed(remote, null);
  }

  /** The holder will not serve opening `n`; an answer to an earlier opening is stale. */
  #answered(remote: string, n: number, why: 'declined' | 'lease'): void {
    const asked = this.#asking.get(remote);
    if (!asked || asked.opening !== n) return;
    if (why === 'lease' && !this.#detached) this.#askFor(remote, asked);
    else this.#endAsking(remote);
  }

  #serve(remote: string, opening: number): void {
    const { o, counts } = this.#s;
    // A neighbour or a printer the membership does not name (yet) needs no detour.
    if (o.links.overlay.isNeighbour(this.#dk, remote)) return;
    const served = this.#served.get(remote);
    if (served) {
      // The same link asked again keeps its lease's end.
      served.opening = opening;
      return;
    }
    if (this.#detached || this.#s.servingNow() >= (o.servedAtOnce ?? PHOTO_DETOURS_SERVED_AT_ONCE)) {
      counts.declined++;
      o.logger.info(
        { peer: remote.slice(0, 12), serving: this.#s.servingNow() },
        'a printer asked for a photo detour while this one serves its most: declined (it asks another holder or the cloud)',
      );
      this.#send(remote, { served: false, n: opening, why: 'declined' });
      return;
    }
    const timer = o.clock
      .setTimeout(() => this.#endServed(remote, 'lease'), o.leaseMs ?? PHOTO_DETOUR_LEASE_MS)
      .unref();
    this.#served.set(remote, { opening, timer });
    o.links.overlay.openDetour(this.#dk, remote);
    o.links.setChannel(remote, this.#dk, true);
    counts.served++;
  }

  /** Ends a served detour; `tell`: why, when the asker did not end it itself. */
  #endServed(remote: string, tell: 'declined' | 'lease' | null): void {
    const served = this.#served.get(remote);
    if (!served) return;
    served.timer.cancel();
    this.#served.delete(remote);
    if (tell) this.#send(remote, { served: false, n: served.opening, why: tell });
    this.#release(remote);
  }

  /** Drops one lease on the pair's link; the channel closes unless the overlay or another lease wants it. */
  #release(remote: string): void {
    if (!this.#s.o.links.overlay.closeDetour(this.#dk, remote)) this.#s.o.links.setChannel(remote, this.#dk, false);
  }

  #send(remote: string, message: PhotoDetourMessage): void {
    const peer = this.#peerOf(remote);
    if (peer) this.#extension.send(message, peer);
  }

  #peerOf(remote: string): RemotePeer | undefined {
    return (this.#core.peers as RemotePeer[]).find((p) => p.remotePublicKey?.toString('hex') === remote);
  }
}
