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
 * when it ends. A printer serves at most PHOTO_DETOURS_SERVED_MAX detours at once, each for at most
 * PHOTO_DETOUR_SERVED_MAX_MS, so the overlay's bound on a printer's photo peers holds within a few.
 *
 * The request travels over a Hypercore extension on the event's catalog core
 * (shared/protocol/photo-detour.ts), on the same connection and ahead of the channel it announces,
 * so the holder lets the channel through before it is offered.
 */
import type Hypercore from 'hypercore';
import { photoDetourTargets } from '../../shared/policy/photo-overlay.ts';
import { ON_DEMAND_TIMEOUT_MS } from '../../shared/policy/source-choice.ts';
import type { Clock, Timer } from '../../shared/ports/clock.ts';
import type { StructuredLogger } from '../../shared/ports/logger.ts';
import {
  PHOTO_DETOUR_EXTENSION,
  type PhotoDetourMessage,
  photoDetourMessageSchema,
} from '../../shared/protocol/photo-detour.ts';
import type { LanOverlay } from './lan-overlay.ts';

/** Detours a printer serves at once, over all events: each is another printer's extra photo peer. */
export const PHOTO_DETOURS_SERVED_MAX = 8;
/** A served detour closes after this long even if the asker never says it is done: a fan's fetch is over by then. */
export const PHOTO_DETOUR_SERVED_MAX_MS = ON_DEMAND_TIMEOUT_MS;

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
  /** Default PHOTO_DETOURS_SERVED_MAX. */
  servedMax?: number;
  /** Default PHOTO_DETOUR_SERVED_MAX_MS. */
  servedMaxMs?: number;
}

/** The detours one fetch asked for; closed when the fetch ends. */
export interface Detour {
  readonly remotes: readonly string[];
  close(): void;
}

/** One event's side of the detours: asking its holders, and serving its photos to askers. */
export interface EventDetours {
  /**
   * Asks the holders (keys, hex) of one photo (`photoId`: any name unique in the event) for detours;
   * null when a photo peer holds it or no holder is connected.
   */
  ask(holders: readonly string[], photoId: string): Detour | null;
  /** Stops talking detours for this event (its replica closes); detours it serves are closed. */
  detach(): void;
}

export interface DetourStats {
  /** Detours this printer asked for. */
  asked: number;
  /** Detours it opened for others. */
  served: number;
  /** Requests it turned down at PHOTO_DETOURS_SERVED_MAX. */
  declined: number;
  /** Detours it serves now. */
  serving: number;
  /** Malformed requests ignored. */
  rejectedMessages: number;
}

interface DetourExtension {
  send(message: PhotoDetourMessage, peer: unknown): void;
  destroy(): void;
}

interface RemotePeer {
  remotePublicKey?: Buffer;
}

export class PhotoDetours {
  readonly #o: PhotoDetoursOptions;
  /** Served detours by `${discoveryKey}/${remote}`: the timer that ends each. */
  readonly #serving = new Map<string, Timer>();
  readonly #counts = { asked: 0, served: 0, declined: 0, rejectedMessages: 0 };

  constructor(opts: PhotoDetoursOptions) {
    this.#o = opts;
  }

