import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { AppError } from '../shared/errors.ts';
import { PRIVATE_DIR_MODE, securePrivateData } from '../shared/fs/private-files.ts';
import { Resource } from '../shared/lifecycle/resource.ts';
import { type Clock, systemClock } from '../shared/ports/clock.ts';
import type { PrinterStatusReport } from '../shared/protocol/printer-api.ts';
import type { StationQueueReport } from '../shared/protocol/station-queue.ts';
import type { EdgeConfig } from './config.ts';
import { loadOrCreateIdentity, type NodeIdentity, pairingQr } from './identity.ts';
import type { RedemptionProgress, RedemptionService } from './jobs/redemption-service.ts';
import type { BackgroundReplicator } from './mesh/background-replicator.ts';
import type { EventReplica, HoldingsScan } from './mesh/event-replica.ts';
import { NodeRuntime } from './node-runtime.ts';
import { stationReport } from './printing/station-config.ts';
import { ownStationQueue } from './routing/own-queue.ts';
import { localApiDeps } from './status/local-api-adapter.ts';
import { NodeMetrics } from './status/node-metrics.ts';
import { buildStatusReport, EDGE_NODE_VERSION } from './status/status-report.ts';
import { StorageHealth } from './status/storage-health.ts';
import { reopenAfterDrain } from './storage-reopen.ts';

export { PAIRING_POLL_MS } from './profile-sync.ts';
export { EDGE_NODE_VERSION };

/**
 * One venue printer's daemon, as a composition root: the identity and the storage watch live as
 * long as the node; everything standing on the storage lives in a NodeRuntime (node-runtime.ts),
 * which the node replaces when the disk had filled up and has room again. ready() and close() are
 * memoised; a failed ready() closes what it opened (Resource).
 */
export class EdgeNode extends Resource {
  readonly config: EdgeConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly metrics = new NodeMetrics();
  identity: NodeIdentity | null = null;
  #storage: StorageHealth | null = null;
  #runtime: NodeRuntime | null = null;
  #reopening: Promise<void> | null = null;
  #lastError: string | null = null;
  #startedAt = 0;
  readonly #progress = new Map<string, RedemptionProgress>();
  readonly #onPairingCode: ((code: string, qrText: string) => void) | undefined;

  constructor(
    config: EdgeConfig,
    logger: Logger,
    opts: { clock?: Clock; onPairingCode?: (code: string, qrText: string) => void } = {},
  ) {
    super();
    this.config = config;
    this.logger = logger;
    this.clock = opts.clock ?? systemClock;
    this.#onPairingCode = opts.onPairingCode;
  }

  get localUrl(): string {
    return this.#runtime?.localUrl ?? '';
  }

  get publicKeyHex(): string {
    return this.identity?.pairingCode ?? '';
  }

  get redemptions(): RedemptionService {
    const r = this.#runtime?.redemptions;
    if (!r) throw new AppError('shutting_down', 'The edge node is not ready.');
    return r;
  }

  get replicator(): BackgroundReplicator {
    const r = this.#runtime?.replicator;
    if (!r) throw new AppError('shutting_down', 'The edge node is not ready.');
    return r;
  }

  replica(eventId: string): EventReplica | undefined {
    return this.#runtime?.replica(eventId);
  }

