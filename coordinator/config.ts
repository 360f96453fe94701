import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError } from '../shared/config/config-error.ts';
import { describeIssues, hostPortListSchema, overlaySettings } from '../shared/config/layered-config.ts';
import { MIN_SESSION_SECRET_CHARS } from './http/session-cookie.ts';
import { LAG_ALERT_MS, OFFLINE_ALERT_MS } from './services/liveness.ts';

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
  paymentGateway: z.enum(['none', 'test']).default('none'),
  paymentWebhookSecret: z.string().min(16, 'at least 16 characters').optional(),
  /**
   * The stations' card readers (issue #13). None by default; `test` is a simulated terminal whose
   * readers a person "taps" at /terminal/test: for the demo and tests only.
   */
  cardTerminal: z.enum(['none', 'test']).default('none'),
  /** Tax included in the prices, for the kiosk receipt's tax line (e.g. 19 for 19 % VAT). */
  taxRatePercent: z.coerce.number().min(0).max(100).default(0),
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
  claimTtlSeconds: z.coerce.number().int().min(5).max(86_400).default(120),
  redemptionWindowDays: z.coerce.number().int().min(1).max(365).default(30),
  instanceId: z.string().min(1).max(64).optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
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
  cardTerminal: 'VPM_CARD_TERMINAL',
  taxRatePercent: 'VPM_TAX_RATE_PERCENT',
  sessionSecret: 'VPM_SESSION_SECRET',
  offlineAlertSeconds: 'VPM_OFFLINE_ALERT_SECONDS',
  lagAlertSeconds: 'VPM_LAG_ALERT_SECONDS',
  tokenKeysFile: 'VPM_TOKEN_KEYS_FILE',
  dhtBootstrap: 'VPM_DHT_BOOTSTRAP',
  dhtHost: 'VPM_DHT_HOST',
  dhtPort: 'VPM_DHT_PORT',
  claimTtlSeconds: 'VPM_CLAIM_TTL_SECONDS',
  redemptionWindowDays: 'VPM_REDEMPTION_WINDOW_DAYS',
  instanceId: 'VPM_INSTANCE_ID',
  logLevel: 'VPM_LOG_LEVEL',
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
  return parsed.data;
}
