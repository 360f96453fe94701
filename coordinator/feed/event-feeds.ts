import Corestore from 'corestore';
import Hyperbee from 'hyperbee';
import Hyperblobs from 'hyperblobs';
import type Hypercore from 'hypercore';
import type { DownloadRange } from 'hypercore';
import { AppError } from '../../shared/errors.ts';
import {
  type BlobCoordinates,
  CATALOG_IMAGE_PREFIX,
  type CatalogEntry,
  catalogKey,
  type EventFeedDescriptor,
  FEED_BLOCK_BYTES,
} from '../../shared/feed/feed-layout.ts';
import { Resource } from '../../shared/lifecycle/resource.ts';
import { type Clock, systemClock } from '../../shared/ports/clock.ts';
import {
  isTemplateCatalogEntry,
  type TemplateCatalogEntry,
  templateCatalogKey,
} from '../../shared/templates/template-feed.ts';
import type { EventRecord, FeedHead } from '../store/records.ts';
import {
  CATALOG_IMAGE_COUNT_KEY,
  type CatalogValue,
  catalogEntryFor,
  type FeedImage,
  isCatalogEntry,
  isImageCount,
} from './event-catalog.ts';
import { eventFeedDescriptor, eventFeedKeys } from './event-feed-keys.ts';
import { FeedCatchUp } from './feed-catch-up.ts';

/** Bound on a catalog lookup that has to wait for replication. */
export const CATALOG_READ_TIMEOUT_MS = 10_000;

export interface CoreStats {
  length: number;
  byteLength: number;
}

export interface EventFeedStats {
  blobs: CoreStats;
  catalog: CoreStats;
}

/** One event's feed: print masters in a Hyperblobs core, indexed by a Hyperbee catalog. */
export class EventFeed {
  readonly eventId: string;
  readonly #blobsCore: Hypercore;
  readonly #catalogCore: Hypercore;
  readonly #blobs: Hyperblobs;
  readonly #catalog: Hyperbee<CatalogValue>;
  readonly #descriptor: EventFeedDescriptor;
  readonly #downloads: DownloadRange[];
  readonly #catchUp: FeedCatchUp;
  #queue: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | null = null;

