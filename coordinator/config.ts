import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError } from '../shared/config/config-error.ts';
import { describeIssues, hostPortListSchema, overlaySettings } from '../shared/config/layered-config.ts';
import { MAX_PHOTO_OVERLAY_RINGS, PHOTO_OVERLAY_RINGS } from '../shared/policy/photo-overlay.ts';
import { MAX_ORDERS_FEED_COALESCE_MS, ORDERS_APPEND_COALESCE_MS } from './feed/orders-feed-appender.ts';
import { MIN_SESSION_SECRET_CHARS } from './http/session-cookie.ts';
import { LAG_ALERT_MS, OFFLINE_ALERT_MS } from './services/liveness.ts';
import { DEFAULT_OWN_PHOTO_RETENTION_HOURS } from './services/own-photo-settings.ts';

/**
 * Coordinator configuration: environment variables, overridden by command-line flags, validated
 * once at start. A bad value stops the process with a message naming the setting.
 */
const port = z.coerce.number().int().min(0).max(65_535);

export const configSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: port.default(8080),
  publicUrl: z.url().optional(),
  dataDir: z.string().min(1).default('./data/coordinator'),
  mongodbUri: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'a mongodb:// or mongodb+srv:// URI')
    .optional(),
  sqlitePath: z.string().min(1).optional(),
  operatorToken: z.string().min(16, 'at least 16 characters').optional(),
  /**
   * Which payment provider takes the fans' money. None by default: the test gateway marks any order
   * paid on its own page, so it runs only where someone asked for it (the demo, tests).
   */
  paymentGateway: z.enum(['none', 'test', 'stripe']).default('none'),
  paymentWebhookSecret: z.string().min(16, 'at least 16 characters').optional(),
  /** Stripe's secrets live in files (mode 600), never in the environment, where child processes and crash dumps see them. */
  stripeSecretKeyFile: z.string().min(1).optional(),
  stripeWebhookSecretFile: z.string().min(1).optional(),
  /** Tests and the fixture server only: production talks to the SDK's default, api.stripe.com. */
  stripeApiUrl: z.url().optional(),
  /**
   * The stations' card readers (issue #13). None by default; `test` is a simulated terminal whose
   * readers a person "taps" at /terminal/test: for the demo and tests only.
   */
  cardTerminal: z.enum(['none', 'test']).default('none'),
  /** Tax included in the prices, for the kiosk receipt's tax line (e.g. 19 for 19 % VAT). */
  taxRatePercent: z.coerce.number().min(0).max(100).default(0),
  /**
   * The photo overlay's rings, stated to every printer in its profile (shared/policy/photo-overlay.ts):
   * past 2 × this + 1 printers, each replicates an event's photos with at most 2 × this peers.
   */
  photoOverlayRings: z.coerce.number().int().min(1).max(MAX_PHOTO_OVERLAY_RINGS).default(PHOTO_OVERLAY_RINGS),
  sessionSecret: z.string().min(MIN_SESSION_SECRET_CHARS, `at least ${MIN_SESSION_SECRET_CHARS} characters`).optional(),
  offlineAlertSeconds: z.coerce
    .number()
    .int()
    .min(30)
    .max(86_400)
    .default(OFFLINE_ALERT_MS / 1000),
  lagAlertSeconds: z.coerce
    .number()
    .int()
    .min(10)
    .max(86_400)
    .default(LAG_ALERT_MS / 1000),
  tokenKeysFile: z.string().min(1).optional(),
  dhtBootstrap: hostPortListSchema.optional(),
  dhtHost: z.string().min(1).default('127.0.0.1'),
  dhtPort: port.default(49_737),
  /**
   * Whether printers can send UDP to the seeder's address directly ('reachable': a cloud server, or
   * one machine) or only through hole punching ('behind-nat'). A small private DHT cannot find this out
   * for itself, and a seeder that believes it is behind a NAT makes printers that also believe so
   * hole-punch to it, which fails between two addresses with no NAT in between.
   */
  seederNetwork: z.enum(['reachable', 'behind-nat']).default('reachable'),
  claimTtlSeconds: z.coerce.number().int().min(5).max(86_400).default(120),
  /**
   * How long the orders-feed writer gathers changes after a write before the next one: longer cuts
   * the Hypercore messages every printer handles per append, shorter lets printers hear of a paid
   * order sooner (they also learn of it when its fan presents the code, while the cloud is up).
   */
  ordersFeedCoalesceMs: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_ORDERS_FEED_COALESCE_MS)
    .default(ORDERS_APPEND_COALESCE_MS),
  redemptionWindowDays: z.coerce.number().int().min(1).max(365).default(30),
  instanceId: z.string().min(1).max(64).optional(),
  /**
   * After the event (issue #15): which lab prints and ships reorders. 'none' turns reorders off (the
   * shop stops with the event); 'test' is the demo lab; 'hot-folder' writes packages to labHotFolder.
   */
  lab: z.enum(['none', 'test', 'hot-folder']).default('none'),
  labHotFolder: z.string().min(1).optional(),
  reorderWindowDays: z.coerce.number().int().min(0).max(365).default(60),
  downloadWindowDays: z.coerce.number().int().min(1).max(365).default(30),
  downloadMaxUses: z.coerce.number().int().min(1).max(100).default(5),
  unsoldRetentionDays: z.coerce.number().int().min(0).max(3650).default(30),
  addressRetentionDays: z.coerce.number().int().min(0).max(3650).default(90),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** "Print your own photos" (issue #13 item 3): on unless set to "off". */
  ownPhotos: z.enum(['on', 'off']).default('on'),
  /** Unpaid own-photo jobs and their photos are deleted this many hours after upload. */
  ownPhotoRetentionHours: z.coerce.number().int().min(1).max(720).default(DEFAULT_OWN_PHOTO_RETENTION_HOURS),
  /** A price per own-photo print in minor units; unset: the price list of the event at the venue. */
  ownPhotoPriceCents: z.coerce.number().int().min(0).max(1_000_000).optional(),
  ownPhotoCurrency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR')
    .default('EUR'),
});

