import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError } from '../shared/config/config-error.ts';
import { describeIssues, hostPortListSchema, overlaySettings } from '../shared/config/layered-config.ts';
import { MAX_PHOTO_OVERLAY_RINGS, PHOTO_OVERLAY_RINGS } from '../shared/policy/photo-overlay.ts';
import { DEFAULT_SOURCE_CONFIG } from '../shared/policy/source-choice.ts';
import { dhtPortSchema, offlineConfigSchema } from './offline/offline-config.ts';
import { stationConfigShape } from './printing/station-config.ts';
import { routingConfigSchema } from './routing/routing-config.ts';

/**
 * Edge node configuration: a JSON file (--config or VPM_EDGE_CONFIG), then environment variables,
 * then flags, each overriding the one before. Validated once at start; a bad value names the setting.
 */
const bootstrapList = z.union([
  hostPortListSchema,
  z.array(z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65_535) })).min(1),
]);

const printerSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('file'),
    dir: z.string().min(1),
    widthDots: z.number().int().min(64).max(2048).optional(),
    /** Seconds per photo, to stand in for a real photo printer's speed (demos, routing tests). */
    secondsPerPrint: z.number().min(0).max(600).optional(),
  }),
  z.object({
    kind: z.literal('tcp'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65_535).optional(),
    widthDots: z.number().int().min(64).max(2048).optional(),
  }),
  z.object({
    kind: z.literal('usb'),
    devicePath: z.string().min(1),
    widthDots: z.number().int().min(64).max(2048).optional(),
  }),
]);

const windowSchema = z.object({
  start: z.string().regex(/^\d{2}:\d{2}$/),
  end: z.string().regex(/^\d{2}:\d{2}$/),
  days: z.array(z.number().int().min(0).max(6)).optional(),
});

export const REPLICATION_MODES = ['mesh', 'star-periodic', 'on-demand'] as const;
export type ReplicationMode = (typeof REPLICATION_MODES)[number];

export const edgeConfigSchema = z.object({
  coordinatorUrl: z.url(),
  name: z.string().min(1).max(100).default('printer'),
  dataDir: z.string().min(1).default('./data/edge-node'),
  dhtBootstrap: bootstrapList,
  dhtHost: z.string().min(1).default('127.0.0.1'),
  dhtPort: dhtPortSchema,
  /** DHT nodes on the venue LAN besides the cloud's and the other printers' (optional). */
  venueBootstrap: bootstrapList.optional(),
  offline: offlineConfigSchema,
  printer: printerSchema.optional(),
  /** A photo station: IPP photo printers (issue #12) and an optional receipt printer. */
  ...stationConfigShape,
  /** Fan routing (issue #16): where this station stands, a thermal print's time. */
  routing: routingConfigSchema,
  schedule: z
    .object({
      intervalMs: z.number().int().min(1000).default(30_000),
      windows: z.array(windowSchema).default([]),
      utcOffsetMinutes: z.number().int().min(-840).max(840).default(0),
    })
    .default({ intervalMs: 30_000, windows: [], utcOffsetMinutes: 0 }),
  /**
   * How photos reach this printer. `mesh` (the product): background sync, each photo pulled from the
   * cloud about once per venue and shared printer to printer. The other two exist so the simulator
   * can run the baselines on the real system: `star-periodic` (the seed patent) pulls everything
   * missing from the cloud every `schedule.intervalMs`, on the wall clock's multiples of it so all
   * printers pull together, and never talks to LAN peers; `on-demand` has no background sync and no
   * LAN peers: a fan's photo comes from the cloud at redemption. Both still print what they hold.
   */
  replication: z.enum(REPLICATION_MODES).default('mesh'),
  /** Background sync cap (bytes/s); on-demand fetches at redemption are never capped. */
  backgroundBytesPerSec: z.number().positive().default(Number.POSITIVE_INFINITY),
  /** At redemption, how long a photo may make no progress from LAN peers before the cloud is asked too. */
  onDemandLanDeadlineMs: z.number().int().min(0).max(600_000).default(DEFAULT_SOURCE_CONFIG.onDemandLanDeadlineMs),
  /**
   * At a venue of more than 2 × this + 1 printers, each printer replicates an event's photos with its
   * two neighbours on this many rings only, not with every printer (shared/policy/photo-overlay.ts).
   * Used only until the coordinator states the venue's (profile `venue.photoOverlayRings`): every
   * printer of a venue must use the same, as a link only one end counts is refused by the other.
   */
  photoOverlayRings: z.number().int().min(1).max(MAX_PHOTO_OVERLAY_RINGS).default(PHOTO_OVERLAY_RINGS),
  statusHost: z.string().min(1).default('127.0.0.1'),
  statusPort: z.coerce.number().int().min(0).max(65_535).default(8090),
  /**
   * Host names the local API (kiosk, status) answers to besides localhost and statusHost, e.g. the
   * name a LAN monitor uses. Any other Host is refused (DNS rebinding).
   */
  localHostNames: z
    .union([
      z.string().transform((s) =>
        s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      ),
      z.array(z.string()),
    ])
    .pipe(z.array(z.string().min(1).max(253)))
    .default([]),
  reportIntervalMs: z.coerce.number().int().min(1000).default(10_000),
  /** The station's card reader at the payment provider (issue #13); absent: the kiosk offers phone payment only. */
  cardReaderId: z.string().min(1).max(100).optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type EdgeConfig = z.infer<typeof edgeConfigSchema>;
export type PrinterConfig = z.infer<typeof printerSchema>;

const ENV: Partial<Record<keyof EdgeConfig, string>> = {
  coordinatorUrl: 'VPM_COORDINATOR_URL',
  name: 'VPM_PRINTER_NAME',
  dataDir: 'VPM_EDGE_DATA_DIR',
  dhtBootstrap: 'VPM_DHT_BOOTSTRAP',
  dhtHost: 'VPM_DHT_HOST',
  dhtPort: 'VPM_DHT_PORT',
  statusHost: 'VPM_STATUS_HOST',
  statusPort: 'VPM_STATUS_PORT',
  localHostNames: 'VPM_LOCAL_HOST_NAMES',
  cardReaderId: 'VPM_CARD_READER_ID',
  logLevel: 'VPM_LOG_LEVEL',
};

const FLAGS: Partial<Record<keyof EdgeConfig, string>> = {
  coordinatorUrl: 'coordinator',
  name: 'name',
  dataDir: 'data-dir',
  dhtBootstrap: 'dht-bootstrap',
  dhtHost: 'dht-host',
  dhtPort: 'dht-port',
  statusHost: 'status-host',
  statusPort: 'status-port',
  logLevel: 'log-level',
};

export function loadEdgeConfig(env: NodeJS.ProcessEnv, argv: string[]): EdgeConfig {
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        ...Object.fromEntries(Object.values(FLAGS).map((f) => [f, { type: 'string' as const }])),
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new ConfigError(
      `${(err as Error).message}. Flags: --config ${Object.values(FLAGS)
        .map((f) => `--${f}`)
        .join(' ')}`,
    );
  }
  const file = (flags.config as string | undefined) ?? env.VPM_EDGE_CONFIG;
  let raw: Record<string, unknown> = {};
  if (file) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`Cannot read the config file ${file}: ${(err as Error).message}`);
    }
  }
  const parsed = edgeConfigSchema.safeParse(overlaySettings(raw, env, ENV, flags, FLAGS));
  if (!parsed.success) {
    throw new ConfigError(`Invalid edge node configuration:\n${describeIssues(parsed.error.issues, ENV, FLAGS)}`);
  }
  return parsed.data;
}