  private constructor(parts: {
    eventId: string;
    blobsCore: Hypercore;
    catalogCore: Hypercore;
    catalog: Hyperbee<CatalogValue>;
    descriptor: EventFeedDescriptor;
    clock: Clock;
  }) {
    this.eventId = parts.eventId;
    this.#catchUp = new FeedCatchUp({
      blobsCore: parts.blobsCore,
      catalogCore: parts.catalogCore,
      clock: parts.clock,
      closing: () => this.#closing !== null,
    });
    this.#blobsCore = parts.blobsCore;
    this.#catalogCore = parts.catalogCore;
    this.#blobs = new Hyperblobs(parts.blobsCore, { blockSize: FEED_BLOCK_BYTES });
    this.#catalog = parts.catalog;
    this.#descriptor = parts.descriptor;
    // Every coordinator keeps a full, live replica: it is a durable seeder and the possible next
    // writer, which must hold the whole committed feed before it appends.
    this.#downloads = [
      parts.blobsCore.download({ start: 0, end: -1 }),
      parts.catalogCore.download({ start: 0, end: -1 }),
    ];
  }

  static async open(corestore: Corestore, event: EventRecord, clock: Clock = systemClock): Promise<EventFeed> {
    const { descriptor, pairs, encryptionKey } = eventFeedKeys(event);
    const encryption = { key: encryptionKey };
    const blobsCore = corestore.get({ keyPair: pairs.blobs, encryption });
    const catalogCore = corestore.get({ keyPair: pairs.catalog, encryption });
    const catalog = new Hyperbee<CatalogValue>(catalogCore, { keyEncoding: 'utf-8', valueEncoding: 'json' });
    try {
      await Promise.all([blobsCore.ready(), catalog.ready()]);
    } catch (err) {
      await Promise.allSettled([blobsCore.close(), catalog.close()]);
      throw err;
    }
    return new EventFeed({ eventId: event.id, blobsCore, catalogCore, catalog, descriptor, clock });
  }

  descriptor(): EventFeedDescriptor {
    return { ...this.#descriptor };
  }

  head(): FeedHead {
    return this.#catchUp.head();
  }

  stats(): EventFeedStats {
    return {
      blobs: { length: this.#blobsCore.length, byteLength: this.#blobsCore.byteLength },
      catalog: { length: this.#catalogCore.length, byteLength: this.#catalogCore.byteLength },
    };
  }

  /** Fork ids of both cores: they stay 0 unless a writer ever truncated. */
  forks(): { blobs: number; catalog: number } {
    return { blobs: this.#blobsCore.fork, catalog: this.#catalogCore.fork };
  }

  /**
   * Appends the images that are not on the feed yet, all blobs in one core append and then all
   * catalog entries (and the image counter) in one Hyperbee batch. Idempotent by image id: a holder
   * that crashed after appending but before the store recorded it left catalog entries, which are
   * returned as they are. A crash between the two appends leaves unreferenced blob blocks (wasted
   * space only); the images are appended again on the next attempt.
   * The caller must hold the event's feed lease and have caught up (see catchUp).
   */
  appendBatch(images: FeedImage[]): Promise<CatalogEntry[]> {
    const run = this.#queue.then(() => this.#appendBatch(images));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #appendBatch(images: FeedImage[]): Promise<CatalogEntry[]> {
    if (this.#closing !== null) throw new AppError('feed_closed', 'The event feed is closing; retry later.');
    const entries = new Map<string, CatalogEntry>();
    const fresh: FeedImage[] = [];
    const seen = new Set<string>();
    for (const image of images) {
      if (seen.has(image.imageId)) continue;
      seen.add(image.imageId);
      if (image.bytes.byteLength === 0) {
        throw new AppError('empty_master', `Image ${image.imageId} has no bytes to append.`);
      }
      const existing = await this.getEntry(image.imageId, { update: false });
      if (existing !== null) entries.set(image.imageId, existing);
      else fresh.push(image);
    }
    if (fresh.length > 0) {
      const firstSeq = await this.imageCount({ update: false });
      const blobBatch = this.#blobs.batch();
      const coordinates = [];
      for (const image of fresh) coordinates.push(await blobBatch.put(image.bytes));
      await blobBatch.flush();

      const catalogBatch = this.#catalog.batch();
      try {
        for (const [i, image] of fresh.entries()) {
          const blob = coordinates[i];
          if (blob === undefined)
            throw new AppError('internal_error', 'A blob batch returned fewer coordinates than images.');
          const entry = catalogEntryFor(image, firstSeq + i, blob);
          await catalogBatch.put(catalogKey(image.imageId), entry);
          entries.set(image.imageId, entry);
        }
        await catalogBatch.put(CATALOG_IMAGE_COUNT_KEY, { count: firstSeq + fresh.length });
        await catalogBatch.flush();
      } catch (err) {
        await catalogBatch.close();
        throw err;
      }
    }
    const result: CatalogEntry[] = [];
    for (const image of images) {
      const entry = entries.get(image.imageId);
      if (entry !== undefined) result.push(entry);
    }
    return result;
  }

  /**
   * Issue #14: puts a template on the feed: its frame as a blob (unless `reuse` names the blob of an
   * earlier version with the same frame) and `template/<id>` in the catalog. Serialised with image
   * appends; the caller holds the feed lease like for images.
   */
  putTemplate(
    frame: Buffer | null,
    reuse: BlobCoordinates | null,
    entryFor: (blob: BlobCoordinates | null) => TemplateCatalogEntry,
  ): Promise<TemplateCatalogEntry> {
    const run = this.#queue.then(async () => {
      if (this.#closing !== null) throw new AppError('feed_closed', 'The event feed is closing; retry later.');
      const blob = reuse ?? (frame ? { ...(await this.#blobs.put(frame)) } : null);
      const entry = entryFor(blob);
      await this.#catalog.put(templateCatalogKey(entry.templateId), entry);
      return entry;
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Issue #14: a template as the catalog holds it now (the newest version), or null. */
  async templateEntry(templateId: string): Promise<TemplateCatalogEntry | null> {
    const node = await this.#catalog.get(templateCatalogKey(templateId), { timeout: CATALOG_READ_TIMEOUT_MS });
    return node !== null && isTemplateCatalogEntry(node.value) ? node.value : null;
  }

  /** `update: false` reads the local replica as it is (the writer's case: it is already current). */
  async getEntry(imageId: string, opts: { update?: boolean; timeoutMs?: number } = {}): Promise<CatalogEntry | null> {
    const node = await this.#catalog.get(catalogKey(imageId), {
      timeout: opts.timeoutMs ?? CATALOG_READ_TIMEOUT_MS,
      update: opts.update,
    });
    return node !== null && isCatalogEntry(node.value) ? node.value : null;
  }

  async imageCount(opts: { update?: boolean } = {}): Promise<number> {
    const node = await this.#catalog.get(CATALOG_IMAGE_COUNT_KEY, {
      timeout: CATALOG_READ_TIMEOUT_MS,
      update: opts.update,
    });
    return node !== null && isImageCount(node.value) ? node.value.count : 0;
  }

  /** All catalog entries, in image id order. */
  async entries(): Promise<CatalogEntry[]> {
    const out: CatalogEntry[] = [];
    const range = { gte: CATALOG_IMAGE_PREFIX, lt: `${CATALOG_IMAGE_PREFIX.slice(0, -1)}0` };
    // A replica (another coordinator instance) may lack a block: fail after a bound, never hang.
    for await (const node of this.#catalog.createReadStream(range, { timeout: CATALOG_READ_TIMEOUT_MS })) {
      if (isCatalogEntry(node.value)) out.push(node.value);
    }
    return out;
  }

  /**
   * Retention (issue #15): drops the local blocks of these blobs, so their bytes leave this disk. The
   * feed's length and its other blobs stay; a cleared blob cannot be served to peers any more.
   */
  async clearBlobs(blobs: readonly BlobCoordinates[]): Promise<number> {
    let cleared = 0;
    for (const b of blobs) {
      await this.#blobsCore.clear(b.blockOffset, b.blockOffset + b.blockLength);
      cleared += b.blockLength;
    }
    return cleared;
  }

  /** Whether this replica holds every block of a blob. */
  async holdsBlob(b: BlobCoordinates): Promise<boolean> {
    for (let i = b.blockOffset; i < b.blockOffset + b.blockLength; i++)
      if (!(await this.#blobsCore.has(i))) return false;
    return true;
  }

  readImage(entry: CatalogEntry, timeoutMs = CATALOG_READ_TIMEOUT_MS): Promise<Buffer | null> {
    return this.#blobs.get(entry.blob, { timeout: timeoutMs });
  }

  /**
   * True once the local replica holds (contiguously) at least `target`; false after `timeoutMs`.
   * Blocks come from the live download started at open; this only keeps asking peers for news.
   */
  async waitForHead(target: FeedHead, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.#catchUp.waitForHead(target, timeoutMs, signal);
  }

  /**
   * What a new lease holder must do before appending: reach the committed head, then also take any
   * longer signed length that connected peers announce (a holder may have appended past the
   * committed head before dying). Appending from a shorter replica would fork the feed.
   */
  async catchUp(committed: FeedHead, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.#catchUp.catchUp(committed, timeoutMs, signal);
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await this.#queue;
    for (const download of this.#downloads) download.destroy();
    await Promise.allSettled([this.#catalog.close(), this.#blobsCore.close()]);
  }
}

/** All event feeds of one coordinator instance, over one Corestore (one process per directory). */
export class EventFeeds extends Resource {
  readonly corestore: Corestore;
  readonly #feeds = new Map<string, Promise<EventFeed>>();

  readonly #clock: Clock;

  constructor(opts: { storageDir: string; clock?: Clock }) {
    super();
    this.corestore = new Corestore(opts.storageDir);
    this.#clock = opts.clock ?? systemClock;
  }

  /** Pure: what a paired printer needs to find and read the event's feed. */
  static eventDescriptor(event: EventRecord): EventFeedDescriptor {
    return eventFeedDescriptor(event);
  }

  /** The corestore, then (on close, in reverse) every feed opened through openEvent(). */
  protected async _open(): Promise<void> {
    this.own(this.corestore);
    await this.corestore.ready();
    this.defer(async () => {
      const feeds = await this.openedFeeds();
      await Promise.allSettled(feeds.map((feed) => feed.close()));
      this.#feeds.clear();
    });
  }

  openEvent(event: EventRecord): Promise<EventFeed> {
    if (this.closing) return Promise.reject(new AppError('feeds_closed', 'Event feeds are closing.'));
    let opening = this.#feeds.get(event.id);
    if (opening === undefined) {
      opening = EventFeed.open(this.corestore, event, this.#clock);
      this.#feeds.set(event.id, opening);
      opening.catch(() => this.#feeds.delete(event.id));
    }
    return opening;
  }

  /** The feeds opened so far (failed opens are left out). */
  async openedFeeds(): Promise<EventFeed[]> {
    const settled = await Promise.allSettled(this.#feeds.values());
    return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  }
}
