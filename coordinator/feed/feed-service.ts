import { join } from 'node:path';
import type { BlobCoordinates, EventFeedDescriptor } from '../../shared/feed/feed-layout.ts';
import { deriveOrdersFeedDescriptor, type OrdersFeedDescriptor } from '../../shared/feed/orders-feed-layout.ts';
import { Resource } from '../../shared/lifecycle/resource.ts';
import { type Clock, systemClock, type Timer } from '../../shared/ports/clock.ts';
import type { Store } from '../store/port.ts';
import type { EventRecord, VenueRecord } from '../store/records.ts';
import { templateFeedExtension } from '../templates/template-feed-extension.ts';
import { EventFeeds } from './event-feeds.ts';
import { FeedAppender, type FeedAppenderTuning } from './feed-appender.ts';
import type { FeedPort } from './feed-port.ts';
import { OrdersFeed } from './orders-feed.ts';
import { OrdersFeedAppender } from './orders-feed-appender.ts';
import { type FeedLogger, SwarmSeeder } from './swarm-seeder.ts';

/** An instance not heard from for this long is no longer admitted by the others. */
export const COORDINATOR_NODE_TTL_MS = 60_000;
/** Heartbeat, allowed-peer refresh and venue/event sync period. */
export const PEER_REFRESH_INTERVAL_MS = 10_000;
/** A rejected key triggers a re-read of the allowed peers, at most this often (strangers cannot flood the store). */
export const REJECTED_PEER_REFRESH_MIN_INTERVAL_MS = 2000;

export interface FeedServiceOptions {
  store: Store;
  dataDir: string;
  /** Feed lease holder name, unique per process. */
  instanceId: string;
  swarmKeyPair: { publicKey: Buffer; secretKey: Buffer };
  bootstrap: Array<{ host: string; port: number }>;
  dhtHost: string;
  /** How printers reach the seeder (config `seederNetwork`); 'reachable' when absent. */
  seederNetwork?: 'reachable' | 'behind-nat';
  logger: FeedLogger;
  /** Advertised to the other instances in the heartbeat. */
  url?: string | null;
  clock?: Clock;
  peerRefreshIntervalMs?: number;
  coordinatorNodeTtlMs?: number;
  appender?: Partial<FeedAppenderTuning> & { ordersCoalesceMs?: number };
}

export interface EventFeedStatsRow {
  eventId: string;
  blobsLength: number;
  blobsBytes: number;
  catalogLength: number;
}

/**
 * The coordinator's Hypercore side: one corestore with every event's feed, seeded on the venues'
 * swarm topics to admitted peers only, and the appender that moves pending images onto the feeds.
 */
export class FeedService extends Resource implements FeedPort {
  readonly feeds: EventFeeds;
  readonly seeder: SwarmSeeder;
  readonly appender: FeedAppender;
  /** Paid orders onto each venue's orders feed (offline redemption, issue #6). */
  readonly ordersAppender: OrdersFeedAppender;
  readonly #ordersFeeds = new Map<string, Promise<OrdersFeed>>();
  readonly #opts: FeedServiceOptions;
  readonly #clock: Clock;
  #timer: Timer | null = null;
  #refreshing: Promise<void> | null = null;
  #periodicRun: Promise<void> | null = null;
  #lastRefreshAt = 0;
  #refreshSoonTimer: Timer | null = null;
  #releaseLeases = true;

