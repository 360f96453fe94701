import { join } from 'node:path';
import type Corestore from 'corestore';
import type { Logger } from 'pino';
import { Resource } from '../../shared/lifecycle/resource.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { PrinterProfile } from '../../shared/protocol/printer-api.ts';
import type { EdgeConfig } from '../config.ts';
import type { CoordinatorClient } from '../coordinator-client.ts';
import type { NodeIdentity } from '../identity.ts';
import type { SaleReceiptBook } from '../kiosk/sale-receipts.ts';
import type { CloudLane } from '../mesh/cloud-lane.ts';
import type { EventReplicas } from '../mesh/event-replicas.ts';
import { ImageFetcher } from '../mesh/image-fetcher.ts';
import type { CloudSessions, PriorityGate } from '../mesh/traffic.ts';
import type { VenueMesh } from '../mesh/venue-mesh.ts';
import { OfflineRedemption } from '../offline/offline-redemption.ts';
import { OwnPhotoClient } from '../own-photos/own-photo-client.ts';
import { OwnPhotoJournal } from '../own-photos/own-photo-journal.ts';
import { OwnPhotoPrinting } from '../own-photos/own-photo-printing.ts';
import type { PrinterPort } from '../printing/port.ts';
import type { NodeMetrics } from '../status/node-metrics.ts';
import { JobLog } from './job-log.ts';
import { watchPaidPhotos } from './paid-photo-watch.ts';
import type { PreRenderer } from './pre-renderer.ts';
import { createRedemptionDesk, type RedemptionDesk } from './redemption-desk.ts';
import type { RedemptionProgress, RedemptionService } from './redemption-service.ts';
import type { WarmUpLines } from './scan-warm-up.ts';

export interface StationJobsOptions {
  config: EdgeConfig;
  identity: NodeIdentity;
  dataDir: string;
  clock: Clock;
  logger: Logger;
  metrics: NodeMetrics;
  client: CoordinatorClient;
  printer: PrinterPort;
  corestore: Corestore;
  lane: CloudLane;
  mesh: VenueMesh;
  cloud: CloudSessions;
  gate: PriorityGate;
  replicas: EventReplicas;
  /** The profile the node starts from: offline redemption opens on it. */
  firstProfile: PrinterProfile;
  /** The latest profile (null: none yet). */
  profile: () => PrinterProfile | null;
  saleReceipts: SaleReceiptBook;
  /** When replicated bytes last arrived (the background replicator's lastProgressAt). */
  lastReplicatedAt: () => number;
  onProgress: (progress: RedemptionProgress) => void;
}

/**
 * The jobs this station prints, on one opening of the storage (node-runtime.ts): the durable job
 * log, offline redemption, the redemption desk (the service and the pre-renderer) and fans'
 * own-photo jobs. Opened in that order, closed in reverse (Resource).
 */
export class StationJobs extends Resource {
  readonly #o: StationJobsOptions;
  #log: JobLog | null = null;
  #offline: OfflineRedemption | null = null;
  #redemptions: RedemptionService | null = null;
  #preRenderer: PreRenderer | null = null;
  #warmUpBasket: RedemptionDesk['warmUpBasket'] = null;
  #ownPhotos: { client: OwnPhotoClient; printing: OwnPhotoPrinting } | null = null;

  constructor(opts: StationJobsOptions) {
    super();
    this.#o = opts;
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

  /** Renders photos held whole here ahead of printing (null: the printer keeps no rasters ahead). */
  get preRenderer(): PreRenderer | null {
    return this.#preRenderer;
  }

  /** Renders a kiosk basket's photos held here while the fan pays (0 without rasters ahead). */
  warmUpBasket(eventId: string, items: WarmUpLines): Promise<number> {
    return this.#warmUpBasket?.(eventId, items) ?? Promise.resolve(0);
  }

  get ownPhotos(): { client: OwnPhotoClient; printing: OwnPhotoPrinting } | null {
    return this.#ownPhotos;
  }

  protected override async _open(): Promise<void> {
    const { config, identity, dataDir, clock, logger, client, printer, corestore, lane, mesh, cloud, gate } = this.#o;
    const { replicas, profile } = this.#o;
    const log = this.own(new JobLog(join(dataDir, 'jobs.log'), { logger }));
    this.#log = log;
    await log.ready();
    const offline = this.own(
      new OfflineRedemption({
        corestore,
        lane,
        identity: { publicKey: identity.publicKey, secretKey: identity.secretKey },
        config: config.offline,
        profile,
        lanPeers: () => mesh.lanPeers(),
        smallCores: mesh.overlay,
        cloud,
        log,
        isPrinting: (orderId) => this.#redemptions?.isActive(orderId) ?? false,
        clock,
        logger,
      }),
    );
    this.#offline = offline;
    await offline.open(this.#o.firstProfile);
    const { redemptions, preRenderer, warmUpBasket } = createRedemptionDesk({
      client,
      tokenKeys: () => new Map((profile()?.tokenKeys ?? []).map((k) => [k.keyId, Buffer.from(k.publicKey, 'hex')])),
      clock,
      log,
      replicaFor: (eventId, job) => replicas.forRedemption(eventId, job),
      fetcher: new ImageFetcher({
        mesh,
        cloud,
        gate,
        clock,
        onDemandLanDeadlineMs: config.onDemandLanDeadlineMs,
      }),
      printer,
      venueName: () => profile()?.venue.name ?? '',
      eventName: (eventId) => profile()?.feeds.find((f) => f.eventId === eventId)?.name ?? null,
      printerName: () => profile()?.printer.name ?? config.name,
      logger,
      offline,
      receiptPayment: (orderId) => this.#o.saleReceipts.get(orderId) ?? null,
      metrics: this.#o.metrics,
      orders: {
        lookup: async (code, timeoutMs) => (await this.#offline?.lookupOrder(code, timeoutMs)) ?? null,
        replica: (eventId) => replicas.get(eventId),
      },
      onDemandActive: () => gate.onDemandActive,
      lastReplicatedAt: this.#o.lastReplicatedAt,
    });
    this.own(redemptions);
    this.#redemptions = redemptions;
    redemptions.on('progress', (p: RedemptionProgress) => this.#o.onProgress(p));
    this.#warmUpBasket = warmUpBasket;
    if (preRenderer) {
      this.#preRenderer = preRenderer;
      this.defer(() => preRenderer.close());
      this.defer(watchPaidPhotos({ offline, preRenderer, logger }));
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
  }
}
