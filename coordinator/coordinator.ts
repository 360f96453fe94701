import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { ensurePrivateFile, PRIVATE_DIR_MODE, securePrivateData, sqliteFiles } from '../shared/fs/private-files.ts';
import { Resource } from '../shared/lifecycle/resource.ts';
import { type Clock, systemClock } from '../shared/ports/clock.ts';
import { cryptoRandom, type Random, randomId } from '../shared/ports/random.ts';
import { composeAfterEvent } from './after-event/compose.ts';
import { createApp } from './app.ts';
import type { CoordinatorConfig } from './config.ts';
import type { CoordinatorDeps } from './deps.ts';
import { DhtBootstrap } from './feed/dht-bootstrap.ts';
import { COORDINATOR_NODE_TTL_MS, FeedService } from './feed/feed-service.ts';
import { DEFAULT_IMAGE_LIMITS } from './media/image-pipeline.ts';
import { removeOrphanMedia } from './media/orphan-media.ts';
import { CoordinatorMetrics } from './metrics.ts';
import { HttpListener } from './parts/http-listener.ts';
import { loadSecrets } from './parts/secrets.ts';
import type { CardTerminal } from './payment/card-terminal-port.ts';
import { chooseTestCardTerminal } from './payment/choose-card-terminal.ts';
import { chooseCardTerminal, choosePaymentGateway } from './payment/choose-gateway.ts';
import { loadStripeProvider } from './payment/stripe-provider.ts';
import { readOrCreateKeyPair } from './secrets.ts';
import { createServices, type Services } from './services/index.ts';
import { OPS_STREAM_POLL_MS } from './services/ops-monitor.ts';
import { ownPhotoSettingsFromConfig } from './services/own-photo-settings.ts';
import { type KioskSaleStore, SqliteKioskSaleStore } from './store/kiosk-sale-store.ts';
import { MongoKioskSaleStore } from './store/mongo-kiosk-sales.ts';
import { MongoStore } from './store/mongo-store.ts';
import type { Store } from './store/port.ts';
import { SqliteStore } from './store/sqlite-store.ts';
import { StoreHealth, sqliteQuickCheck } from './store/store-health.ts';

const DAY_MS = 86_400_000;

/**
 * A running coordinator, as a composition root: it builds the parts (store, DHT bootstrap, feeds and
 * swarm, HTTP listener, services) and opens them in that order; close() (and a failed ready())
 * closes them in reverse, so no request sees a closed store and no feed outlives its swarm.
 */
export class Coordinator extends Resource {
  readonly config: CoordinatorConfig;
  readonly logger: Logger;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #portSetting: string | undefined;
  #bootstrap: DhtBootstrap | null = null;
  #http: HttpListener | null = null;
  /** Set when this start generated the operator token (shown once in the log). */
  generatedOperatorToken: string | null = null;
  /** The stations' card readers' provider (Stripe Terminal with the Stripe gateway), or null: no card payments. */
  cardTerminal: CardTerminal | null = null;

  /** `ports.portSetting`: the setting a user changes when the HTTP port is taken (the demo has its own). */
  constructor(
    config: CoordinatorConfig,
    logger?: Logger,
    ports: { clock?: Clock; random?: Random; portSetting?: string } = {},
  ) {
    super();
    this.config = config;
    this.logger = logger ?? pino({ level: config.logLevel, base: { service: 'coordinator' } });
    this.#clock = ports.clock ?? systemClock;
    this.#random = ports.random ?? cryptoRandom;
    this.#portSetting = ports.portSetting;
  }

  get url(): string {
    return this.#http?.url ?? '';
  }

