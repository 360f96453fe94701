import { join } from 'node:path';
import type { Logger } from 'pino';
import { Resource } from '../shared/lifecycle/resource.ts';
import { seededRng } from '../shared/policy/prng.ts';
import { BACKGROUND_WINDOW_BYTES } from '../shared/policy/sync-planner.ts';
import { TokenBucket } from '../shared/policy/token-bucket.ts';
import type { Clock } from '../shared/ports/clock.ts';
import type { PrinterProfile, PrinterStatusReport } from '../shared/protocol/printer-api.ts';
import type { StationQueueReport } from '../shared/protocol/station-queue.ts';
import type { EdgeConfig } from './config.ts';
import { CoordinatorClient } from './coordinator-client.ts';
import type { NodeIdentity } from './identity.ts';
import type { JobLog } from './jobs/job-log.ts';
import type { RedemptionProgress, RedemptionService } from './jobs/redemption-service.ts';
import type { WarmUpLines } from './jobs/scan-warm-up.ts';
import { StationJobs } from './jobs/station-jobs.ts';
import { SaleReceiptBook } from './kiosk/sale-receipts.ts';
import { BackgroundReplicator } from './mesh/background-replicator.ts';
import type { EventReplica, HoldingsScan } from './mesh/event-replica.ts';
import { EventReplicas } from './mesh/event-replicas.ts';
import { CloudSessions, PriorityGate } from './mesh/traffic.ts';
import { UnknownPeerKnocks } from './mesh/unknown-peer-knocks.ts';
import type { VenueDht } from './mesh/venue-dht.ts';
import type { VenueMesh } from './mesh/venue-mesh.ts';
import { VenueNetwork } from './mesh/venue-network.ts';
import type { OfflineRedemption } from './offline/offline-redemption.ts';
import type { OwnPhotoClient } from './own-photos/own-photo-client.ts';
import type { OwnPhotoPrinting } from './own-photos/own-photo-printing.ts';
import type { PrinterPort, PrinterStatus } from './printing/port.ts';
import { openStationPrinter } from './printing/station-config.ts';
import { ProfileSync } from './profile-sync.ts';
import { QueueBoard } from './routing/queue-board.ts';
import { createLocalApi, type LocalApiDeps } from './status/local-api.ts';
import { LocalApiListener } from './status/local-listener.ts';
import type { NodeMetrics } from './status/node-metrics.ts';
import type { StorageHealth } from './status/storage-health.ts';

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
 * printer, pairing and profile, corestore, DHT and mesh (VenueNetwork), replicas (EventReplicas),
 * job log, offline redemption, redemption (StationJobs), background replication, local API, refresh
 * timer. Closed in reverse (Resource). After a full disk the node closes this runtime and opens a
 * new one (edge-node.ts).
 */
