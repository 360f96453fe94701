import { ConfigError } from '../config/config-error.ts';
import { growHeapForReplication, heapGrowingPercentFrom } from './heap-growth.ts';
import { REPLICATION_THREADPOOL_SIZE, THREADPOOL_ENV, threadpoolSize } from './threadpool.ts';

/** Exit codes of every daemon: 2 tells a supervisor that restarting will not help until the config is fixed. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_CONFIG = 2;

export interface Daemon {
  ready(): Promise<void>;
  close(): Promise<void>;
}

export interface DaemonLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  fatal(obj: object, msg: string): void;
}

/** The parts of `process` a daemon touches (a test passes a fake). */
export interface DaemonProcess {
  on(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  exit(code: number): void;
  readonly stderr: { write(text: string): unknown };
  /** Read for VPM_HEAP_GROWING_PERCENT (heap-growth.ts) and UV_THREADPOOL_SIZE (threadpool.ts); a fake may leave it out. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface RunDaemonOptions<D extends Daemon> {
  /** How logs name it: "edge node failed to start". */
  name: string;
  /** Reads the configuration and builds the daemon; a ConfigError is printed and exits with EXIT_CONFIG. */
  create(): { daemon: D; logger: DaemonLogger };
  /** Runs once the daemon is ready (a banner, a stdin reader). */
  started?(daemon: D): void | Promise<void>;
  process?: DaemonProcess;
}

/**
 * The life of a daemon process, shared by both main.ts files: V8's heap factor for replication
 * (heap-growth.ts), then build it from its configuration (and warn if libuv's thread pool is
 * smaller than replication wants, threadpool.ts),
 * ready() it, close() it on SIGINT or SIGTERM (once), and exit 0 after a clean close, 1 after a
 * failed start or close, 2 for a bad configuration. Resolves once the daemon is ready (or the
 * process has been told to exit).
 */
export async function runDaemon<D extends Daemon>(opts: RunDaemonOptions<D>): Promise<void> {
  const proc = opts.process ?? process;
  let built: { daemon: D; logger: DaemonLogger };
  try {
    // Both daemons replicate feeds; set first, so a bad value stops the start like any bad setting.
    growHeapForReplication(heapGrowingPercentFrom(proc.env ?? {}));
    built = opts.create();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    proc.stderr.write(`${err.message}\n`);
    proc.exit(EXIT_CONFIG);
    return;
  }
  const { daemon, logger } = built;
  const threads = threadpoolSize(proc.env ?? {});
  if (threads < REPLICATION_THREADPOOL_SIZE)
    logger.warn(
      { threads, wanted: REPLICATION_THREADPOOL_SIZE },
      `libuv's thread pool is small for replication: start the process with ${THREADPOOL_ENV}=${REPLICATION_THREADPOOL_SIZE} (npm run edge and npm start do)`,
    );
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
      await daemon.close();
      proc.exit(EXIT_OK);
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      proc.exit(EXIT_FAILURE);
    }
  };
  proc.on('SIGINT', () => void stop('SIGINT'));
  proc.on('SIGTERM', () => void stop('SIGTERM'));
  try {
    await daemon.ready();
  } catch (err) {
    if (stopping) return; // a signal during the start: stop() closes and exits
    stopping = true;
    logger.fatal({ err }, `${opts.name} failed to start`);
    await daemon.close().catch(() => {});
    proc.exit(EXIT_FAILURE);
    return;
  }
  if (!stopping) await opts.started?.(daemon);
}