  protected override async _open(): Promise<void> {
    this.#startedAt = this.clock.now();
    const dataDir = resolve(this.config.dataDir);
    await mkdir(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    await securePrivateData(dataDir, this.logger);
    const storage = this.own(
      new StorageHealth({
        dir: dataDir,
        logger: this.logger,
        clock: this.clock,
        onFailure: (kind) => this.metrics.storageErrors.inc({ kind }),
        onRoomAgain: () => {
          if (!this.opened || this.closing || this.#reopening) return false;
          this.#reopening = this.#reopenStorage().finally(() => {
            this.#reopening = null;
          });
          return true;
        },
      }),
    );
    this.#storage = storage;
    // Closes the runtime of the moment (the first, or one a reopen made) before the storage watch.
    this.defer(async () => {
      await this.#runtime?.close();
      // A reopen in flight sees `closing` and stops; close the runtime it may have made meanwhile.
      await this.#reopening;
      await this.#runtime?.close();
    });
    this.identity = await loadOrCreateIdentity(join(dataDir, 'identity.json'));
    const qr = await pairingQr(this.identity.pairingCode);
    // A convenience copy: a full disk must not keep the printer from starting.
    await writeFile(join(dataDir, 'pairing-qr.png'), qr.png).catch((err: unknown) => storage.report(err));
    this.#onPairingCode?.(this.identity.pairingCode, qr.terminal);
    this.logger.info(
      { pairingCode: this.identity.pairingCode, qr: join(dataDir, 'pairing-qr.png') },
      'pairing code of this printer',
    );
    if (this.closing) throw new AppError('shutting_down', 'The edge node was closed while it was starting.');
    const runtime = this.#newRuntime(dataDir, this.config.statusPort);
    this.#runtime = runtime;
    // A close while the runtime still opens (waiting to be paired, or for disk space) stops that wait.
    this.closeSignal.addEventListener('abort', () => void runtime.close().catch(() => {}), { once: true });
    await runtime.ready();
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

  /** The status the node reports; `scans` (one per event) when the caller has them already. */
  async statusReport(scans?: HoldingsScan[]): Promise<PrinterStatusReport> {
    const runtime = this.#runtime;
    const printer = runtime?.printer;
    return buildStatusReport({
      now: this.clock.now(),
      startedAt: this.#startedAt,
      metrics: this.metrics,
      scans: scans ?? (await runtime?.scanHoldings()) ?? [],
      mesh: runtime?.mesh ?? null,
      dht: runtime?.dht ?? null,
      queue: runtime?.redemptions?.queue ?? 0,
      printer: runtime?.printerStatus ?? (printer ? await printer.status() : null),
      lastError: this.#storage?.failure?.message ?? this.#lastError,
      offline: runtime?.offline ?? null,
      jobLogDamagedLines: runtime?.log?.damagedLines ?? 0,
      ...stationReport(printer ?? null),
      routing: this.stationQueue() ?? undefined,
    });
  }

  /** This station's queue for fan routing (issue #16): to its LAN peers, the coordinator and its kiosk. */
  stationQueue(): StationQueueReport | null {
    const runtime = this.#runtime;
    if (!runtime || !this.identity) return null;
    return ownStationQueue({
      id: this.identity.pairingCode,
      name: runtime.profile?.printer.name ?? this.config.name,
      now: this.clock.now(),
      printer: runtime.printerStatus,
      ...stationReport(runtime.printer ?? null),
      progress: this.#progress.values(),
      thermalSecondsPerPrint: this.config.routing.thermalSecondsPerPrint,
      position: this.config.routing.position ?? null,
    });
  }

  /** Fetches the profile, opens new feeds, reports status and holdings. Public for tests. */
  async refresh(): Promise<void> {
    await this.#runtime?.refresh();
  }

  #newRuntime(dataDir: string, listenPort: number): NodeRuntime {
    const identity = this.identity!;
    const runtime: NodeRuntime = new NodeRuntime({
      config: this.config,
      logger: this.logger,
      clock: this.clock,
      metrics: this.metrics,
      identity,
      dataDir,
      storage: this.#storage!,
      listenPort,
      localApi: (r) =>
        localApiDeps(
          {
            logger: this.logger,
            metrics: this.metrics,
            printerName: this.config.name,
            clock: this.clock,
            localHostNames: [this.config.statusHost, ...this.config.localHostNames],
            ...(this.config.cardReaderId ? { cardReaderId: this.config.cardReaderId } : {}),
            statusReport: () => this.statusReport(),
            redeem: (code) => this.redeem(code),
            startRedeem: (code) => this.startRedeem(code),
            progress: (orderId) => this.#progress.get(orderId) ?? null,
            stationQueue: () => this.stationQueue(),
          },
          r,
        ),
      stationQueue: () => this.stationQueue(),
      statusReport: (scans) => this.statusReport(scans),
      onProgress: (p) => {
        this.#progress.set(p.orderId, p);
        if (p.error) this.#lastError = p.error.message;
      },
      onError: (message) => {
        this.#lastError = message;
      },
    });
    return runtime;
  }

  /**
   * The feed store refuses every write after the disk filled up, until it is reopened (see
   * StorageHealth): once there is room, the node replaces its runtime, on the same local port.
   */
  async #reopenStorage(): Promise<void> {
    const old = this.#runtime;
    if (!old) return;
    const listenPort = old.listenPort ?? this.config.statusPort;
    try {
      await reopenAfterDrain({
        clock: this.clock,
        queue: () => old.redemptions?.queue ?? 0,
        stopping: () => this.closing,
        close: () => old.close(),
      });
      if (this.closing) return;
      this.#lastError = null;
      const fresh = this.#newRuntime(resolve(this.config.dataDir), listenPort);
      this.#runtime = fresh;
      await fresh.ready();
    } catch (err) {
      if (this.closing) return;
      this.#lastError = `Reopening the storage failed: ${(err as Error).message}. Restart the printer.`;
      this.logger.error({ err }, 'reopening the storage failed');
    }
  }
}
