import { createHash } from 'node:crypto';
import type Corestore from 'corestore';
import Hyperbee from 'hyperbee';
import Hyperblobs from 'hyperblobs';
import type Hypercore from 'hypercore';
import type { DownloadRange } from 'hypercore';
import crypto from 'hypercore-crypto';
import { type CatalogEntry, type EventFeedDescriptor, FEED_BLOCK_BYTES } from '../../shared/feed/feed-layout.ts';
import { Resource } from '../../shared/lifecycle/resource.ts';
import { type Clock, systemClock } from '../../shared/ports/clock.ts';
import { frameAsCatalogEntry, type TemplateCatalogEntry } from '../../shared/templates/template-feed.ts';
import { isLocalStorageError } from '../status/storage-health.ts';
import type { BlockRun } from './block-runs.ts';
import { type CloudCore, type CloudLane, summarizePeer } from './cloud-lane.ts';
import { HaveMap } from './have-map.ts';
import { raceDuplicatesOnlyWhen } from './hotswap-policy.ts';
import type { LanOverlay } from './lan-overlay.ts';
import { repeatLaneLength, repeatLengthWhereUnacknowledged } from './length-announcements.ts';
import { type PhotoArrival, PhotoArrivals } from './photo-arrivals.ts';
import type { Detour, EventDetours, PhotoDetours } from './photo-detours.ts';
import { CatalogReader } from './replica-catalog.ts';

/** A catalog length refresh asks connected peers and gives up after this long. */
export const CATALOG_UPDATE_WAIT_MS = 2_000;

export type ByteSource = 'lan' | 'cloud';

export interface EventReplicaHooks {
  /** Bytes that arrived from a LAN peer or the cloud, or were served to a LAN peer. */
  onBytes: (source: ByteSource | 'served', bytes: number) => void;
  /** Whether a peer key is one of the coordinator's seeders. */
  isCloud: (keyHex: string) => boolean;
  /** A peer sent data that failed verification. */
  onBadPeer?: (keyHex: string, reason: string) => void;
  /** A block was verified but could not be stored here (full disk). */
  onStorageError?: (err: Error) => void;
  clock?: Clock;
  /** The node's cloud lane (cloud-lane.ts); without one the seeder attaches to the main store. */
  lane?: CloudLane;
  /**
   * Whether Hypercore may ask a second LAN peer for blocks already in flight (hotswap-policy.ts):
   * worth it while a fan waits, waste in background sync. Default: always (Hypercore's own).
   */
  raceDuplicates?: () => boolean;
  /**
   * The LAN overlay (lan-overlay.ts): the blobs core is registered with it before it is opened, so
   * at a large venue the photos replicate with this printer's overlay neighbours only, and
   * unregistered when the replica closes. None: every peer.
   */
  overlay?: Pick<LanOverlay, 'register' | 'unregister'>;
  /**
   * Detours (photo-detours.ts): a fan's photo that no overlay neighbour holds is fetched from a
   * printer that does, over a link held open for the fetch. None: no detours (asked or served).
   */
  detours?: Pick<PhotoDetours, 'attach'>;
  /** A photo became printable here (photo-arrivals.ts). */
  onArrival?: (arrival: PhotoArrival) => void;
  /** Its tracking failed for a reason other than the replica closing. */
  onArrivalError?: (err: unknown) => void;
}

export interface HoldingsScan {
  eventId: string;
  entries: CatalogEntry[];
  held: CatalogEntry[];
  /** Issue #14: the event's templates with a frame, and how many of those frames are held whole here. */
  templates?: { total: number; held: number };
  /** LAN printers the photos replicate with (photoPeers()). */
  photoPeers?: number;
}

/**
 * One event's feed as a printer holds it: the catalog (Hyperbee, replicated whole: it is small and
 * every printer needs all of it) and the blobs core (replicated sparsely: blocks are fetched by the
 * replicator and the on-demand fetcher). Every block is verified by Hypercore against the writer's
 * signed Merkle tree before it is stored; images are checked against their catalog sha256 again
 * before they are printed.
 */
