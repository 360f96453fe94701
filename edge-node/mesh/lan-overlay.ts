import crypto from 'hypercore-crypto';
import { AppError } from '../../shared/errors.ts';
import { photoCoreNeighbours } from '../../shared/policy/photo-overlay.ts';
import { smallCoreNeighbours } from '../../shared/policy/small-core-overlay.ts';
import { HYPERCORE_PROTOCOL } from './core-channels.ts';

/** The Protomux call Hypercore opens a core's channel on a connection with (both directions). */
interface ChannelMaker {
  createChannel(opts: { protocol: string; id?: Buffer | null }): unknown;
}

/**
 * How a registered core's LAN peers are chosen: `small-core` (claims logs, orders feed: one ring,
 * shared/policy/small-core-overlay.ts) or `photos` (an event's blobs core: a few rings,
 * shared/policy/photo-overlay.ts).
 */
export type OverlayTopology = 'small-core' | 'photos';

/** A registered core's link with a printer that a membership change opened (`open`) or closed. */
export interface LinkChange {
  remote: string;
  discoveryKey: string;
  open: boolean;
}

export interface LanOverlayOptions {
  /** The small-core ring reach (default SMALL_CORE_RING_REACH); tests make it small. */
  smallCoreReach?: number;
  /** Rings per photo core until the coordinator states the venue's (default PHOTO_OVERLAY_RINGS); tests make it small. */
  photoRings?: number;
}

/**
 * The overlays on this node's LAN connections. Cores are registered here before they are opened;
 * every connection to a venue printer is guarded: Hypercore's channel for a registered core is
 * opened on it only when the remote printer is this node's neighbour for that core. Refusing the
 * channel is Protomux's own "no such channel" (the remote's open is rejected and its peer for that
 * core closes), so both ends agree without any message of ours; a core nobody registered (the event
 * catalogs) and a remote not in the membership (not known yet) are replicated as before.
 *
 * Corestore offers no per-connection choice of cores, so the connection's Protomux `createChannel`
 * is wrapped (the one call every Hypercore channel goes through, opened by us or by the remote).
 * Hypercore and Protomux are pinned (package.json overrides); the guard fails loudly if the call is
 * gone, and test/small-core-overlay.test.ts and test/photo-overlay.test.ts check it on real corestores.
 */
export class LanOverlay {
  readonly #self: string;
  readonly #smallCoreReach: number | undefined;
  #photoRings: number | undefined;
  /**
   * Discovery key (hex) → the core's key (hex), the rings' name, its topology, and how many
   * registrations hold it (two replicas of one event may be opening at once).
   */
  readonly #cores = new Map<string, { key: string; topology: OverlayTopology; holders: number }>();
  #printers = new Set<string>();
  /** Neighbours per core for the current membership; cleared when it changes. */
  readonly #neighbours = new Map<string, Set<string>>();
  readonly #refused: Record<OverlayTopology, number> = { 'small-core': 0, photos: 0 };
  /** Links outside the overlay held open for fans' photos (photo-detours.ts): discovery key → remote → holds. */
  readonly #detours = new Map<string, Map<string, number>>();

  constructor(selfKeyHex: string, opts: LanOverlayOptions = {}) {
    this.#self = selfKeyHex;
    this.#smallCoreReach = opts.smallCoreReach;
    this.#photoRings = opts.photoRings;
  }

  /** Channels this node declined on a connection (not a neighbour there), all topologies. */
  get refusedChannels(): number {
    return this.#refused['small-core'] + this.#refused.photos;
  }

  /** Channels declined for cores of one topology. */
  refused(topology: OverlayTopology): number {
    return this.#refused[topology];
  }

