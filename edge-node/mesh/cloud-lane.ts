import type { Duplex } from 'node:stream';
import type Corestore from 'corestore';
import type Hypercore from 'hypercore';
import type { DownloadRange } from 'hypercore';
import crypto from 'hypercore-crypto';
import { toSeqRanges } from '../../shared/feed/seq-ranges.ts';
import { Resource } from '../../shared/lifecycle/resource.ts';
import type { BlockRun } from './block-runs.ts';

/**
 * The cloud lane: a second corestore that alone talks to the coordinator's seeders, piped in-process
 * to the node's main corestore.
 *
 * Why: Hypercore cannot aim a request at one peer. With the seeder attached to the main store, any
 * block the node asks for (someone else's share, which a LAN peer is receiving right now) may be
 * taken from the cloud, and the WAN carries it twice; so the node used to fetch its own share with
 * the cloud attached, hang up, and only then take the rest from the LAN. Through the lane the WAN
 * carries exactly what the node asks the lane for (its own share, a fan's photo no LAN peer has, the
 * catalog, the orders feed), while the main store takes those blocks from the lane as they arrive
 * and everything else from its LAN peers at the same time: the cloud share and the LAN share move
 * together, and a block from the cloud is served on to LAN peers the moment the main store has it.
 *
 * The lane verifies what the seeder sends (Hypercore does) and stores it until the main store has it
 * too (`release`): its disk use is the node's own share in flight, not a second copy of the event.
 */
export class CloudLane extends Resource {
  readonly store: Corestore;
  readonly #main: Corestore;
  readonly #keyPair = crypto.keyPair();
  readonly #mainKeyPair = crypto.keyPair();
  #streams: Duplex[] = [];

  /** `store` is the lane's own (opened, not yet ready); it is closed with the lane. */
  constructor(main: Corestore, store: Corestore) {
    super();
    this.#main = main;
    this.store = store;
  }

  /** The lane's key as the main store's peers see it: a block from this peer came over the WAN. */
  get peerKey(): string {
    return this.#keyPair.publicKey.toString('hex');
  }

  /** The main store's key as the lane sees it: every other peer of the lane is a cloud seeder. */
  get mainPeerKey(): string {
    return this.#mainKeyPair.publicKey.toString('hex');
  }

  protected override async _open(): Promise<void> {
    this.defer(() => this.store.close());
    await this.store.ready();
    const toLane = this.#main.replicate(true, { keyPair: this.#mainKeyPair });
    const fromMain = this.store.replicate(false, { keyPair: this.#keyPair });
    // In-process: an error here is one of the two stores closing, which closes both ends anyway.
    for (const s of [toLane, fromMain]) s.on('error', () => {});
    toLane.pipe(fromMain).pipe(toLane);
    this.#streams = [toLane, fromMain];
    this.defer(() => {
      for (const s of this.#streams) s.destroy();
    });
  }

  /**
   * The lane's copy of a core. `whole`: the lane takes every block of it whenever the cloud is
   * attached (small cores every printer keeps whole: catalogs, the orders feed); otherwise only the
   * blocks asked for with `CloudCore.fetch`.
   */
  open(keyHex: string, opts: { whole: boolean }): CloudCore {
    return new CloudCore(this.store.get({ key: Buffer.from(keyHex, 'hex') }), opts.whole);
  }
}

/** One core's cloud lane: fetch blocks from the cloud, forget them once the main store has them. */
export class CloudCore extends Resource {
  readonly core: Hypercore;
  readonly #whole: boolean;
  #range: DownloadRange | null = null;

  constructor(core: Hypercore, whole: boolean) {
    super();
    this.core = core;
    this.#whole = whole;
  }

  protected override async _open(): Promise<void> {
    await this.core.ready();
    this.defer(() => this.core.close());
    if (this.#whole) {
      this.#range = this.core.download({ start: 0, end: -1 });
      this.defer(() => this.#range?.destroy());
    }
  }

  /** Asks the cloud (the only other peer of the lane besides the main store) for these blocks. */
  fetch(range: BlockRun): DownloadRange {
    return this.core.download(range);
  }

  /** Refreshes the core's length from the cloud; resolves false if the cloud did not answer. */
  async update(): Promise<boolean> {
    return this.core.update({ wait: false }).catch(() => false);
  }

  /** Who the lane core replicates with, as Hypercore sees them: logged when the cloud stalls. */
  peerSummary(): Array<Record<string, unknown>> {
    return this.core.peers.map(summarizePeer);
  }

  /** Drops the lane's copies of these blocks (the main store holds them now). */
  async release(blocks: Iterable<number>): Promise<void> {
    for (const [start, end] of toSeqRanges(blocks)) await this.core.clear(start, end);
  }
}

/** One Hypercore peer as its core sees it (diagnostics for the cloud-lane warnings). */
export function summarizePeer(peer: Hypercore['peers'][number]): Record<string, unknown> & { peer: string } {
  const p = peer as unknown as Record<string, unknown>;
  return {
    peer: peer.remotePublicKey.toString('hex').slice(0, 12),
    remoteLength: p.remoteLength,
    remoteContiguousLength: p.remoteContiguousLength,
    inflight: p.inflight,
    paused: p.paused,
    remoteUploading: p.remoteUploading,
    canUpgrade: p.canUpgrade,
  };
}
