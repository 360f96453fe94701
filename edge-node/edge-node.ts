import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import Corestore from 'corestore';
import type { Logger } from 'pino';
import { writeAtomically } from '../shared/fs/write-atomically.ts';
import { seededRng } from '../shared/policy/prng.ts';
import { TokenBucket } from '../shared/policy/token-bucket.ts';
import { type Clock, systemClock } from '../shared/ports/clock.ts';
import type { EdgeConfig } from './config.ts';
import {
  type CoordinatorClient as Client,
  CoordinatorClient,
  CoordinatorError,
  type PrinterProfile,
  type RedeemJob,
} from './coordinator-client.ts';
import { loadOrCreateIdentity, type NodeIdentity, pairingQr } from './identity.ts';
import { JobLog } from './jobs/job-log.ts';
import { type RedemptionProgress, RedemptionService } from './jobs/redemption-service.ts';
import { BackgroundReplicator } from './mesh/background-replicator.ts';
import { EventReplica, type HoldingsScan } from './mesh/event-replica.ts';
import { ImageFetcher } from './mesh/image-fetcher.ts';
import { CloudSessions, PriorityGate } from './mesh/traffic.ts';
import { stableDhtPort, VenueDht } from './mesh/venue-dht.ts';
import { VenueMesh } from './mesh/venue-mesh.ts';
import { OfflineRedemption } from './offline/offline-redemption.ts';
import type { PrinterPort, PrinterStatus } from './printing/port.ts';
import { openStationPrinter, stationReport } from './printing/station-config.ts';
import { eventStatus } from './status/event-status.ts';
import { createLocalApi } from './status/local-api.ts';
import { NodeMetrics } from './status/node-metrics.ts';
import { isDiskFull, StorageHealth } from './status/storage-health.ts';

export const EDGE_NODE_VERSION = '0.1.0';
/** Until paired, the node asks the coordinator this often whether an operator has paired it. */
export const PAIRING_POLL_MS = 3_000;
const BACKGROUND_BURST_BYTES = 4 * 1024 * 1024;
/** Before the storage is reopened after a full disk, orders being printed get this long to finish. */
const REOPEN_DRAIN_MS = 60_000;
/** A kiosk thumbnail does not wait long for a catalog entry; the screen asks again on its next poll. */
const KIOSK_CATALOG_WAIT_MS = 1_000;

/**
 * One venue printer's daemon. ready() brings it up in dependency order: identity and printer,
 * pairing and profile, corestore and mesh, replicas, replication and redemption, local API;
 * close() takes it down in reverse (API, redemption, replication, swarm, feeds, corestore, printer).
 */
export class EdgeNode {
  readonly config: EdgeConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics = new NodeMetrics();
  identity: NodeIdentity | null = null;
  #client: Client | null = null;
  #profile: PrinterProfile | null = null;
  #printer: PrinterPort | null = null;
  #printerStatus: PrinterStatus | null = null;
  #corestore: Corestore | null = null;
  #mesh: VenueMesh | null = null;
  #cloud: CloudSessions | null = null;
  readonly #gate = new PriorityGate();
  readonly #replicas = new Map<string, EventReplica>();
  #replicator: BackgroundReplicator | null = null;
  #log: JobLog | null = null;
  #redemptions: RedemptionService | null = null;
  /** Offline redemption (issue #6): orders feed, claims logs, reconciliation. */
  #offline: OfflineRedemption | null = null;
  /** This printer's DHT nodes: one is a bootstrap node of the venue for its peers. */
  #dht: VenueDht | null = null;
  /** The coordinator has not answered since start or since it last failed: DHT nodes to look at again. */
  #dhtStale = true;
  #profileCachePath = '';
  #server: Server | null = null;
  #refresher: NodeJS.Timeout | null = null;
  #closing = false;
  #lastError: string | null = null;
  /** Failed writes to the data directory (full disk), and reopening the storage once there is room. */
  #storage: StorageHealth | null = null;
  /** The local API's port, kept across a storage reopen (the kiosk and scanners know it). */
  #listenPort: number | null = null;
  #stopped = false;
  /** ready() completed and no teardown began since. */
  #up = false;
  #startedAt = 0;
  readonly #progress = new Map<string, RedemptionProgress>();
  #localUrl = '';
  #lastHoldings = new Map<string, string>();