export class EventReplica extends Resource {
  readonly descriptor: EventFeedDescriptor;
  readonly blobsCore: Hypercore;
  readonly catalog: Hyperbee<unknown>;
  readonly blobs: Hyperblobs;
  /** Which images the LAN peers hold whole, as they announce it. */
  readonly have: HaveMap;
  /** When each photo became printable here. */
  readonly arrivals: PhotoArrivals;
  #catalogRange: DownloadRange | null = null;
  /** Issue #14: frames being fetched ahead of need, by template id and version. */
  readonly #frameRanges = new Map<string, DownloadRange>();
  readonly #catalogReader: CatalogReader;
  readonly #isCloud: (keyHex: string) => boolean;
  readonly #clock: Clock;
  /** This event's cores in the cloud lane (null: no lane, the seeder attaches to the main store). */
  readonly #cloudBlobs: CloudCore | null;
  readonly #cloudCatalog: CloudCore | null;
  readonly #laneMainKey: string;
  /** The lane's key as the main store's peer (empty without a lane). */
  readonly #lanePeerKey: string;
  /** Local reads under way, by block offset and hash (readLocal). */
  readonly #reading = new Map<string, Promise<Buffer | null>>();
  readonly #raceDuplicates: (() => boolean) | null;
  #restoreHotswaps: (() => void) | null = null;
  readonly #arrivalFailed: (err: unknown) => void;
  readonly #overlay: EventReplicaHooks['overlay'] | null;
  readonly #blobsKey: Buffer;
  readonly #detours: EventDetours | null;