  get stats(): DetourStats {
    return { ...this.#counts, serving: this.#serving.size };
  }

  /** Talks detours on one event's catalog core for its blobs core (discovery key, hex). */
  attach(catalogCore: Hypercore, blobsDiscoveryKeyHex: string): EventDetours {
    const dk = blobsDiscoveryKeyHex;
    const extension = (
      catalogCore as unknown as {
        registerExtension(
          name: string,
          handlers: { encoding: string; onmessage: (m: unknown, peer: RemotePeer) => void },
        ): DetourExtension;
      }
    ).registerExtension(PHOTO_DETOUR_EXTENSION, {
      encoding: 'json',
      onmessage: (message, peer) => this.#receive(dk, message, peer),
    });
    // The asker's connection is gone: its detour with it.
    const onPeerRemoved = (peer: RemotePeer) => {
      const remote = peer.remotePublicKey?.toString('hex');
      if (remote) this.#endServed(dk, remote);
    };
    catalogCore.on('peer-remove', onPeerRemoved);
    const peerOf = (remote: string) =>
      (catalogCore.peers as RemotePeer[]).find((p) => p.remotePublicKey?.toString('hex') === remote);
    return {
      ask: (holders, photoId) => {
        const { overlay, isConnected, setChannel } = this.#o.links;
        const targets = photoDetourTargets(
          holders,
          (key) => overlay.isNeighbour(dk, key),
          (key) => isConnected(key) && peerOf(key) !== undefined,
          `${this.#o.self}/${photoId}`,
        );
        if (targets.length === 0) return null;
        for (const remote of targets) {
          overlay.openDetour(dk, remote);
          // Ahead of the channel on the same connection: the holder's guard lets it through.
          extension.send({ open: true }, peerOf(remote));
          setChannel(remote, dk, true);
          this.#counts.asked++;
        }
        let closed = false;
        return {
          remotes: targets,
          close: () => {
            if (closed) return;
            closed = true;
            for (const remote of targets) {
              const peer = peerOf(remote);
              if (peer) extension.send({ open: false }, peer);
              if (!overlay.closeDetour(dk, remote)) setChannel(remote, dk, false);
            }
          },
        };
      },
      detach: () => {
        catalogCore.off('peer-remove', onPeerRemoved);
        extension.destroy();
        for (const id of [...this.#serving.keys()]) {
          if (id.startsWith(`${dk}/`)) this.#endServed(dk, id.slice(dk.length + 1));
        }
      },
    };
  }

  #receive(dk: string, message: unknown, peer: RemotePeer): void {
    const remote = peer.remotePublicKey?.toString('hex');
    const parsed = photoDetourMessageSchema.safeParse(message);
    if (!remote || !parsed.success) {
      this.#counts.rejectedMessages++;
      return;
    }
    if (!parsed.data.open) {
      this.#endServed(dk, remote);
      return;
    }
    const { overlay, setChannel } = this.#o.links;
    // A neighbour, or a printer the membership does not name (yet): the channel needs no detour.
    if (overlay.isNeighbour(dk, remote)) return;
    const id = `${dk}/${remote}`;
    const running = this.#serving.get(id);
    if (running) {
      running.cancel();
      this.#serving.set(id, this.#endTimer(dk, remote));
      return;
    }
    if (this.#serving.size >= (this.#o.servedMax ?? PHOTO_DETOURS_SERVED_MAX)) {
      this.#counts.declined++;
      this.#o.logger.info(
        { peer: remote.slice(0, 12), serving: this.#serving.size },
        'a printer asked for a photo detour while this one serves its most: declined (it falls back to the cloud)',
      );
      return;
    }
    this.#serving.set(id, this.#endTimer(dk, remote));
    overlay.openDetour(dk, remote);
    setChannel(remote, dk, true);
    this.#counts.served++;
  }

  #endTimer(dk: string, remote: string): Timer {
    return this.#o.clock
      .setTimeout(() => this.#endServed(dk, remote), this.#o.servedMaxMs ?? PHOTO_DETOUR_SERVED_MAX_MS)
      .unref();
  }

  #endServed(dk: string, remote: string): void {
    const id = `${dk}/${remote}`;
    const timer = this.#serving.get(id);
    if (!timer) return;
    timer.cancel();
    this.#serving.delete(id);
    if (!this.#o.links.overlay.closeDetour(dk, remote)) this.#o.links.setChannel(remote, dk, false);
  }

  /** Stops the served detours' timers (the mesh is closing; its connections go with it). */
  close(): void {
    for (const timer of this.#serving.values()) timer.cancel();
    this.#serving.clear();
  }
}
