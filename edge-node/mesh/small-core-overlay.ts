import crypto from 'hypercore-crypto';
import { AppError } from '../../shared/errors.ts';
import { smallCoreNeighbours } from '../../shared/policy/small-core-overlay.ts';

/** The Protomux call Hypercore opens a core's channel on a connection with (both directions). */
interface ChannelMaker {
  createChannel(opts: { protocol: string; id?: Buffer | null }): unknown;
}

/** The protocol name Hypercore's replicator opens its channels under. */
const HYPERCORE_PROTOCOL = 'hypercore/alpha';

/**
 * The small-core overlay on this node's LAN connections (policy: shared/policy/small-core-overlay.ts).
 * The claims logs and the orders feed are registered here before they are opened; every connection
 * to a venue printer is guarded: Hypercore's channel for a registered core is opened on it only when
 * the remote printer is this node's ring neighbour for that core. Refusing the channel is Protomux's
 * own "no such channel" (the remote's open is rejected and its peer for that core closes), so both
 * ends agree without any message of ours; a core nobody registered (the photo feeds) and a remote not
 * in the membership (not known yet) are replicated as before.
 *
 * Corestore offers no per-connection choice of cores, so the connection's Protomux `createChannel`
 * is wrapped (the one call every Hypercore channel goes through, opened by us or by the remote).
 * Hypercore and Protomux are pinned (package.json overrides); the guard fails loudly if the call is
 * gone, and test/small-core-overlay.test.ts checks the overlay on real corestores.
 */
export class SmallCoreOverlay {
  readonly #self: string;
  readonly #reach: number | undefined;
  /** Discovery key (hex) → the core's key (hex), the ring's name. */
  readonly #cores = new Map<string, string>();
  #printers = new Set<string>();
  /** Neighbours per core for the current membership; cleared when it changes. */
  readonly #neighbours = new Map<string, Set<string>>();
  #refused = 0;

  /** `reach` is the ring reach (default SMALL_CORE_RING_REACH); tests make it small. */
  constructor(selfKeyHex: string, reach?: number) {
    this.#self = selfKeyHex;
    this.#reach = reach;
  }

  /** Channels for small cores this node declined on a connection (not a neighbour there). */
  get refusedChannels(): number {
    return this.#refused;
  }

  /** The venue's paired printers (keys, hex); this node is added if missing. */
  setPrinters(keys: Iterable<string>): void {
    const next = new Set([this.#self, ...keys]);
    if (next.size === this.#printers.size && [...next].every((k) => this.#printers.has(k))) return;
    this.#printers = next;
    this.#neighbours.clear();
  }

  /** Registers a small core by its key; call before opening it, so its first channel is guarded too. */
  register(coreKey: Uint8Array): void {
    this.#cores.set(crypto.discoveryKey(coreKey).toString('hex'), Buffer.from(coreKey).toString('hex'));
  }

  /** Whether this node replicates the core with this discovery key with the remote printer. */
  replicatesWith(discoveryKeyHex: string, remoteKeyHex: string): boolean {
    const coreKey = this.#cores.get(discoveryKeyHex);
    if (coreKey === undefined || !this.#printers.has(remoteKeyHex)) return true;
    let neighbours = this.#neighbours.get(coreKey);
    if (!neighbours) {
      neighbours = smallCoreNeighbours(coreKey, this.#printers, this.#self, this.#reach);
      this.#neighbours.set(coreKey, neighbours);
    }
    return neighbours.has(remoteKeyHex);
  }

  /** Guards a LAN printer connection's Protomux (the connection's `userData` once a corestore replicates on it). */
  guard(muxer: unknown, remoteKeyHex: string): void {
    const maker = muxer as Partial<ChannelMaker> | null;
    if (typeof maker?.createChannel !== 'function')
      throw new AppError('hypercore_internals_changed', undefined, { missing: 'Protomux#createChannel' });
    const original = maker.createChannel;
    maker.createChannel = (opts) => {
      if (
        opts.protocol === HYPERCORE_PROTOCOL &&
        opts.id &&
        !this.replicatesWith(opts.id.toString('hex'), remoteKeyHex)
      ) {
        this.#refused++;
        return null;
      }
      return original.call(maker, opts);
    };
  }
}