  constructor(store: Corestore, descriptor: EventFeedDescriptor, hooks: EventReplicaHooks) {
    super();
    const { onBytes, isCloud, onBadPeer = () => {}, onStorageError = () => {}, clock = systemClock, lane } = hooks;
    this.descriptor = descriptor;
    this.#raceDuplicates = hooks.raceDuplicates ?? null;
    this.#clock = clock;
    const lanePeer = lane?.peerKey ?? null;
    this.#laneMainKey = lane?.mainPeerKey ?? '';
    this.#lanePeerKey = lanePeer ?? '';
    // A block the main store took from the cloud lane came over the WAN (the lane counted its bytes).
    this.#isCloud = (key) => key === lanePeer || isCloud(key);
    const encryption = { key: Buffer.from(descriptor.encryptionKey, 'hex') };
    this.#overlay = hooks.overlay ?? null;
    this.#blobsKey = Buffer.from(descriptor.blobsKey, 'hex');
    this.#overlay?.register(this.#blobsKey, 'photos');
    this.blobsCore = store.get({ key: this.#blobsKey, encryption });
    const catalogCore = store.get({ key: Buffer.from(descriptor.catalogKey, 'hex'), encryption });
    this.catalog = new Hyperbee(catalogCore, { keyEncoding: 'utf-8', valueEncoding: 'json' });
    this.blobs = new Hyperblobs(this.blobsCore, { blockSize: FEED_BLOCK_BYTES });
    this.have = new HaveMap(catalogCore, { clock });
    this.#detours = hooks.detours?.attach(catalogCore, crypto.discoveryKey(this.#blobsKey).toString('hex')) ?? null;
    this.arrivals = new PhotoArrivals({
      clock,
      holds: (entry) => this.holds(entry),
      onArrival: (arrival) => {
        this.have.announceArrival(arrival.seq);
        hooks.onArrival?.(arrival);
      },
    });
    this.#arrivalFailed = (err) => {
      if (!this.closing) hooks.onArrivalError?.(err);
    };
    this.#catalogReader = new CatalogReader(this.catalog, clock, (entries) =>
      this.arrivals.track(entries).catch(this.#arrivalFailed),
    );
    this.blobsCore.on('download', (index: number) => this.arrivals.blockLanded(index).catch(this.#arrivalFailed));
    this.#cloudBlobs = lane?.open(descriptor.blobsKey, { whole: false }) ?? null;
    this.#cloudCatalog = lane?.open(descriptor.catalogKey, { whole: true }) ?? null;
    const keyOf = (from: { remotePublicKey?: Buffer } | undefined) => from?.remotePublicKey?.toString('hex') ?? '';
    const account = (_index: number, byteLength: number, from: { remotePublicKey?: Buffer }) => {
      const key = keyOf(from);
      if (key === lanePeer) return;
      onBytes(isCloud(key) ? 'cloud' : 'lan', byteLength);
    };
    this.blobsCore.on('download', account);
    catalogCore.on('download', account);
    // The lane's peers are the seeders and the main store: what it took from the main store (already
    // here) is not counted, everything else came over the WAN.
    const accountWan = (_index: number, byteLength: number, from: { remotePublicKey?: Buffer }) => {
      if (keyOf(from) !== lane?.mainPeerKey) onBytes('cloud', byteLength);
    };
    const wire = (c: CloudCore) => {
      c.core.on('download', accountWan);
      c.core.on('verification-error', refuse);
    };
    // What this printer serves to its LAN neighbours (it never serves the cloud; the lane is itself).
    const served = (_index: number, byteLength: number, to: { remotePublicKey?: Buffer }) => {
      if (keyOf(to) !== lanePeer) onBytes('served', byteLength);
    };
    this.blobsCore.on('upload', served);
    catalogCore.on('upload', served);
    // Hypercore refused data that does not match the writer's signed Merkle tree: that peer is
    // serving corrupt or forged blocks. Nothing of it was stored; the peer is reported to be cut off.
    // Hypercore reports a block it verified but could not store (full disk) the same way: that is
    // this printer's fault, not the peer's, and blocking honest peers would stop sync for good.
    const refuse = (err: Error, _req: unknown, _res: unknown, from: { remotePublicKey?: Buffer }) => {
      if (isLocalStorageError(err)) return onStorageError(err);
      const key = from?.remotePublicKey?.toString('hex');
      if (key && key !== lanePeer) onBadPeer(key, err?.message ?? 'invalid data');
    };
    this.blobsCore.on('verification-error', refuse);
    catalogCore.on('verification-error', refuse);
    for (const c of [this.#cloudBlobs, this.#cloudCatalog]) if (c) wire(c);
  }

  /** Calls `listener` with each blob block downloaded from now on and who sent it; returns the unsubscribe. */
  onBlockDownload(listener: (index: number, source: ByteSource) => void): () => void {
    const onDownload = (index: number, _byteLength: number, from: { remotePublicKey?: Buffer }) =>
      listener(index, this.#isCloud(from?.remotePublicKey?.toString('hex') ?? '') ? 'cloud' : 'lan');
    this.blobsCore.on('download', onDownload);
    return () => this.blobsCore.off('download', onDownload);
  }

  /**
   * Calls `listener` whenever the feed grows here (Hypercore's live 'append' on the blobs or the
   * catalog core: a peer or the cloud told us about new blocks); returns the unsubscribe. Live
   * replication starts a sync cycle on it instead of waiting for the next tick.
   */
  onGrowth(listener: () => void): () => void {
    this.blobsCore.on('append', listener);
    this.catalog.core.on('append', listener);
    return () => {
      this.blobsCore.off('append', listener);
      this.catalog.core.off('append', listener);
    };
  }

  get eventId(): string {
    return this.descriptor.eventId;
  }

  protected override async _open(): Promise<void> {
    await Promise.all([
      this.blobsCore.ready(),
      this.catalog.ready(),
      this.#cloudBlobs?.ready(),
      this.#cloudCatalog?.ready(),
    ]);
    if (this.#raceDuplicates)
      this.#restoreHotswaps = raceDuplicatesOnlyWhen(this.blobsCore, this.#raceDuplicates).restore;
    // The whole catalog, live: new entries arrive as the coordinator appends.
    this.#catalogRange = this.catalog.core.download({ start: 0, end: -1 });
  }

  /** Catalog entries held locally, in append order (replica-catalog.ts). */
  entries(): Promise<CatalogEntry[]> {
    return this.#catalogReader.entries();
  }

  /** The catalog entry, or null when it is not here yet (no peer sent it within timeoutMs, default CATALOG_GET_TIMEOUT_MS); other failures throw. */
  entry(imageId: string, timeoutMs?: number): Promise<CatalogEntry | null> {
    return this.#catalogReader.entry(imageId, timeoutMs);
  }

  /** Issue #14: a template of the event, as the catalog has it now; null when it is not here (yet). */
  templateEntry(templateId: string, timeoutMs?: number): Promise<TemplateCatalogEntry | null> {
    return this.#catalogReader.templateEntry(templateId, timeoutMs);
  }

  /** Issue #14: every template of the event in the catalog (the printer prefetches their frames). */
  templateEntries(): Promise<TemplateCatalogEntry[]> {
    return this.#catalogReader.templateEntries();
  }

  /** Refreshes the catalog's length from connected peers (the cloud lane first, if attached); never waits long. */
  async updateCatalog(): Promise<void> {
    const stop = new AbortController();
    const update = async () => {
      await this.#cloudCatalog?.update();
      await this.catalog.core.update({ wait: false }).catch(() => false);
    };
    await Promise.race([update(), this.#clock.sleep(CATALOG_UPDATE_WAIT_MS, stop.signal).catch(() => {})]);
    stop.abort();
  }

  /**
   * Asks the cloud for these blob blocks. With a cloud lane the lane fetches them and the main core,
   * which must want them too (a download range of its own), takes them from the lane as they arrive;
   * without one, the main core asks whoever is attached.
   */
  fetchFromCloud(range: BlockRun): DownloadRange {
    return this.#cloudBlobs ? this.#cloudBlobs.fetch(range) : this.blobsCore.download(range);
  }

  /** The cloud lane's view of its peers for this event's blobs (diagnostics). */
  cloudLanePeers(): { length: number; peers: Array<Record<string, unknown>> } | null {
    if (!this.#cloudBlobs) return null;
    const main = this.#laneMainKey.slice(0, 12);
    const peers = this.#cloudBlobs.peerSummary().map((p) => ({ ...p, isMainStore: p.peer === main }));
    return { length: this.#cloudBlobs.core.length, peers };
  }

  /**
   * Asks the printers that announced this photo for detours when no photo peer holds it
   * (photo-detours.ts), leaving out `exclude` (holders that declined this fetch); the caller closes
   * what it gets once the fetch ends. Null: none needed or possible.
   */
  openDetour(entry: CatalogEntry, exclude?: ReadonlySet<string>): Detour | null {
    return this.#detours?.ask(this.have.holderKeys(entry.seq), String(entry.seq), exclude) ?? null;
  }

  /** LAN printers the blobs core replicates with now: not the cloud lane, not a seeder. */
  photoPeers(): number {
    return this.blobsCore.peers.filter((peer) => !this.#isCloud(peer.remotePublicKey.toString('hex'))).length;
  }

  /** The main blobs core's peers as it sees them (diagnostics): which is the lane, how far each is. */
  mainCorePeers(): Array<Record<string, unknown>> {
    return this.blobsCore.peers.map((peer) => ({
      ...summarizePeer(peer),
      isCloudLane: peer.remotePublicKey.toString('hex') === this.#lanePeerKey,
    }));
  }

  /**
   * Says the lane core's length to the main core again if the main core has not heard it (a sync
   * Hypercore can lose: length-announcements.ts); without it the main core never takes the newest blocks
   * from the lane. Returns whether it had to.
   */
  repeatLaneLength(): boolean {
    if (!this.#cloudBlobs) return false;
    return repeatLaneLength(this.blobsCore, this.#cloudBlobs.core, {
      laneKeyHex: this.#lanePeerKey,
      mainKeyHex: this.#laneMainKey,
    });
  }

  /**
   * Says this printer's length again to the LAN peers whose last word shows they have not heard it
   * (length-announcements.ts): after its cloud share arrives, they are the ones who need it.
   */
  repeatLengthToLanPeers(): number {
    return repeatLengthWhereUnacknowledged(this.blobsCore, this.#lanePeerKey);
  }

  /** Whether the cloud's blocks reach the main core through a lane (so LAN fetches may run meanwhile). */
  get hasCloudLane(): boolean {
    return this.#cloudBlobs !== null;
  }

  /** Forgets the lane's copies of the blocks the main core now holds. */
  async releaseCloudCopies(blocks: Iterable<number>): Promise<void> {
    if (!this.#cloudBlobs) return;
    const held: number[] = [];
    for (const b of blocks) if (b < this.blobsCore.length && (await this.blobsCore.has(b))) held.push(b);
    await this.#cloudBlobs.release(held);
  }

  async holds(entry: CatalogEntry): Promise<boolean> {
    const { blockOffset, blockLength } = entry.blob;
    if (blockLength === 0) return true;
    if (this.blobsCore.length < blockOffset + blockLength) return false;
    return this.blobsCore.has(blockOffset, blockOffset + blockLength);
  }

  /** Indices of the entry's blocks not held locally. */
  async missingBlocks(entry: CatalogEntry): Promise<number[]> {
    const missing: number[] = [];
    const { blockOffset, blockLength } = entry.blob;
    for (let i = blockOffset; i < blockOffset + blockLength; i++) {
      if (!(await this.blobsCore.has(i))) missing.push(i);
    }
    return missing;
  }

  /**
   * Reads a fully held image and checks it against the catalog's sha256; null if not whole or wrong.
   * Concurrent reads of one photo share one read: a scan's warm-up and its print read the same master.
   */
  async readLocal(entry: CatalogEntry): Promise<Buffer | null> {
    // Asked each time, never shared: a photo not whole a moment ago may be whole now.
    if (!(await this.holds(entry))) return null;
    const key = `${entry.blob.blockOffset}:${entry.sha256}`;
    let reading = this.#reading.get(key);
    if (!reading) {
      reading = this.#readWhole(entry).finally(() => this.#reading.delete(key));
      this.#reading.set(key, reading);
    }
    return reading;
  }

  async #readWhole(entry: CatalogEntry): Promise<Buffer | null> {
    const bytes = await this.blobs.get(entry.blob, { wait: false });
    if (!bytes || createHash('sha256').update(bytes).digest('hex') !== entry.sha256) return null;
    return bytes;
  }

  /** Tells LAN peers which images this printer now holds whole. */
  async announceHoldings(scan?: HoldingsScan): Promise<HoldingsScan> {
    const current = scan ?? (await this.scanHoldings());
    this.have.announce(current.held.map((e) => e.seq));
    return current;
  }

  /**
   * Issue #14: every template's frame is fetched ahead of need (frames are few and small), so a
   * framed print works with no cloud and no neighbour. Hypercore keeps each range live until held.
   */
  async prefetchTemplates(): Promise<{ total: number; held: number }> {
    let total = 0;
    let held = 0;
    for (const template of await this.templateEntries()) {
      const frame = frameAsCatalogEntry(template);
      if (!frame) continue;
      total++;
      if (await this.holds(frame)) held++;
      const key = `${template.templateId}@${template.version}`;
      if (this.#frameRanges.has(key)) continue;
      const { blockOffset, blockLength } = frame.blob;
      this.#frameRanges.set(key, this.blobsCore.download({ start: blockOffset, end: blockOffset + blockLength }));
    }
    return { total, held };
  }

  /** The catalog entries, and those held whole here: one pass, shared by status, announcements and reports. */
  async scanHoldings(): Promise<HoldingsScan> {
    // Piggybacks on the periodic scan; a failure here must not stop status and announcements.
    const templates = await this.prefetchTemplates().catch(() => undefined);
    const entries = await this.entries();
    const held: CatalogEntry[] = [];
    for (const e of entries) if (await this.holds(e)) held.push(e);
    return {
      eventId: this.eventId,
      entries,
      held,
      ...(templates && templates.total > 0 ? { templates } : {}),
      photoPeers: this.photoPeers(),
    };
  }

  protected override async _close(): Promise<void> {
    // Every step runs whatever an earlier one threw, and the cores close last (the queue board lets
    // go of a catalog when it does); the first failure is reported once all is released.
    const failures: unknown[] = [];
    const step = (fn: () => void): void => {
      try {
        fn();
      } catch (err) {
        failures.push(err);
      }
    };
    step(() => this.#restoreHotswaps?.());
    step(() => this.#detours?.detach());
    step(() => this.#overlay?.unregister(this.#blobsKey));
    step(() => this.have.close());
    step(() => this.#catalogRange?.destroy());
    for (const range of this.#frameRanges.values()) step(() => range.destroy());
    await Promise.allSettled([this.#cloudCatalog?.close(), this.#cloudBlobs?.close()]);
    await Promise.allSettled([this.catalog.close(), this.blobsCore.close()]);
    if (failures.length > 0) throw failures[0];
  }
}