  /**
   * The venue's paired printers (keys, hex); this node is added if missing. `photoRings`: the
   * venue's photo overlay as the coordinator states it (unchanged if absent). Returns, for printers
   * that are members before and after, the registered cores whose link with them the change opened
   * or closed: a printer leaving a ring makes its two neighbours there neighbours, one joining
   * comes between two. The guard decides a channel only when it is offered, and an open one is
   * never decided again, so the caller changes those channels on the connections already up
   * (core-channels.ts).
   */
  setPrinters(keys: Iterable<string>, photoRings = this.#photoRings): LinkChange[] {
    const next = new Set([this.#self, ...keys]);
    const changes: LinkChange[] = [];
    const sameMembers = next.size === this.#printers.size && [...next].every((k) => this.#printers.has(k));
    if (sameMembers && photoRings === this.#photoRings) return changes;
    const wasMember = this.#printers;
    // The first membership (this node alone, or nobody yet) had no connections to change.
    const before =
      wasMember.size <= 1
        ? null
        : new Map([...this.#cores].map(([dk, core]) => [dk, this.#neighboursOf(core.key, core.topology)]));
    this.#printers = next;
    this.#photoRings = photoRings;
    this.#neighbours.clear();
    if (before === null) return changes;
    const stayed = [...next].filter((k) => k !== this.#self && wasMember.has(k));
    for (const [discoveryKey, core] of this.#cores) {
      const was = before.get(discoveryKey)!;
      const now = this.#neighboursOf(core.key, core.topology);
      const detoured = this.#detours.get(discoveryKey);
      for (const remote of stayed) {
        if (was.has(remote) === now.has(remote)) continue;
        // A detour holds the channel open whatever the overlay says: closing it would end the detour.
        if (!now.has(remote) && detoured?.has(remote)) continue;
        changes.push({ remote, discoveryKey, open: now.has(remote) });
      }
    }
    return changes;
  }

  /** Registers a core by its key; call before opening it, so its first channel is guarded too. */
  register(coreKey: Uint8Array, topology: OverlayTopology = 'small-core'): void {
    const discoveryKey = crypto.discoveryKey(coreKey).toString('hex');
    const known = this.#cores.get(discoveryKey);
    if (known) known.holders++;
    else this.#cores.set(discoveryKey, { key: Buffer.from(coreKey).toString('hex'), topology, holders: 1 });
  }

  /** Forgets a core this node closed (an ended event's photos) once nothing holds it, so membership changes skip it. */
  unregister(coreKey: Uint8Array): void {
    const discoveryKey = crypto.discoveryKey(coreKey).toString('hex');
    const core = this.#cores.get(discoveryKey);
    if (!core || --core.holders > 0) return;
    this.#cores.delete(discoveryKey);
    this.#neighbours.delete(core.key);
  }

  /** Whether this node replicates the core with this discovery key with the remote printer. */
  replicatesWith(discoveryKeyHex: string, remoteKeyHex: string): boolean {
    return (
      this.isNeighbour(discoveryKeyHex, remoteKeyHex) || this.#detours.get(discoveryKeyHex)?.has(remoteKeyHex) === true
    );
  }

  /** Whether the remote printer is this node's neighbour for the core on the overlay itself (detours aside). */
  isNeighbour(discoveryKeyHex: string, remoteKeyHex: string): boolean {
    const core = this.#cores.get(discoveryKeyHex);
    if (core === undefined || !this.#printers.has(remoteKeyHex)) return true;
    return this.#neighboursOf(core.key, core.topology).has(remoteKeyHex);
  }

  /**
   * Lets the core's channel with this remote printer through the guard whatever the overlay says,
   * until as many `closeDetour` calls (photo-detours.ts: a link held open for a fan's photo).
   */
  openDetour(discoveryKeyHex: string, remoteKeyHex: string): void {
    const remotes = this.#detours.get(discoveryKeyHex) ?? new Map<string, number>();
    this.#detours.set(discoveryKeyHex, remotes);
    remotes.set(remoteKeyHex, (remotes.get(remoteKeyHex) ?? 0) + 1);
  }

  /** Ends one `openDetour`; returns whether the channel is still wanted (another detour or the overlay). */
  closeDetour(discoveryKeyHex: string, remoteKeyHex: string): boolean {
    const remotes = this.#detours.get(discoveryKeyHex);
    const holds = remotes?.get(remoteKeyHex) ?? 0;
    if (remotes && holds <= 1) {
      remotes.delete(remoteKeyHex);
      if (remotes.size === 0) this.#detours.delete(discoveryKeyHex);
    } else remotes?.set(remoteKeyHex, holds - 1);
    return this.replicatesWith(discoveryKeyHex, remoteKeyHex);
  }

  #neighboursOf(coreKey: string, topology: OverlayTopology): Set<string> {
    let neighbours = this.#neighbours.get(coreKey);
    if (!neighbours) {
      neighbours =
        topology === 'photos'
          ? photoCoreNeighbours(coreKey, this.#printers, this.#self, this.#photoRings)
          : smallCoreNeighbours(coreKey, this.#printers, this.#self, this.#smallCoreReach);
      this.#neighbours.set(coreKey, neighbours);
    }
    return neighbours;
  }

  /** Guards a LAN printer connection's Protomux (the connection's `userData` once a corestore replicates on it). */
  guard(muxer: unknown, remoteKeyHex: string): void {
    const maker = muxer as Partial<ChannelMaker> | null;
    if (typeof maker?.createChannel !== 'function')
      throw new AppError('hypercore_internals_changed', undefined, { missing: 'Protomux#createChannel' });
    const original = maker.createChannel;
    maker.createChannel = (opts) => {
      if (opts.protocol === HYPERCORE_PROTOCOL && opts.id) {
        const discoveryKey = opts.id.toString('hex');
        if (!this.replicatesWith(discoveryKey, remoteKeyHex)) {
          this.#refused[this.#cores.get(discoveryKey)!.topology]++;
          return null;
        }
      }
      return original.call(maker, opts);
    };
  }
}

/**
 * The Protomux of a replication stream made in this process (`corestore.replicate(isInitiator)`), to
 * guard as a swarm connection's `userData` is guarded: for benches and tests on in-process venues.
 */
export function streamMuxer(stream: unknown): unknown {
  return (stream as { noiseStream: { userData: unknown } }).noiseStream.userData;
}