export type CoordinatorConfig = z.infer<typeof configSchema>;

const ENV: Record<keyof CoordinatorConfig, string> = {
  host: 'VPM_HOST',
  port: 'VPM_PORT',
  publicUrl: 'VPM_PUBLIC_URL',
  dataDir: 'VPM_DATA_DIR',
  mongodbUri: 'MONGODB_URI',
  sqlitePath: 'VPM_SQLITE_PATH',
  operatorToken: 'VPM_OPERATOR_TOKEN',
  paymentGateway: 'VPM_PAYMENT_GATEWAY',
  paymentWebhookSecret: 'VPM_PAYMENT_WEBHOOK_SECRET',
  stripeSecretKeyFile: 'VPM_STRIPE_SECRET_KEY_FILE',
  stripeWebhookSecretFile: 'VPM_STRIPE_WEBHOOK_SECRET_FILE',
  stripeApiUrl: 'VPM_STRIPE_API_URL',
  cardTerminal: 'VPM_CARD_TERMINAL',
  taxRatePercent: 'VPM_TAX_RATE_PERCENT',
  photoOverlayRings: 'VPM_PHOTO_OVERLAY_RINGS',
  sessionSecret: 'VPM_SESSION_SECRET',
  offlineAlertSeconds: 'VPM_OFFLINE_ALERT_SECONDS',
  lagAlertSeconds: 'VPM_LAG_ALERT_SECONDS',
  tokenKeysFile: 'VPM_TOKEN_KEYS_FILE',
  dhtBootstrap: 'VPM_DHT_BOOTSTRAP',
  dhtHost: 'VPM_DHT_HOST',
  dhtPort: 'VPM_DHT_PORT',
  seederNetwork: 'VPM_SEEDER_NETWORK',
  claimTtlSeconds: 'VPM_CLAIM_TTL_SECONDS',
  ordersFeedCoalesceMs: 'VPM_ORDERS_FEED_COALESCE_MS',
  redemptionWindowDays: 'VPM_REDEMPTION_WINDOW_DAYS',
  instanceId: 'VPM_INSTANCE_ID',
  lab: 'VPM_LAB',
  labHotFolder: 'VPM_LAB_HOT_FOLDER',
  reorderWindowDays: 'VPM_REORDER_WINDOW_DAYS',
  downloadWindowDays: 'VPM_DOWNLOAD_WINDOW_DAYS',
  downloadMaxUses: 'VPM_DOWNLOAD_MAX_USES',
  unsoldRetentionDays: 'VPM_UNSOLD_RETENTION_DAYS',
  addressRetentionDays: 'VPM_ADDRESS_RETENTION_DAYS',
  logLevel: 'VPM_LOG_LEVEL',
  ownPhotos: 'VPM_OWN_PHOTOS',
  ownPhotoRetentionHours: 'VPM_OWN_PHOTO_RETENTION_HOURS',
  ownPhotoPriceCents: 'VPM_OWN_PHOTO_PRICE_CENTS',
  ownPhotoCurrency: 'VPM_OWN_PHOTO_CURRENCY',
};

const FLAGS = {
  host: 'host',
  port: 'port',
  publicUrl: 'public-url',
  dataDir: 'data-dir',
  mongodbUri: 'mongodb-uri',
  sqlitePath: 'sqlite-path',
  paymentGateway: 'payment-gateway',
  cardTerminal: 'card-terminal',
  dhtBootstrap: 'dht-bootstrap',
  dhtHost: 'dht-host',
  dhtPort: 'dht-port',
  seederNetwork: 'seeder-network',
  instanceId: 'instance-id',
  logLevel: 'log-level',
} as const satisfies Partial<Record<keyof CoordinatorConfig, string>>;

export { ConfigError };

export function loadConfig(env: NodeJS.ProcessEnv, argv: string[]): CoordinatorConfig {
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({
      args: argv,
      options: Object.fromEntries(Object.values(FLAGS).map((f) => [f, { type: 'string' as const }])),
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new ConfigError(
      `${(err as Error).message}. Flags: ${Object.values(FLAGS)
        .map((f) => `--${f}`)
        .join(' ')}`,
    );
  }
  const parsed = configSchema.safeParse(overlaySettings({}, env, ENV, flags, FLAGS));
  if (!parsed.success) {
    throw new ConfigError(`Invalid coordinator configuration:\n${describeIssues(parsed.error.issues, ENV, FLAGS)}`);
  }
  if (
    parsed.data.paymentGateway === 'stripe' &&
    (!parsed.data.stripeSecretKeyFile || !parsed.data.stripeWebhookSecretFile)
  ) {
    throw new ConfigError(
      'VPM_PAYMENT_GATEWAY=stripe needs VPM_STRIPE_SECRET_KEY_FILE and VPM_STRIPE_WEBHOOK_SECRET_FILE (files with the secrets, mode 600).',
    );
  }
  return parsed.data;
}