  get dhtBootstrap(): Array<{ host: string; port: number }> {
    return this.config.dhtBootstrap ?? (this.#bootstrap?.opened ? [this.#bootstrap.address] : []);
  }

  protected async _open(): Promise<void> {
    const { config, logger } = this;
    const clock = this.#clock;
    const random = this.#random;
    const dataDir = resolve(config.dataDir);
    await mkdir(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });

    const sqlitePath = config.mongodbUri ? null : resolve(config.sqlitePath ?? join(dataDir, 'coordinator.sqlite'));
    // Created 0600 before SQLite opens it: SQLite gives its -wal and -shm the database file's mode.
    if (sqlitePath) await ensurePrivateFile(sqlitePath);
    await securePrivateData(dataDir, logger, sqlitePath ? sqliteFiles(sqlitePath) : []);
    const storeHealth = new StoreHealth();
    if (sqlitePath) {
      const problems = sqliteQuickCheck(sqlitePath);
      storeHealth.noteCheck(problems);
      if (problems.length > 0) {
        logger.error(
          { store: sqlitePath, problems },
          'the SQLite store is damaged: restore it from a backup (README, "Backup and restore"); /healthz reports it',
        );
      }
    }
    const store: Store = this.own(
      sqlitePath ? new SqliteStore({ path: sqlitePath }) : new MongoStore({ uri: config.mongodbUri! }),
    );
    await store.ready();
    // Kiosk sales: their own table in the SQLite file, or their own collection in MongoDB.
    const kioskSales: KioskSaleStore = this.own(
      sqlitePath
        ? new SqliteKioskSaleStore({ path: sqlitePath })
        : new MongoKioskSaleStore({ uri: config.mongodbUri! }),
    );
    await kioskSales.ready();
    const secrets = await loadSecrets(config, dataDir, store, random, clock);
    this.generatedOperatorToken = secrets.generatedOperatorToken;
    // Read before anything listens: a bad Stripe setting stops the start with a message naming it.
    const stripe = config.paymentGateway === 'stripe' ? await loadStripeProvider(config) : null;
    if (stripe?.apiUrl)
      logger.warn({ stripeApiUrl: stripe.apiUrl }, 'Stripe API calls go to VPM_STRIPE_API_URL (tests only)');
    // The simulated readers (VPM_CARD_TERMINAL=test) replace the provider's; else Stripe Terminal with
    // VPM_PAYMENT_GATEWAY=stripe; else none (the kiosk offers phone payment only).
    this.cardTerminal =
      chooseTestCardTerminal(
        config.cardTerminal,
        { clock, random, statePath: join(dataDir, 'test-card-terminal.json') },
        logger,
      ).cardTerminal ??
      chooseCardTerminal(stripe ? 'stripe' : 'none', {
        stripe: stripe ? () => ({ stripe: stripe.client }) : undefined,
      });

    if (!config.dhtBootstrap) {
      this.#bootstrap = this.own(new DhtBootstrap({ host: config.dhtHost, port: config.dhtPort }));
      await this.#bootstrap.ready();
    }
    const instanceId = config.instanceId ?? randomId(random, 6);
    const swarmKeyPair = await readOrCreateKeyPair(join(dataDir, 'swarm-key'), random);
    await this.#removeOrphanMedia(store, swarmKeyPair.publicKey.toString('hex'));
    const feeds = this.own(
      new FeedService({
        store,
        dataDir,
        instanceId,
        swarmKeyPair,
        bootstrap: this.dhtBootstrap,
        dhtHost: config.dhtHost,
        seederNetwork: config.seederNetwork,
        appender: { ordersCoalesceMs: config.ordersFeedCoalesceMs },
        logger: logger.child({ part: 'feeds' }),
        clock,
      }),
    );
    await feeds.ready();

    // The services' pollers stop after the HTTP server, which is opened after them: the app needs
    // the bound address for its links.
    // Reorders (issue #15): opened before the services that use them, so they close after them.
    const afterEvent = await composeAfterEvent({
      config,
      dataDir,
      sessionSecret: secrets.sessionSecret,
      clock,
      random,
      logger,
    });
    if (afterEvent) {
      this.own(afterEvent.store);
      await afterEvent.store.ready();
      if (afterEvent.lab.close) this.defer(() => afterEvent.lab.close?.());
    }
    let services: Services | null = null;
    this.defer(() => services?.close());
    // The lab rounds and the retention sweep finish before the reorder store closes (it closes after).
    this.defer(async () => {
      await services?.afterEvent?.dispatcher.close();
      await services?.afterEvent?.retention.close();
    });
    const http = this.own(
      new HttpListener({ host: config.host, port: config.port, clock, portSetting: this.#portSetting }),
    );
    this.#http = http;
    await http.ready();
    const publicUrl = config.publicUrl?.replace(/\/$/, '') ?? http.url;

    const deps: CoordinatorDeps = {
      store,
      ...(afterEvent ? { afterEvent } : {}),
      feeds,
      payments: choosePaymentGateway(
        config.paymentGateway,
        () => ({
          webhookSecret: secrets.webhookSecret,
          publicUrl,
          clock,
          random,
          deliver: async (body, headers) => {
            const res = await fetch(`${http.url}/api/payments/webhook`, { method: 'POST', body, headers });
            await res.arrayBuffer();
            return res.status;
          },
        }),
        logger,
        stripe ? () => ({ stripe: stripe.client, webhookSecret: stripe.webhookSecret, clock }) : undefined,
      ),
      tokenKeys: secrets.tokenKeys,
      storeHealth,
      kioskSales,
      ...(this.cardTerminal ? { cardTerminal: this.cardTerminal } : {}),
      clock,
      random,
      logger,
      metrics: new CoordinatorMetrics({ store, feeds }),
      settings: {
        publicUrl,
        claimTtlMs: config.claimTtlSeconds * 1000,
        redemptionWindowMs: config.redemptionWindowDays * DAY_MS,
        imageLimits: DEFAULT_IMAGE_LIMITS,
        sessionSecret: secrets.sessionSecret,
        uploadSpoolDir: await freshSpoolDir(join(dataDir, 'uploads-in-progress')),
        ownPhotos: ownPhotoSettingsFromConfig(config),
        taxRatePercent: config.taxRatePercent,
        photoOverlayRings: config.photoOverlayRings,
        ops: {
          alerts: { offlineAlertMs: config.offlineAlertSeconds * 1000, lagAlertMs: config.lagAlertSeconds * 1000 },
          streamPollMs: OPS_STREAM_POLL_MS,
        },
      },
    };
    services = createServices(deps);
    // The lab outbox and retention run in the background once the app can serve their links.
    await services.afterEvent?.dispatcher.ready();
    await services.afterEvent?.retention.ready();
    services.ownPhotoSweeper.start();
    http.handle(createApp(deps, services).callback());
    logger.info(
      {
        url: http.url,
        publicUrl,
        store: config.mongodbUri ? 'mongodb' : 'sqlite',
        payments: deps.payments.name,
        dht: this.dhtBootstrap,
        instanceId,
      },
      'coordinator ready',
    );
  }

  /** Media of uploads cut short by a crash; skipped while another instance shares the store. */
  async #removeOrphanMedia(store: Store, selfNodeId: string): Promise<void> {
    const others = (await store.listCoordinatorNodes(this.#clock.now() - COORDINATOR_NODE_TTL_MS)).filter(
      (node) => node.id !== selfNodeId,
    );
    if (others.length > 0) {
      this.logger.info({ others: others.length }, 'another coordinator shares the store: orphaned media kept for now');
      return;
    }
    const removed = await removeOrphanMedia(store);
    if (removed.length > 0) this.logger.warn({ removed }, 'removed media of uploads cut short by a crash');
  }
}

/** Uploads cut short by a crash leave partial files: nothing in the spool survives a restart. */
async function freshSpoolDir(dir: string): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  return dir;
}
