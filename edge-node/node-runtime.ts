import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Corestore from 'corestore';
import type { Logger } from 'pino';
import { Resource } from '../shared/lifecycle/resource.ts';
import { listenOn } from '../shared/net/listen.ts';
import { seededRng } from '../shared/policy/prng.ts';
import { BACKGROUND_WINDOW_BYTES } from '../shared/policy/sync-planner.ts';
import { TokenBucket } from '../shared/policy/token-bucket.ts';
import type { Clock } from '../shared/ports/clock.ts';
import type { PrinterProfile, PrinterStatusReport, ProfileFeed, RedeemJob } from '../shared/protocol/printer-api.ts';
import type { StationQueueReport } from '../shared/protocol/station-queue.ts';
import type { EdgeConfig } from './config.ts';
import { CoordinatorClient } from './coordinator-client.ts';
import type { NodeIdentity } from './identity.ts';
import { JobLog } from './jobs/job-log.ts';
import type { PreRenderer } from './jobs/pre-renderer.ts';
import { createRedemptionDesk } from './jobs/redemption-desk.ts';
import type { RedemptionProgress, RedemptionService } from './jobs/redemption-service.ts';
import { SaleReceiptBook } from './kiosk/sale-receipts.ts';
import { BackgroundReplicator } from './mesh/background-replicator.ts';
import { CloudLane } from './mesh/cloud-lane.ts';
import { EndedFeeds } from './mesh/ended-feeds.ts';
import { EventReplica, type HoldingsScan } from './mesh/event-replica.ts';
import { ImageFetcher } from './mesh/image-fetcher.ts';
import { CloudSessions, PriorityGate } from './mesh/traffic.ts';
import { stableDhtPort, VenueDht } from './mesh/venue-dht.ts';
import { VenueMesh } from './mesh/venue-mesh.ts';
import { OfflineRedemption } from './offline/offline-redemption.ts';
import { OwnPhotoClient } from './own-photos/own-photo-client.ts';
import { OwnPhotoJournal } from './own-photos/own-photo-journal.ts';
import { OwnPhotoPrinting } from './own-photos/own-photo-printing.ts';
import type { PrinterPort, PrinterStatus } from './printing/port.ts';
import { openStationPrinter } from './printing/station-config.ts';
import { ProfileSync } from './profile-sync.ts';
import { QueueBoard } from './routing/queue-board.ts';
import { createLocalApi, type LocalApiDeps } from './status/local-api.ts';
import type { NodeMetrics } from './status/node-metrics.ts';
import { isDiskFull, type StorageHealth } from './status/storage-health.ts';

/** What a runtime gets from the node that owns it and outlives it (across storage reopens). */
export interface RuntimeContext {
  config: EdgeConfig;
  logger: Logger;
  clock: Clock;
  metrics: NodeMetrics;
  identity: NodeIdentity;
  dataDir: string;
  storage: StorageHealth;
  /** The local API's port: the configured one at first, the same one again after a storage reopen. */
  listenPort: number;
  localApi(runtime: NodeRuntime): LocalApiDeps;
  statusReport(scans: HoldingsScan[]): Promise<PrinterStatusReport>;
  onProgress(progress: RedemptionProgress): void;
  onError(message: string): void;
  /** This station's queue, published to LAN peers for fan routing (issue #16); null before it is known. */
  stationQueue?(): StationQueueReport | null;
}

/** How often the node looks at its own queue and tells its peers when it changed (queue-board.ts). */
export const QUEUE_PUBLISH_MS = 1_000;
/**
 * How often routing asks the printer for its state when nothing else does (a kiosk polls it, a job
 * watches it): a printer that ran out of paper while idle must stop being offered to fans.
 */
export const ROUTING_PRINTER_POLL_MS = 5_000;

/**
 * One opening of the node's storage and everything that stands on it, in dependency order:
 * printer, pairing and profile, corestore, DHT and mesh, replicas, job log, offline redemption,
 * redemption, background replication, local API, refresh timer. Closed in reverse (Resource).
 * After a full disk the node closes this runtime and opens a new one (edge-node.ts).
 */
