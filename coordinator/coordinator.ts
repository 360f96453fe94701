import { mkdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { ensurePrivateFile, PRIVATE_DIR_MODE, securePrivateData, sqliteFiles } from '../shared/fs/private-files.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { cryptoRandom, randomId } from '../shared/ports/random.ts';
import { createApp } from './app.ts';
import type { CoordinatorConfig } from './config.ts';
import type { CoordinatorDeps } from './deps.ts';
import { DhtBootstrap } from './feed/dht-bootstrap.ts';
import { COORDINATOR_NODE_TTL_MS, FeedService } from './feed/feed-service.ts';
import { hashBearerToken } from './http/auth.ts';
import { DEFAULT_IMAGE_LIMITS } from './media/image-pipeline.ts';
import { removeOrphanMedia } from './media/orphan-media.ts';
import { CoordinatorMetrics } from './metrics.ts';
import { choosePaymentGateway } from './payment/choose-gateway.ts';
import { readOrCreateKeyPair, readOrCreateSecret } from './secrets.ts';
import { MongoStore } from './store/mongo-store.ts';
import type { Store } from './store/port.ts';
import { SqliteStore } from './store/sqlite-store.ts';
import { StoreHealth, sqliteQuickCheck } from './store/store-health.ts';
import { loadOrCreateKeyRing } from './tokens/token-keys.ts';
import { OPS_STREAM_POLL_MS } from './web/ops/ops-monitor.ts';

const DAY_MS = 86_400_000;
const HTTP_CLOSE_GRACE_MS = 5_000;

/**
 * A running coordinator: store, DHT bootstrap, feeds and swarm, HTTP server. One ready()/close();
 * close() stops them in reverse order (HTTP first so no request sees a closed store).
 */
export class Coordinator {
  readonly config: CoordinatorConfig;
  readonly logger: Logger;
  #store: Store | null = null;
  #bootstrap: DhtBootstrap | null = null;
  #feeds: FeedService | null = null;
  #server: Server | null = null;
  #url = '';
  /** Set when this start generated the operator token (shown once in the log). */
  generatedOperatorToken: string | null = null;

  constructor(config: CoordinatorConfig, logger?: Logger) {
    this.config = config;
    this.logger = logger ?? pino({ level: config.logLevel, base: { service: 'coordinator' } });
  }

  get url(): string {
    return this.#url;
  }

  get dhtBootstrap(): Array<{ host: string; port: number }> {
    return this.config.dhtBootstrap ?? (this.#bootstrap ? [this.#bootstrap.address] : []);
  }

  async ready(): Promise<void> {
    const { config, logger } = this;
    const dataDir = resolve(config.dataDir);
    await mkdir(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const random = cryptoRandom;

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
    const store: Store = sqlitePath
      ? new SqliteStore({ path: sqlitePath })
      : new MongoStore({ uri: config.mongodbUri! });
    await store.ready();
    this.#store = store;

    const operatorToken =
      config.operatorToken ?? (await readOrCreateSecret(join(dataDir, 'operator-token'), random)).value;
    if (!(await store.getCredential(hashBearerToken(operatorToken)))) {
      await store.insertCredential({
        tokenHash: hashBearerToken(operatorToken),
        role: 'operator',
        name: 'operator',
        createdAt: systemClock.now(),
        revokedAt: null,
      });
      if (!config.operatorToken) this.generatedOperatorToken = operatorToken;
    }
    const webhookSecret =
      config.paymentWebhookSecret ?? (await readOrCreateSecret(join(dataDir, 'payment-webhook-secret'), random)).value;
    // 32 random bytes: base64url gives 43 characters, above the minimum the sealer demands.
    const sessionSecret =
      config.sessionSecret ?? (await readOrCreateSecret(join(dataDir, 'session-secret'), random, 32)).value;
    const tokenKeys = await loadOrCreateKeyRing(config.tokenKeysFile ?? join(dataDir, 'token-keys.json'));

    if (!config.dhtBootstrap) {
      this.#bootstrap = new DhtBootstrap({ host: config.dhtHost, port: config.dhtPort });
      await this.#bootstrap.ready();
    }
    const instanceId = config.instanceId ?? randomId(random, 6);
    const swarmKeyPair = await readOrCreateKeyPair(join(dataDir, 'swarm-key'), random);
    await this.#removeOrphanMedia(store, swarmKeyPair.publicKey.toString('hex'));
    this.#feeds = new FeedService({
      store,
      dataDir,
      instanceId,
      swarmKeyPair,
      bootstrap: this.dhtBootstrap,
      dhtHost: config.dhtHost,
      logger: logger.child({ part: 'feeds' }),
    });
    await this.#feeds.ready();

    const server = createServer();
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(config.port, config.host, () => res());
    });
    this.#server = server;
    const address = server.address() as AddressInfo;
    this.#url = `http://${address.address}:${address.port}`;
    const publicUrl = config.publicUrl?.replace(/\/$/, '') ?? this.#url;

    const deps: CoordinatorDeps = {
      store,
      feeds: this.#feeds,
      payments: choosePaymentGateway(
        config.paymentGateway,
        () => ({
          webhookSecret,
          publicUrl,
          clock: systemClock,
          random,
          deliver: async (body, headers) => {
            const res = await fetch(`${this.#url}/api/payments/webhook`, { method: 'POST', body, headers });
            await res.arrayBuffer();
            return res.status;
          },
        }),
        logger,
      ),
      tokenKeys,
      storeHealth,
      clock: systemClock,
      random,
      logger,
      metrics: new CoordinatorMetrics({ store, feeds: this.#feeds }),
      settings: {
        publicUrl,
        claimTtlMs: config.claimTtlSeconds * 1000,
        redemptionWindowMs: config.redemptionWindowDays * DAY_MS,
        imageLimits: DEFAULT_IMAGE_LIMITS,
        sessionSecret,
        uploadSpoolDir: await freshSpoolDir(join(dataDir, 'uploads-in-progress')),
        ops: {
          alerts: { offlineAlertMs: config.offlineAlertSeconds * 1000, lagAlertMs: config.lagAlertSeconds * 1000 },
          streamPollMs: OPS_STREAM_POLL_MS,
        },
      },
    };
    server.on('request', createApp(deps).callback());
    logger.info(
      {
        url: this.#url,
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
    const others = (await store.listCoordinatorNodes(systemClock.now() - COORDINATOR_NODE_TTL_MS)).filter(
      (node) => node.id !== selfNodeId,
    );
    if (others.length > 0) {
      this.logger.info({ others: others.length }, 'another coordinator shares the store: orphaned media kept for now');
      return;
    }
    const removed = await removeOrphanMedia(store);
    if (removed.length > 0) this.logger.warn({ removed }, 'removed media of uploads cut short by a crash');
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (server) {
      const closed = new Promise<void>((res) => server.close(() => res()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), HTTP_CLOSE_GRACE_MS);
      await closed;
      clearTimeout(timer);
    }
    await this.#feeds?.close();
    this.#feeds = null;
    await this.#bootstrap?.close();
    this.#bootstrap = null;
    await this.#store?.close();
    this.#store = null;
  }
}

/** Uploads cut short by a crash leave partial files: nothing in the spool survives a restart. */
async function freshSpoolDir(dir: string): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  return dir;
}