  constructor(opts: FeedServiceOptions) {
    super();
    this.#opts = opts;
    this.#clock = opts.clock ?? systemClock;
    this.feeds = new EventFeeds({ storageDir: join(opts.dataDir, 'corestore'), clock: this.#clock });
    this.seeder = new SwarmSeeder({
      corestore: this.feeds.corestore,
      keyPair: opts.swarmKeyPair,
      bootstrap: opts.bootstrap,
      dhtHost: opts.dhtHost,
      ...(opts.seederNetwork ? { network: opts.seederNetwork } : {}),
      logger: opts.logger,
      onRejected: () => this.#refreshSoon(),
    });
    this.appender = new FeedAppender({
      ...opts.appender,
      store: opts.store,
      feeds: this.feeds,
      instanceId: opts.instanceId,
      logger: opts.logger,
      clock: this.#clock,
      extension: templateFeedExtension(opts.store, opts.logger),
    });
    this.ordersAppender = new OrdersFeedAppender({
      store: opts.store,
      openFeed: async (venueId) => {
        const venue = await opts.store.getVenue(venueId);
        return venue === null ? null : this.ordersFeedOf(venue);
      },
      instanceId: opts.instanceId,
      logger: opts.logger,
      clock: this.#clock,
      leaseTtlMs: opts.appender?.leaseTtlMs,
      pollIntervalMs: opts.appender?.pollIntervalMs,
      catchUpTimeoutMs: opts.appender?.catchUpTimeoutMs,
      coalesceMs: opts.appender?.ordersCoalesceMs,
    });
  }

  get publicKey(): Buffer {
    return this.seeder.publicKey;
  }

  /**
   * Opens corestore, swarm, the venues' orders feeds and the appenders, in that order; close()
   * (and a failed open) undoes them in reverse: timers, appenders, swarm, feeds, corestore.
   */
  protected async _open(): Promise<void> {
    this.own(this.feeds);
    await this.feeds.ready();
    this.defer(async () => {
      const orders = await Promise.allSettled(this.#ordersFeeds.values());
      await Promise.allSettled(orders.map((o) => (o.status === 'fulfilled' ? o.value.close() : undefined)));
    });
    this.own(this.seeder);
    await this.seeder.ready();
    this.defer(() => this.#refreshing ?? undefined);
    await this.#heartbeat();
    await this.refreshPeers();
    await this.#syncVenuesAndEvents();
    this.defer(() => this.appender.close({ releaseLeases: this.#releaseLeases }));
    await this.appender.ready();
    this.own(this.ordersAppender);
    await this.ordersAppender.ready();
    const period = this.#opts.peerRefreshIntervalMs ?? PEER_REFRESH_INTERVAL_MS;
    this.#timer = this.#clock.setInterval(() => {
      this.#periodicRun ??= this.#periodic().finally(() => {
        this.#periodicRun = null;
      });
    }, period);
    this.defer(async () => {
      this.#timer?.cancel();
      this.#refreshSoonTimer?.cancel();
      await this.#periodicRun;
    });
  }

  notifyImagesPending(eventId: string): void {
    this.appender.notify(eventId);
  }

  async venueCreated(venue: VenueRecord): Promise<void> {
    await this.ordersFeedOf(venue);
    await this.seeder.syncVenues([venue]);
  }

  notifyOrdersQueued(venueId: string): void {
    this.ordersAppender.notify(venueId);
  }

  ordersFeedFor(venue: VenueRecord): OrdersFeedDescriptor {
    return deriveOrdersFeedDescriptor(venue.id, Buffer.from(venue.topicSecret, 'hex'));
  }

  /** Every instance keeps a live replica of every venue's orders feed: a seeder and a possible writer. */
  ordersFeedOf(venue: VenueRecord): Promise<OrdersFeed> {
    let opening = this.#ordersFeeds.get(venue.id);
    if (opening === undefined) {
      opening = OrdersFeed.open(this.feeds.corestore, venue, this.#clock);
      this.#ordersFeeds.set(venue.id, opening);
      opening.catch(() => this.#ordersFeeds.delete(venue.id));
    }
    return opening;
  }

  async eventCreated(event: EventRecord): Promise<void> {
    await this.feeds.openEvent(event);
    const venue = await this.#opts.store.getVenue(event.venueId);
    if (venue !== null) await this.seeder.syncVenues([venue]);
  }

  descriptorFor(event: EventRecord): EventFeedDescriptor {
    // Derivation hashes the seed four times; redemptions ask for it on every call.
    const cached = this.#descriptors.get(event.id);
    if (cached && cached.seed === event.feedSeed) return cached.descriptor;
    const descriptor = EventFeeds.eventDescriptor(event);
    this.#descriptors.set(event.id, { seed: event.feedSeed, descriptor });
    return descriptor;
  }

  readonly #descriptors = new Map<string, { seed: string; descriptor: EventFeedDescriptor }>();

  async reclaimBlobs(event: EventRecord, blobs: readonly BlobCoordinates[]): Promise<number> {
    return (await this.feeds.openEvent(event)).clearBlobs(blobs);
  }

  async stats(): Promise<EventFeedStatsRow[]> {
    const feeds = await this.feeds.openedFeeds();
    return feeds.map((feed) => {
      const { blobs, catalog } = feed.stats();
      return {
        eventId: feed.eventId,
        blobsLength: blobs.length,
        blobsBytes: blobs.byteLength,
        catalogLength: catalog.length,
      };
    });
  }

  /** Admits the venues' paired, unrevoked printers and the other live coordinator instances. */
  refreshPeers(): Promise<void> {
    this.#refreshing ??= this.#refreshPeers().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  /** Debounced refresh after a rejection (a just-paired printer or a newly started instance). */
  #refreshSoon(): void {
    if (this.#refreshSoonTimer !== null || this.closing) return;
    const wait = Math.max(0, this.#lastRefreshAt + REJECTED_PEER_REFRESH_MIN_INTERVAL_MS - this.#clock.now());
    this.#refreshSoonTimer = this.#clock.setTimeout(() => {
      this.refreshPeers()
        .catch((err: unknown) => this.#opts.logger.warn({ err }, 'allowed peer refresh failed'))
        .finally(() => {
          this.#refreshSoonTimer = null;
        });
    }, wait);
  }

  async #refreshPeers(): Promise<void> {
    this.#lastRefreshAt = this.#clock.now();
    const { store } = this.#opts;
    const ttl = this.#opts.coordinatorNodeTtlMs ?? COORDINATOR_NODE_TTL_MS;
    const [printers, nodes] = await Promise.all([
      store.listPrinters(),
      store.listCoordinatorNodes(this.#clock.now() - ttl),
    ]);
    const self = this.seeder.publicKey.toString('hex');
    const allowed = [
      ...printers.filter((printer) => printer.revokedAt === null).map((printer) => printer.id),
      ...nodes.map((node) => node.id).filter((id) => id !== self),
    ];
    this.seeder.setAllowedPeers(allowed);
  }

  async #heartbeat(): Promise<void> {
    await this.#opts.store.touchCoordinatorNode({
      id: this.seeder.publicKey.toString('hex'),
      url: this.#opts.url ?? null,
      lastSeenAt: this.#clock.now(),
    });
  }

  /** Venues and events created through another instance reach this one here. */
  async #syncVenuesAndEvents(): Promise<void> {
    const { store, logger } = this.#opts;
    const venues = await store.listVenues();
    for (const venue of venues) {
      await this.ordersFeedOf(venue).catch((err: unknown) =>
        logger.error({ err, venueId: venue.id }, 'could not open the venue orders feed'),
      );
    }
    await this.seeder.syncVenues(venues);
    for (const event of await store.listEvents()) {
      try {
        await this.feeds.openEvent(event);
      } catch (err) {
        logger.error({ err, eventId: event.id }, 'could not open the event feed');
      }
    }
  }

  async #periodic(): Promise<void> {
    try {
      await this.#heartbeat();
      await this.refreshPeers();
      await this.#syncVenuesAndEvents();
    } catch (err) {
      if (!this.closing) this.#opts.logger.warn({ err }, 'feed service refresh failed');
    }
  }

  /** `releaseLeases: false` leaves the feed leases to expire, as a crash would (takeover tests). */
  override close(opts: { releaseLeases?: boolean } = {}): Promise<void> {
    if (!this.closing) this.#releaseLeases = opts.releaseLeases !== false;
    return super.close();
  }
}