  readonly #onPairingCode: ((code: string, qrText: string) => void) | undefined;

  constructor(
    config: EdgeConfig,
    logger: Logger,
    opts: { clock?: Clock; onPairingCode?: (code: string, qrText: string) => void } = {},
  ) {
    this.config = config;
    this.logger = logger;
    this.clock = opts.clock ?? systemClock;
    this.#onPairingCode = opts.onPairingCode;
  }

  get localUrl(): string {
    return this.#localUrl;
  }

  get publicKeyHex(): string {
    return this.identity?.pairingCode ?? '';
  }

  get redemptions(): RedemptionService {
    if (!this.#redemptions) throw new Error('edge node not ready');
    return this.#redemptions;
  }

  get replicator(): BackgroundReplicator {
    if (!this.#replicator) throw new Error('edge node not ready');
    return this.#replicator;
  }

  replica(eventId: string): EventReplica | undefined {
    return this.#replicas.get(eventId);
  }

  async ready(): Promise<void> {
    this.#startedAt = this.clock.now();
    const dataDir = resolve(this.config.dataDir);
    await mkdir(dataDir, { recursive: true });
    this.#storage = new StorageHealth({
      dir: dataDir,
      logger: this.logger,
      now: () => this.clock.now(),
      onFailure: (kind) => this.metrics.storageErrors.inc({ kind }),
      onRoomAgain: () => {
        if (!this.#up) return false;
        void this.#reopenStorage();
        return true;
      },
    });
    this.identity = await loadOrCreateIdentity(join(dataDir, 'identity.json'));
    const qr = await pairingQr(this.identity.pairingCode);
    // A convenience copy: a full disk must not keep the printer from starting.
    await writeFile(join(dataDir, 'pairing-qr.png'), qr.png).catch((err: unknown) => this.#storage?.report(err));
    this.#onPairingCode?.(this.identity.pairingCode, qr.terminal);
    this.logger.info(
      { pairingCode: this.identity.pairingCode, qr: join(dataDir, 'pairing-qr.png') },
      'pairing code of this printer',
    );

    this.#printer = await openStationPrinter(this.config, dataDir, this.logger, this.clock);
    this.#printer.on('status', (s) => {
      this.#printerStatus = s;
      if (s.state !== 'ready' && s.state !== 'printing') this.logger.warn({ printer: s }, 'printer needs attention');
    });
    await this.#printer.ready();

    this.#client = new CoordinatorClient({
      baseUrl: this.config.coordinatorUrl,
      keyPair: this.identity,
      clock: this.clock,
    });
    this.#profileCachePath = join(dataDir, 'profile.json');
    this.#profile = await this.#waitForProfile(this.#profileCachePath);

    this.#corestore = await this.#openCorestore(join(dataDir, 'corestore'));
    const dhtAddress = {
      host: this.config.dhtHost,
      port: await stableDhtPort(dataDir, this.config.dhtHost, this.config.dhtPort),
    };
    // The cloud's bootstrap and the venue's own nodes: with the cloud gone, printers still find each
    // other through each other (edge-node/OFFLINE.md).
    this.#dht = await VenueDht.open({
      address: dhtAddress,
      cloud: this.config.dhtBootstrap,
      venue: [...(this.config.venueBootstrap ?? []), ...this.#profile.peers.printers.map((p) => p.dht)],
      logger: this.logger,
    });
    this.#mesh = new VenueMesh({
      corestore: this.#corestore,
      keyPair: { publicKey: this.identity.publicKey, secretKey: this.identity.secretKey },
      bootstrap: this.config.dhtBootstrap,
      dhtHost: this.config.dhtHost,
      logger: this.logger,
      dht: this.#dht.swarmDht,
    });
    this.#applyMembership(this.#profile);
    for (const feed of this.#profile.feeds) await this.#openReplica(feed);
    // Only the mesh talks to LAN peers; the baselines reach the cloud seeder by its key alone.
    if (this.#meshReplication) await this.#mesh.join(Buffer.from(this.#profile.venue.topic, 'hex'));
    this.#cloud = new CloudSessions(this.#mesh);

    this.#replicator = new BackgroundReplicator({
      mode: this.config.replication === 'star-periodic' ? 'star-periodic' : 'mesh',
      mesh: this.#mesh,
      cloud: this.#cloud,
      gate: this.#gate,
      replicas: () => [...this.#replicas.values()],
      profile: () => this.#profile,
      selfKey: this.identity.pairingCode,
      clock: this.clock,
      rng: seededRng(this.identity.pairingCode),
      schedule: this.config.schedule,
      bucket: new TokenBucket({
        rateBytesPerSec: this.config.backgroundBytesPerSec,
        burstBytes: BACKGROUND_BURST_BYTES,
        now: this.clock.now(),
      }),
      logger: this.logger,
    });

    this.#log = new JobLog(join(dataDir, 'jobs.log'));
    await this.#log.ready();
    this.#offline = new OfflineRedemption({
      corestore: this.#corestore,
      identity: { publicKey: this.identity.publicKey, secretKey: this.identity.secretKey },
      config: this.config.offline,
      profile: () => this.#profile,
      lanPeers: () => this.#mesh?.lanPeers() ?? [],
      cloud: this.#cloud,
      log: this.#log,
      isPrinting: (orderId) => this.#redemptions?.isActive(orderId) ?? false,
      clock: this.clock,
      logger: this.logger,
    });
    await this.#offline.open(this.#profile);
    this.#redemptions = new RedemptionService({
      client: this.#client,
      tokenKeys: () => new Map((this.#profile?.tokenKeys ?? []).map((k) => [k.keyId, Buffer.from(k.publicKey, 'hex')])),
      clock: this.clock,
      log: this.#log,
      replicaFor: (eventId, job) => this.#replicaFor(eventId, job),
      fetcher: new ImageFetcher({ mesh: this.#mesh, cloud: this.#cloud, gate: this.#gate, clock: this.clock }),
      printer: this.#printer,
      venueName: () => this.#profile?.venue.name ?? '',
      printerName: () => this.#profile?.printer.name ?? this.config.name,
      logger: this.logger,
      offline: this.#offline,
    });
    this.#redemptions.on('progress', (p: RedemptionProgress) => {
      this.#progress.set(p.orderId, p);
      if (p.error) this.#lastError = p.error;
    });
    await this.#redemptions.ready();
    if (this.config.replication !== 'on-demand') this.#replicator.ready();

    const app = createLocalApi({
      status: () => this.statusReport(),
      metrics: async () => ({
        contentType: this.metrics.registry.contentType,
        body: await this.metrics.registry.metrics(),
      }),
      redeem: (code) => this.redeem(code),
      progress: (orderId) => this.#progress.get(orderId) ?? null,
      kiosk: {
        startRedeem: (code) => this.startRedeem(code),
        progress: (orderId) => this.#progress.get(orderId) ?? null,
        watch: (orderId, listener) => {
          const onProgress = (p: RedemptionProgress) => {
            if (p.orderId === orderId) listener(p);
          };
          this.redemptions.on('progress', onProgress);
          return () => this.redemptions.off('progress', onProgress);
        },
        printer: () => this.#printer!.status(),
        watchPrinter: (listener) => {
          this.#printer!.on('status', listener);
          return () => this.#printer!.off('status', listener);
        },
        localImage: (orderId, imageId) => this.#localImage(orderId, imageId),
        names: () => ({
          venue: this.#profile?.venue.name ?? '',
          printer: this.#profile?.printer.name ?? this.config.name,
        }),
      },
    });
    this.#server = createServer(app.callback());
    await new Promise<void>((res, rej) => {
      this.#server!.once('error', rej);
      this.#server!.listen(this.#listenPort ?? this.config.statusPort, this.config.statusHost, () => res());
    });
    const addr = this.#server.address() as AddressInfo;
    this.#localUrl = `http://${addr.address}:${addr.port}`;
    this.#scheduleRefresh();
    this.#up = true;
    this.logger.info(
      { local: this.#localUrl, venue: this.#profile.venue.name, events: this.#replicas.size },
      'edge node ready',
    );
  }

  /** Redeems a scanned or typed code (kiosk, CLI, keyboard wedge); resolves when the order is done. */
  async redeem(code: string, onClaimed?: (orderId: string) => void): Promise<RedemptionProgress> {
    try {
      const result = await this.redemptions.redeem(code, { onClaimed });
      this.metrics.redemptions.inc({ outcome: result.error ? 'incomplete' : 'printed' });
      this.metrics.printsTotal.inc(result.units.filter((u) => u.state === 'printed').length);
      return result;
    } catch (err) {
      this.metrics.redemptions.inc({ outcome: (err as { code?: string }).code ?? 'error' });
      throw err;
    }
  }

  /** Like redeem(), but resolves with the order's first progress once it is claimed; printing goes on. */
  startRedeem(code: string): Promise<RedemptionProgress> {
    return new Promise((resolve, reject) => {
      this.redeem(code, (orderId) => {
        const first = this.#progress.get(orderId);
        if (first) resolve(first);
      }).then(resolve, reject);
    });
  }

  /** A photo of an order claimed here, if this node holds it whole (the kiosk's thumbnails). */
  async #localImage(orderId: string, imageId: string): Promise<Buffer | null> {
    const order = this.#log?.get(orderId);
    const replica = order ? this.#replicas.get(order.eventId) : undefined;
    if (!replica) return null;
    const entry = await replica.entry(imageId, KIOSK_CATALOG_WAIT_MS);
    return entry ? replica.readLocal(entry) : null;
  }

  /** The status the node reports; `scans` (one per event) when the caller has them already. */
  async statusReport(scans?: HoldingsScan[]): Promise<Record<string, unknown>> {
    const now = this.clock.now();
    const events = (scans ?? (await this.#scanHoldings())).map((scan) => eventStatus(scan, now));
    for (const e of events) {
      this.metrics.imagesHeld.set({ event: e.eventId }, e.imagesHeld);
      this.metrics.bytesNeeded.set({ event: e.eventId }, e.bytesNeeded);
      this.metrics.lagSeconds.set({ event: e.eventId }, (e.oldestMissingAgeMs ?? 0) / 1000);
    }
    const lanPeers = this.#mesh?.lanPeers().length ?? 0;
    const cloudConnected = this.#mesh?.cloudConnected() ?? false;
    this.metrics.peers.set({ kind: 'lan' }, lanPeers);
    this.metrics.peers.set({ kind: 'cloud' }, cloudConnected ? 1 : 0);
    this.metrics.queue.set(this.#redemptions?.queue ?? 0);
    const printer = this.#printerStatus ??
      (await this.#printer?.status()) ?? { state: 'offline', detail: 'not started' };
    return {
      version: EDGE_NODE_VERSION,
      uptimeMs: Math.max(0, now - this.#startedAt),
      events,
      bytesFromLan: this.metrics.bytesFromLan,
      bytesFromCloud: this.metrics.bytesFromCloud,
      bytesToLan: this.metrics.bytesToLan,
      lanPeers,
      blockedPeers: this.#mesh?.blockedPeers ?? 0,
      cloudConnected,
      queue: this.#redemptions?.queue ?? 0,
      printer: { state: printer.state, detail: printer.detail },
      ...stationReport(this.#printer),
      lastError: this.#storage?.failure?.message ?? this.#lastError,
      dht: this.#dht?.address ?? null,
      ...(this.#offline ? { offline: await this.#offline.status() } : {}),
    };
  }

  async close(): Promise<void> {
    this.#stopped = true;
    await this.#teardown();
  }

  /**
   * The feed store refuses every write after the disk filled up, until it is reopened (see
   * StorageHealth): once there is room, the node restarts itself in place, on the same local port.
   */
  async #reopenStorage(): Promise<void> {
    if (this.#closing) return;
    this.#listenPort = this.#server ? (this.#server.address() as AddressInfo).port : this.#listenPort;
    // Orders printing now finish first: a teardown would cut a photo mid-print.
    const drainUntil = this.clock.now() + REOPEN_DRAIN_MS;
    while ((this.#redemptions?.queue ?? 0) > 0 && this.clock.now() < drainUntil && !this.#closing) {
      await new Promise((r) => setTimeout(r, 200));
    }
    try {
      await this.#teardown();
      if (this.#stopped) return;
      this.#closing = false;
      this.#lastError = null;
      await this.ready();
      if (this.#stopped) await this.#teardown();
    } catch (err) {
      this.#lastError = `Reopening the storage failed: ${(err as Error).message}. Restart the printer.`;
      this.logger.error({ err }, 'reopening the storage failed');
    }
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
        if (!isDiskFull(err) || this.#closing) throw err;
        await this.#storage!.waitForRoom(err, async () => {
          await this.#client?.putStatus(await this.statusReport([]));
        });
      }
    }
  }

  async #teardown(): Promise<void> {
    this.#closing = true;
    this.#up = false;
    this.#storage?.close();
    if (this.#refresher) clearTimeout(this.#refresher);
    const server = this.#server;
    this.#server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
    await this.#redemptions?.close();
    await this.#replicator?.close();
    this.#cloud?.close();
    await this.#mesh?.close();
    await this.#dht?.close();
    await Promise.allSettled([...this.#replicas.values()].map((r) => r.close()));
    this.#replicas.clear();
    await this.#offline?.close();
    await this.#corestore?.close();
    await this.#log?.close();
    await this.#printer?.close();
  }

  /** Waits until an operator pairs this printer; keeps the last profile for restarts without the cloud. */
  async #waitForProfile(cachePath: string): Promise<PrinterProfile> {
    for (let attempt = 0; ; attempt++) {
      try {
        const profile = await this.#client!.me();
        // Only a cache: a full disk must not pass for an unreachable coordinator.
        await writeAtomically(cachePath, JSON.stringify(profile)).catch((err: unknown) => this.#storage?.report(err));
        return profile;
      } catch (err) {
        if (err instanceof CoordinatorError && err.status === 403) {
          if (attempt === 0)
            this.logger.warn(
              { pairingCode: this.identity?.pairingCode },
              'not paired yet: ask an operator to pair this code',
            );
        } else {
          const cached = await readFile(cachePath, 'utf8').catch(() => null);
          if (cached) {
            this.logger.warn(
              { err: (err as Error).message },
              'coordinator unreachable: starting from the last known profile',
            );
            return JSON.parse(cached) as PrinterProfile;
          }
          if (attempt === 0) this.logger.warn({ err: (err as Error).message }, 'coordinator unreachable; retrying');
        }
        if (this.#closing) throw err;
        await new Promise((r) => setTimeout(r, PAIRING_POLL_MS));
      }
    }
  }

  get #meshReplication(): boolean {
    return this.config.replication === 'mesh';
  }

  #applyMembership(profile: PrinterProfile): void {
    this.#mesh?.setMembership(
      this.#meshReplication ? profile.peers.printers.map((p) => p.id) : [],
      profile.peers.coordinators,
    );
    // Peers' DHT nodes learned since start join this node's routing table (venue bootstrap).
    for (const peer of profile.peers.printers) if (peer.dht) this.#dht?.addVenueNode(peer.dht);
    this.#offline?.applyProfile(profile).catch((err: unknown) => {
      this.logger.warn({ err }, 'offline redemption could not follow the new profile');
    });
  }

  async #openReplica(feed: PrinterProfile['feeds'][number] | RedeemJob['feed']): Promise<EventReplica> {
    const existing = this.#replicas.get(feed.eventId);
    if (existing) return existing;
    const replica = new EventReplica(
      this.#corestore!,
      {
        eventId: feed.eventId,
        blobsKey: feed.blobsKey,
        catalogKey: feed.catalogKey,
        encryptionKey: feed.encryptionKey,
      },
      (source, bytes) => {
        this.metrics.countBytes(source, bytes);
        if (source !== 'served') this.#replicator?.noteProgress(this.clock.now());
      },
      (key) => this.#mesh?.isCloudKey(key) ?? false,
      (key, reason) => this.#mesh?.block(key, reason),
      (err) => this.#storage?.report(err),
    );
    await replica.ready();
    this.#replicas.set(feed.eventId, replica);
    return replica;
  }

  async #replicaFor(eventId: string, job?: RedeemJob): Promise<EventReplica | null> {
    const existing = this.#replicas.get(eventId);
    if (existing) return existing;
    if (job) return this.#openReplica(job.feed);
    return null;
  }

  /** Profile refresh, status report and holdings report, every reportIntervalMs. */
  #scheduleRefresh(): void {
    this.#refresher = setTimeout(async () => {
      try {
        await this.refresh();
      } catch (err) {
        this.#lastError = (err as Error).message;
      }
      if (!this.#closing) this.#scheduleRefresh();
    }, this.config.reportIntervalMs);
    this.#refresher.unref();
  }

  /** Fetches the profile, opens new feeds, reports status and holdings. Public for tests. */
  async refresh(): Promise<void> {
    if (!this.#client || this.#closing) return;
    let profile: PrinterProfile;
    try {
      profile = await this.#client.me();
      this.#replicator?.cloudReachable(true, this.clock.now());
    } catch (err) {
      if (err instanceof CoordinatorError && err.code === 'coordinator_unreachable') {
        this.#replicator?.cloudReachable(false, this.clock.now());
        this.#dhtStale = true;
      }
      throw err;
    }
    if (this.#dhtStale) {
      // Nodes that were down at start or during the outage (the cloud's bootstrap) are back.
      this.#dht?.revisit();
      this.#dhtStale = false;
    }
    const grew = profile.feeds.some((f) => {
      const before = this.#profile?.feeds.find((x) => x.eventId === f.eventId)?.head.blobsLength ?? -1;
      return f.head.blobsLength > before;
    });
    if (JSON.stringify(profile) !== JSON.stringify(this.#profile)) {
      // A restart with no cloud starts from this: its peers' DHT addresses and the orders feed.
      await writeAtomically(this.#profileCachePath, JSON.stringify(profile)).catch((err: unknown) =>
        this.#storage?.report(err),
      );
    }
    this.#profile = profile;
    this.#applyMembership(profile);
    for (const feed of profile.feeds) await this.#openReplica(feed);
    if (grew) this.#replicator?.wake();
    await this.#offline?.uplinkUp(this.#client).catch((err: unknown) => {
      this.logger.warn({ err }, 'offline redemptions not reported yet; retrying on the next refresh');
    });
    const scans = await this.#scanHoldings();
    await this.#client.putStatus(await this.statusReport(scans));
    for (const scan of scans) {
      await this.#replicas.get(scan.eventId)?.announceHoldings(scan);
      const held = scan.held.map((e) => e.imageId);
      const digest = held.join(',');
      if (this.#lastHoldings.get(scan.eventId) === digest) continue;
      await this.#client.putHoldings(scan.eventId, held);
      this.#lastHoldings.set(scan.eventId, digest);
    }
  }

  #scanHoldings(): Promise<HoldingsScan[]> {
    return Promise.all([...this.#replicas.values()].map((r) => r.scanHoldings()));
  }
}