export class NodeRuntime extends Resource {
  readonly #c: RuntimeContext;
  readonly #gate = new PriorityGate();
  readonly #knocks = new UnknownPeerKnocks();
  /** Kiosk sales' payment lines by order id, for their receipts (issue #13); kept on disk. */
  readonly saleReceipts: SaleReceiptBook;
  #printer: PrinterPort | null = null;
  #printerStatus: PrinterStatus | null = null;
  #client: CoordinatorClient | null = null;
  #sync: ProfileSync | null = null;
  #network: VenueNetwork | null = null;
  #replicas: EventReplicas | null = null;
  #replicator: BackgroundReplicator | null = null;
  #jobs: StationJobs | null = null;
  #local: LocalApiListener | null = null;
  readonly #queues: QueueBoard;

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
    return this.#local?.url ?? '';
  }

  get listenPort(): number | null {
    return this.#local?.port ?? null;
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
    return this.#replicas?.all() ?? [];
  }

  get mesh(): VenueMesh | null {
    return this.#network?.mesh ?? null;
  }

  get dht(): VenueDht | null {
    return this.#network?.dht ?? null;
  }

  get log(): JobLog | null {
    return this.#jobs?.log ?? null;
  }

  get offline(): OfflineRedemption | null {
    return this.#jobs?.offline ?? null;
  }

  /** Renders a kiosk basket's photos held here while the fan pays (a kiosk sale prints at once). */
  warmUpBasket(eventId: string, items: WarmUpLines): Promise<number> {
    return this.#jobs?.warmUpBasket(eventId, items) ?? Promise.resolve(0);
  }

  get redemptions(): RedemptionService | null {
    return this.#jobs?.redemptions ?? null;
  }

  /** Fans' own-photo jobs printed here (issue #13 item 3). */
  get ownPhotos(): { client: OwnPhotoClient; printing: OwnPhotoPrinting } | null {
    return this.#jobs?.ownPhotos ?? null;
  }

  get replicator(): BackgroundReplicator | null {
    return this.#replicator;
  }

  replica(eventId: string): EventReplica | undefined {
    return this.#replicas?.get(eventId);
  }

  async scanHoldings(): Promise<HoldingsScan[]> {
    const scans = await Promise.all(this.replicas().map((r) => r.scanHoldings()));
    // Photos held whole here that fans have paid for are rendered for printing in the background
    // (issue #16); without the orders feed, the newest photos are.
    const preRenderer = this.#jobs?.preRenderer;
    if (!preRenderer) return scans;
    const paid = (await this.#jobs?.offline?.awaitingPrint()) ?? null;
    const offered = new Set<EventReplica>();
    for (const scan of scans) {
      const replica = this.#replicas?.get(scan.eventId);
      if (!replica) continue;
      preRenderer.offer(scan.held, replica, paid);
      offered.add(replica);
    }
    preRenderer.retain(offered);
    return scans;
  }

  /** Fetches the profile, opens new feeds, reports status and holdings. */
  async refresh(): Promise<void> {
    if (!this.opened || this.closing) return;
    await this.#sync?.refresh();
  }

  protected override async _open(): Promise<void> {
    const { config, logger, clock, metrics, identity, dataDir, storage } = this.#c;
    const printer = this.own(await openStationPrinter(config, dataDir, logger, clock));
    this.#printer = printer;
    printer.on('status', (s) => {
      this.#printerStatus = s;
      // A printer closing with the node goes offline; that needs nobody's attention.
      if (this.closing) return;
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
            this.#network?.cloudReachable(reachable);
          },
          apply: async (profile, grew, askedAt) => {
            this.#applyMembership(profile);
            const refused = this.#knocks.applied(
              profile.peers.printers.map((p) => p.id),
              askedAt,
            );
            // Held since they dialled (station-probation.ts): the coordinator does not know them.
            this.#network?.mesh?.dropUnconfirmed(refused);
            await this.#replicas?.follow(profile);
            if (grew) this.#replicator?.wake('grew');
          },
          uplinkUp: async () => {
            await this.#jobs?.offline?.uplinkUp(client);
          },
          scanHoldings: () => this.scanHoldings(),
          statusReport: (scans) => this.#c.statusReport(scans),
          announce: async (scan) => {
            await this.#replicas?.get(scan.eventId)?.announceHoldings(scan);
          },
          storageFailed: (err) => storage.report(err),
          refreshFailed: (err) => this.#c.onError(err.message),
        },
      }),
    );
    this.#sync = sync;
    const profile = await sync.waitForProfile();

    const network = this.own(
      new VenueNetwork({
        config,
        identity,
        dataDir,
        logger,
        clock,
        storage,
        profile,
        signal: this.closeSignal,
        reportStatus: async () => {
          await this.#client?.putStatus(await this.#c.statusReport([]));
        },
      }),
    );
    this.#network = network;
    await network.ready();
    const [corestore, lane, mesh] = [network.corestore!, network.lane!, network.mesh!];
    // A station paired since our last profile knocks: ask the coordinator now (unknown-peer-knocks.ts).
    const onUnknownPeer = (key: string): void => {
      if (!this.#knocks.knock(key, clock.now())) return;
      logger.info({ peer: key.slice(0, 12) }, 'a station this printer does not know knocked: asking the coordinator');
      sync.refreshSoon();
    };
    mesh.on('unknown-peer', onUnknownPeer);
    this.defer(() => {
      mesh.off('unknown-peer', onUnknownPeer);
    });
    // Closes after the replicas (owned below): their cores carry the queue extension.
    this.defer(() => this.#queues.close());
    // Replicas opened from now on (new events, redemptions) close here, before the mesh.
    const replicas = this.own(
      new EventReplicas({
        corestore,
        lane,
        mesh,
        gate: this.#gate,
        queues: this.#queues,
        metrics,
        storage,
        clock,
        logger,
        endedFile: join(dataDir, 'reclaimed-feeds.json'),
        replicator: () => this.#replicator,
      }),
    );
    this.#replicas = replicas;
    this.#applyMembership(profile);
    await replicas.follow(profile);
    await network.joinVenue(profile);
    const cloud = this.own(new CloudSessions(mesh, clock));

    const replicator = new BackgroundReplicator({
      mode: config.replication === 'star-periodic' ? 'star-periodic' : 'mesh',
      mesh,
      cloud,
      gate: this.#gate,
      replicas: () => replicas.all(),
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

    const jobs = this.own(
      new StationJobs({
        config,
        identity,
        dataDir,
        clock,
        logger,
        metrics,
        client,
        printer,
        corestore,
        lane,
        mesh,
        cloud,
        replicas,
        gate: this.#gate,
        firstProfile: profile,
        profile: () => this.profile,
        saleReceipts: this.saleReceipts,
        lastReplicatedAt: () => replicator.lastProgressAt,
        onProgress: (p) => this.#c.onProgress(p),
      }),
    );
    this.#jobs = jobs;
    await jobs.ready();
    // Background sync stops before redemption does (it shares the mesh and the priority gate).
    this.own(replicator);
    if (config.replication !== 'on-demand') replicator.ready();

    const local = this.own(
      new LocalApiListener({
        app: createLocalApi(this.#c.localApi(this)).callback(),
        host: config.statusHost,
        port: this.#c.listenPort,
      }),
    );
    this.#local = local;
    await local.ready();
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
    // A station that knocked while this node was starting waits for a profile asked for after its knock.
    if (this.#knocks.pending > 0) sync.refreshSoon();
    // The refresh timer stops first: a refresh must not run into parts being closed.
    this.defer(() => sync.close());
    logger.info({ local: local.url, venue: profile.venue.name, events: replicas.size }, 'edge node ready');
  }

  #applyMembership(profile: PrinterProfile): void {
    this.#network?.applyMembership(profile);
    this.#jobs?.offline?.applyProfile(profile).catch((err: unknown) => {
      this.#c.logger.warn({ err }, 'offline redemption could not follow the new profile');
    });
  }
}