export class NodeRuntime extends Resource {
  readonly #c: RuntimeContext;
  readonly #gate = new PriorityGate();
  readonly #replicas = new Map<string, EventReplica>();
  /** Kiosk sales' payment lines by order id, for their receipts (issue #13); kept on disk. */
  readonly saleReceipts: SaleReceiptBook;
  #printer: PrinterPort | null = null;
  #printerStatus: PrinterStatus | null = null;
  #client: CoordinatorClient | null = null;
  #sync: ProfileSync | null = null;
  #corestore: Corestore | null = null;
  #lane: CloudLane | null = null;
  /** Feeds of events whose printing is over: closed and cleared once (issue #15). */
  #ended: EndedFeeds | null = null;
  #dht: VenueDht | null = null;
  #mesh: VenueMesh | null = null;
  #replicator: BackgroundReplicator | null = null;
  #preRenderer: PreRenderer | null = null;
  #log: JobLog | null = null;
  #offline: OfflineRedemption | null = null;
  #redemptions: RedemptionService | null = null;
  #ownPhotos: { client: OwnPhotoClient; printing: OwnPhotoPrinting } | null = null;
  #server: Server | null = null;
  readonly #queues: QueueBoard;
  /** The coordinator has not answered since start or since it last failed: DHT nodes to look at again. */
  #dhtStale = true;
  #localUrl = '';

  constructor(context: RuntimeContext) {
    super();
    this.#c = context;
    this.#queues = new QueueBoard(context.clock);
    this.saleReceipts = new SaleReceiptBook(join(context.dataDir, 'kiosk-receipts.json'));
  }

  /** The venue peers' queues, as they published them (fan routing). */
  get queueBoard(): QueueBoard {
    return this.#queues;
  }

  get localUrl(): string {
    return this.#localUrl;
  }

  get listenPort(): number | null {
    return this.#server ? (this.#server.address() as AddressInfo).port : null;
  }

  get profile(): PrinterProfile | null {
    return this.#sync?.profile ?? null;
  }

  get printer(): PrinterPort | null {
    return this.#printer;
  }

  /** The printer's last reported status, or null before its first report. */
  get printerStatus(): PrinterStatus | null {
    return this.#printerStatus;
  }

  /** The signed printer API client (kiosk sales ask the coordinator through it). */
  get coordinator(): CoordinatorClient | null {
    return this.#client;
  }

  /** Runs `cleanup` when this runtime closes (parts made outside it, like the kiosk shop's timer). */
  closeWith(cleanup: () => Promise<void> | void): void {
    this.defer(cleanup);
  }

