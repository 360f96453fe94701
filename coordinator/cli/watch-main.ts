import { statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { z } from 'zod';
import { ConfigError } from '../../shared/config/config-error.ts';
import { DEFAULT_STABLE_MS, HotFolderUploader, httpUploader } from './watch.ts';

/**
 * `npm run watch-folder`: uploads every finished photo the tethering software drops into a folder
 * to one event on the coordinator. Exit codes: 0 after Ctrl-C/SIGTERM, 2 on bad configuration,
 * 1 on any other startup failure.
 */

export const USAGE = `Usage: npm run watch-folder -- --folder DIR --event EVENT_ID --coordinator URL --token TOKEN
                            [--journal PATH] [--stable-ms MS]

  --folder       the folder the camera/tethering software writes JPEG/PNG files into
  --event        the event id the photos belong to
  --coordinator  coordinator base URL, e.g. https://photos.example.com (or env VPM_COORDINATOR_URL)
  --token        photographer upload token (or env VPM_UPLOAD_TOKEN; preferred: other users
                 of this computer can read command lines)
  --journal      where to remember uploaded files (default: .vpm-upload-journal-<event>.jsonl in the folder)
  --stable-ms    how long a file must stay unchanged before it is uploaded (default ${DEFAULT_STABLE_MS})`;

export interface WatchConfig {
  folder: string;
  eventId: string;
  coordinatorUrl: string;
  token: string;
  journalPath: string;
  stableMs: number;
}

/** Upload tokens are long random strings; anything this short is a paste mistake. */
const MIN_TOKEN_CHARS = 16;
const MIN_STABLE_MS = 100;
const MAX_STABLE_MS = 10 * 60 * 1000;

const configSchema = z.object({
  folder: z.string({ error: 'is required' }).trim().min(1, 'is required'),
  event: z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'is required')
    .max(200, 'is too long')
    .regex(/^[^/\\?#\s]+$/, 'must not contain slashes, spaces, ? or #'),
  coordinator: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  token: z
    .string({ error: 'is required (or set VPM_UPLOAD_TOKEN)' })
    .trim()
    .min(MIN_TOKEN_CHARS, `looks truncated (expected at least ${MIN_TOKEN_CHARS} characters)`),
  journal: z.string().trim().min(1).optional(),
  'stable-ms': z.coerce
    .number({ error: 'must be a number of milliseconds' })
    .int('must be a whole number of milliseconds')
    .min(MIN_STABLE_MS, `must be at least ${MIN_STABLE_MS}`)
    .max(MAX_STABLE_MS, `must be at most ${MAX_STABLE_MS}`)
    .optional(),
});

/** Flags win over environment variables. Throws ConfigError with a message meant for the user. */
export function parseWatchConfig(argv: string[], env: NodeJS.ProcessEnv): WatchConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        folder: { type: 'string' },
        event: { type: 'string' },
        coordinator: { type: 'string' },
        token: { type: 'string' },
        journal: { type: 'string' },
        'stable-ms': { type: 'string' },
      },
    }));
  } catch (err) {
    throw new ConfigError(err instanceof Error ? err.message : String(err));
  }

  const parsed = configSchema.safeParse({
    ...values,
    coordinator: values.coordinator ?? env.VPM_COORDINATOR_URL,
    token: values.token ?? env.VPM_UPLOAD_TOKEN,
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  --${issue.path.join('.')} ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const c = parsed.data;
  const folder = path.resolve(c.folder);
  const safeEvent = c.event.replace(/[^A-Za-z0-9_-]/g, '_');
  return {
    folder,
    eventId: c.event,
    coordinatorUrl: c.coordinator,
    token: c.token,
    // Per event, so reusing a folder for the next event does not skip its photos; a dotfile, so
    // the watcher never mistakes it for a photo.
    journalPath: path.resolve(c.journal ?? path.join(folder, `.vpm-upload-journal-${safeEvent}.jsonl`)),
    stableMs: c['stable-ms'] ?? DEFAULT_STABLE_MS,
  };
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  let config: WatchConfig;
  try {
    config = parseWatchConfig(argv, env);
    if (!isDirectory(config.folder)) throw new ConfigError(`The folder ${config.folder} does not exist.`);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n\n${USAGE}\n`);
    process.exit(2);
  }

  const logger = pino({ name: 'vpm-watch-folder' });
  const uploader = new HotFolderUploader({
    folder: config.folder,
    journalPath: config.journalPath,
    stableMs: config.stableMs,
    upload: httpUploader({ coordinatorUrl: config.coordinatorUrl, eventId: config.eventId, token: config.token }),
    logger,
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting without waiting for the current upload');
      process.exit(130);
    }
    stopping = true;
    logger.info({ signal }, 'stopping after the current upload');
    uploader.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  try {
    await uploader.ready();
  } catch (err) {
    // A signal during start-up closes the uploader, which refuses the start: stop() exits then.
    if (stopping) return;
    logger.error({ err }, 'cannot start watching');
    process.exit(1);
  }
  logger.info(
    { folder: config.folder, event: config.eventId, coordinator: config.coordinatorUrl },
    'uploading new photos; press Ctrl-C to stop',
  );
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  main(process.argv.slice(2), process.env).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