  /** The replicas opened so far (the kiosk gallery browses them). */
  replicas(): EventReplica[] {
    return [...this.#replicas.values()];
  }

  get mesh(): VenueMesh | null {
    return this.#mesh;
  }

  get dht(): VenueDht | null {
    return this.#dht;
  }

  get log(): JobLog | null {
    return this.#log;
  }

  get offline(): OfflineRedemption | null {
    return this.#offline;
  }

  get redemptions(): RedemptionService | null {
    return this.#redemptions;
  }

  /** Fans' own-photo jobs printed here (issue #13 item 3). */
  get ownPhotos(): { client: OwnPhotoClient; printing: OwnPhotoPrinting } | null {
    return this.#ownPhotos;
  }

  get replicator(): BackgroundReplicator | null {
    return this.#replicator;
  }

  replica(eventId: string): EventReplica | undefined {
    return this.#replicas.get(eventId);
  }

  async scanHoldings(): Promise<HoldingsScan[]> {
    const scans = await Promise.all([...this.#replicas.values()].map((r) => r.scanHoldings()));
    // Photos held whole here are rendered for printing in the background (issue #16).
    for (const scan of scans) {
      const replica = this.#replicas.get(scan.eventId);
      if (replica) this.#preRenderer?.offer(scan.held, replica);
    }
    return scans;
  }

  /** Fetches the profile, opens new feeds, reports status and holdings. */
  async refresh(): Promise<void> {
    if (!this.opened || this.closing) return;
    await this.#sync?.refresh();
  }

  protected override async _open(): Promise<void> {
    const { config, logger, clock, identity, dataDir, storage } = this.#c;
    const printer = this.own(await openStationPrinter(config, dataDir, logger, clock));
    this.#printer = printer;
    printer.on('status', (s) => {
      this.#printerStatus = s;
      if (s.state !== 'ready' && s.state !== 'printing') logger.warn({ printer: s }, 'printer needs attention');
    });
    await printer.ready();
    // Routing needs a state before the first change event; not awaited (an unreachable printer may be slow to say so).
    void printer
      .status()
      .then((s) => {
        this.#printerStatus ??= s;
      })
      .catch(() => {});

    const client = new CoordinatorClient({ baseUrl: config.coordinatorUrl, keyPair: identity, clock });
    this.#client = client;
    const sync = this.own(
      new ProfileSync({
        client,
        clock,
        logger,
        cachePath: join(dataDir, 'profile.json'),
        pairingCode: identity.pairingCode,
        intervalMs: config.reportIntervalMs,
        signal: this.closeSignal,
        hooks: {
          cloudReachable: (reachable) => {
            this.#replicator?.cloudReachable(reachable, clock.now());
            if (!reachable) this.#dhtStale = true;
            else if (this.#dhtStale) {
              // Nodes that were down at start or during the outage (the cloud's bootstrap) are back.
              this.#dht?.revisit();
              this.#dhtStale = false;
            }
          },
          apply: async (profile, grew) => {
            this.#applyMembership(profile);
            for (const feed of profile.feeds) await this.#openReplica(feed);
            await this.#reclaimEnded(profile);
            if (grew) this.#replicator?.wake();
          },
          uplinkUp: async () => {
            await this.#offline?.uplinkUp(client);
          },
          scanHoldings: () => this.scanHoldings(),
          statusReport: (scans) => this.#c.statusReport(scans),
          announce: async (scan) => {
            await this.#replicas.get(scan.eventId)?.announceHoldings(scan);
          },
          storageFailed: (err) => storage.report(err),
          refreshFailed: (err) => this.#c.onError(err.message),
        },
      }),
    );
    this.#sync = sync;
    const profile = await sync.waitForProfile();

    this.#corestore = this.own(await this.#openCorestore(join(dataDir, 'corestore')));
    // The lane holds only blocks in flight from the cloud: a fresh one each time the storage opens.
    const laneDir = join(dataDir, 'cloud-lane');
    await rm(laneDir, { recursive: true, force: true });
    const lane = this.own(new CloudLane(this.#corestore, await this.#openCorestore(laneDir)));
    await lane.ready();
    this.#lane = lane;
    this.#ended = new EndedFeeds({ corestore: this.#corestore, file: join(dataDir, 'reclaimed-feeds.json'), logger });
    const dhtAddress = { host: config.dhtHost, port: await stableDhtPort(dataDir, config.dhtHost, config.dhtPort) };
    // The cloud's bootstrap and the venue's own nodes: with the cloud gone, printers still find each
    // other through each other (edge-node/OFFLINE.md).
    this.#dht = this.own(
      await VenueDht.open({
        address: dhtAddress,
        cloud: config.dhtBootstrap,
        venue: [...(config.venueBootstrap ?? []), ...profile.peers.printers.map((p) => p.dht)],
        logger,
        clock,
      }),
    );
    const mesh = this.own(
      new VenueMesh({
        corestore: this.#corestore,
        cloudStore: lane.store,
        keyPair: { publicKey: identity.publicKey, secretKey: identity.secretKey },
        bootstrap: config.dhtBootstrap,
        dhtHost: config.dhtHost,
        logger,
        dht: this.#dht.swarmDht,
        clock,
      }),
    );
    this.#mesh = mesh;
    // Closes after the replicas (deferred below): their cores carry the queue extension.
    this.defer(() => this.#queues.close());
    // Replicas opened from now on (new events, redemptions) close here, before the mesh.
    this.defer(async () => {
      await Promise.allSettled([...this.#replicas.values()].map((r) => r.close()));
      this.#replicas.clear();
    });
    this.#applyMembership(profile);
    for (const feed of profile.feeds) await this.#openReplica(feed);
    await this.#reclaimEnded(profile);
    // Only the mesh talks to LAN peers; the baselines reach the cloud seeder by its key alone.
    if (this.#meshReplication) await mesh.join(Buffer.from(profile.venue.topic, 'hex'));
    const cloud = this.own(new CloudSessions(mesh, clock));

    const replicator = new BackgroundReplicator({
      mode: config.replication === 'star-periodic' ? 'star-periodic' : 'mesh',
      mesh,
      cloud,
      gate: this.#gate,
      replicas: () => [...this.#replicas.values()],
      profile: () => this.profile,
      selfKey: identity.pairingCode,
      clock,
      rng: seededRng(identity.pairingCode),
      schedule: config.schedule,
      bucket: new TokenBucket({
        rateBytesPerSec: config.backgroundBytesPerSec,
        burstBytes: BACKGROUND_WINDOW_BYTES,
        now: clock.now(),
      }),
      logger,
    });
    this.#replicator = replicator;

    const log = this.own(new JobLog(join(dataDir, 'jobs.log'), { logger }));
    this.#log = log;
    await log.ready();
    const offline = this.own(
      new OfflineRedemption({
        corestore: this.#corestore,
        lane,
        identity: { publicKey: identity.publicKey, secretKey: identity.secretKey },
        config: config.offline,
        profile: () => this.profile,
        lanPeers: () => this.#mesh?.lanPeers() ?? [],
        cloud,
        log,
        isPrinting: (orderId) => this.#redemptions?.isActive(orderId) ?? false,
        clock,
        logger,
      }),
    );
    this.#offline = offline;
    await offline.open(profile);
    const { redemptions, preRenderer } = createRedemptionDesk({
      client,
      tokenKeys: () => new Map((this.profile?.tokenKeys ?? []).map((k) => [k.keyId, Buffer.from(k.publicKey, 'hex')])),
      clock,
      log,
      replicaFor: (eventId, job) => this.#replicaFor(eventId, job),
      fetcher: new ImageFetcher({
        mesh,
        cloud,
        gate: this.#gate,
        clock,
        onDemandLanDeadlineMs: config.onDemandLanDeadlineMs,
      }),
      printer,
      venueName: () => this.profile?.venue.name ?? '',
      eventName: (eventId) => this.profile?.feeds.find((f) => f.eventId === eventId)?.name ?? null,
      printerName: () => this.profile?.printer.name ?? config.name,
      logger,
      offline,
      receiptPayment: (orderId) => this.saleReceipts.get(orderId) ?? null,
      metrics: this.#c.metrics,
      orders: {
        lookup: async (code, timeoutMs) => (await this.#offline?.lookupOrder(code, timeoutMs)) ?? null,
        replica: (eventId) => this.#replicas.get(eventId),
      },
      onDemandActive: () => this.#gate.onDemandActive,
      lastReplicatedAt: () => replicator.lastProgressAt,
    });
    this.own(redemptions);
    this.#redemptions = redemptions;
    redemptions.on('progress', (p: RedemptionProgress) => this.#c.onProgress(p));
    if (preRenderer) {
      this.#preRenderer = preRenderer;
      this.defer(() => preRenderer.close());
    }
    await redemptions.ready();
    // Own-photo jobs: released by the coordinator to this printer, fetched on demand (never replicated).
    const ownPhotoClient = new OwnPhotoClient({ baseUrl: config.coordinatorUrl, keyPair: identity, clock });
    const ownPhotoJournal = this.own(new OwnPhotoJournal(join(dataDir, 'own-photo-jobs.log')));
    await ownPhotoJournal.ready();
    const ownPhotoPrinting = this.own(
      new OwnPhotoPrinting({ client: ownPhotoClient, printer, journal: ownPhotoJournal, clock, logger }),
    );
    await ownPhotoPrinting.ready();
    this.#ownPhotos = { client: ownPhotoClient, printing: ownPhotoPrinting };
    // Background sync stops before redemption does (it shares the mesh and the priority gate).
    this.own(replicator);
    if (config.replication !== 'on-demand') replicator.ready();

    await this.#listen();
    const publishQueue = clock.setInterval(() => {
      const queue = this.#c.stationQueue?.();
      if (queue) this.#queues.publish(queue);
    }, QUEUE_PUBLISH_MS);
    publishQueue.unref();
    this.defer(() => publishQueue.cancel());
    // status() publishes a changed state as a 'status' event, which updates #printerStatus.
    const pollPrinter = clock.setInterval(() => void printer.status().catch(() => {}), ROUTING_PRINTER_POLL_MS);
    pollPrinter.unref();
    this.defer(() => pollPrinter.cancel());
    sync.start();
    // The refresh timer stops first: a refresh must not run into parts being closed.
    this.defer(() => sync.close());
    logger.info({ local: this.#localUrl, venue: profile.venue.name, events: this.#replicas.size }, 'edge node ready');
  }

  async #listen(): Promise<void> {
    const server = createServer(createLocalApi(this.#c.localApi(this)).callback());
    await listenOn(server, this.#c.config.statusHost, this.#c.listenPort, 'statusPort (VPM_STATUS_PORT)');
    this.#server = server;
    this.defer(async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    });
    const addr = server.address() as AddressInfo;
    this.#localUrl = `http://${addr.address}:${addr.port}`;
  }

  /** Opens the feed store; on a full disk it reports that and waits for room rather than exit into a restart loop. */
  async #openCorestore(dir: string): Promise<Corestore> {
    for (;;) {
      const store = new Corestore(dir);
      try {
        await store.ready();
        return store;
      } catch (err) {
        await store.close().catch(() => {});
        if (!isDiskFull(err) || this.closing) throw err;
        await this.#c.storage.waitForRoom(
          err,
          async () => {
            await this.#client?.putStatus(await this.#c.statusReport([]));
          },
          this.closeSignal,
        );
      }
    }
  }

  get #meshReplication(): boolean {
    return this.#c.config.replication === 'mesh';
  }

  #applyMembership(profile: PrinterProfile): void {
    this.#mesh?.setMembership(
      this.#meshReplication ? profile.peers.printers.map((p) => p.id) : [],
      profile.peers.coordinators,
    );
    // Peers' DHT nodes learned since start join this node's routing table (venue bootstrap).
    for (const peer of profile.peers.printers) if (peer.dht) this.#dht?.addVenueNode(peer.dht);
    this.#offline?.applyProfile(profile).catch((err: unknown) => {
      this.#c.logger.warn({ err }, 'offline redemption could not follow the new profile');
    });
  }

  async #openReplica(feed: ProfileFeed | RedeemJob['feed']): Promise<EventReplica> {
    const existing = this.#replicas.get(feed.eventId);
    if (existing) return existing;
    const { metrics, clock, storage } = this.#c;
    const replica = new EventReplica(
      this.#corestore!,
      {
        eventId: feed.eventId,
        blobsKey: feed.blobsKey,
        catalogKey: feed.catalogKey,
        encryptionKey: feed.encryptionKey,
      },
      {
        onBytes: (source, bytes) => {
          metrics.countBytes(source, bytes);
          if (source !== 'served') this.#replicator?.noteProgress(clock.now(), source);
        },
        isCloud: (key) => this.#mesh?.isCloudKey(key) ?? false,
        onBadPeer: (key, reason) => this.#mesh?.block(key, reason),
        onStorageError: (err) => storage.report(err),
        clock,
        lane: this.#lane ?? undefined,
        raceDuplicates: () => this.#gate.onDemandActive > 0,
      },
    );
    // Queues travel on the catalog cores every venue printer replicates with every other.
    this.#queues.attach(replica.catalog.core);
    try {
      await replica.ready();
    } catch (err) {
      await replica.close().catch(() => {});
      throw err;
    }
    this.#replicas.set(feed.eventId, replica);
    // Live replication: the feed grew (the cloud or a peer announced new blocks) → sync now.
    replica.onGrowth(() => this.#replicator?.wake());
    // A peer has new photos: what this printer could not get from anyone may be there now.
    replica.have.onAnnouncement(() => this.#replicator?.wake());
    return replica;
  }

  async #reclaimEnded(profile: PrinterProfile): Promise<void> {
    if (!this.#ended || !profile.endedFeeds?.length) return;
    await this.#ended.reclaim(profile.endedFeeds, async (eventId) => {
      const replica = this.#replicas.get(eventId);
      this.#replicas.delete(eventId);
      await replica?.close();
    });
  }

  async #replicaFor(eventId: string, job?: RedeemJob): Promise<EventReplica | null> {
    const existing = this.#replicas.get(eventId);
    if (existing) return existing;
    if (job) return this.#openReplica(job.feed);
    return null;
  }
}
