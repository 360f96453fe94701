/**
 * The real system on loopback for an emulation run, started with the venue kit (tools/venue-kit):
 * a DHT bootstrap, an in-process coordinator (embedded SQLite store), one venue with one event on
 * sale, a photographer credential, and N paired edge-node processes with file printers whose
 * settings the strategy decides. The kit's close() stops everything it started.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ReplicationMode } from '../../edge-node/config.ts';
import type { SyncSchedule } from '../../shared/policy/schedule.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { type PrinterSpec, VenueKit, type VenueNetwork } from '../../tools/venue-kit/venue-kit.ts';

export type { EdgeProcess, EdgeStatus } from '../../tools/venue-kit/edge-process.ts';
export type { VenueNetwork } from '../../tools/venue-kit/venue-kit.ts';

/** An edge node starting on a busy 2-core machine (tsx compile, DHT join) may take this long. */
const EDGE_READY_TIMEOUT_MS = 90_000;
/** Log lines kept per edge process, for the error message when one fails to start. */
const KEPT_LOG_LINES = 200;
/** The event's sale window around the run; the run itself is much shorter. */
const EVENT_WINDOW_MS = 24 * 3_600_000;
/** The sale opened a minute before the run, so the first purchase is inside it. */
const EVENT_OPENED_MS = 60_000;
/** Requests to the coordinator and the nodes; a redemption that takes longer counts as failed. */
const EMULATION_HTTP_TIMEOUT_MS = 60_000;

/** Per-node settings the strategy decides (emulated-strategies.ts maps the scenario's knobs to them). */
export interface EdgeNodeSettings {
  replication: ReplicationMode;
  /** The node's sync schedule (emulated-strategies.ts); no windows: sync at any time. */
  schedule: Pick<SyncSchedule, 'intervalMs'> & Partial<SyncSchedule>;
  backgroundBytesPerSec?: number;
  reportIntervalMs: number;
}

/** The emulation's venue; `ready()` starts it, without printers. */
export function emulatedVenue(
  dir: string,
  opts: { network?: VenueNetwork; clock?: Clock; cloudPriority: number; photoOverlayRings?: number },
): VenueKit {
  return new VenueKit({
    dir,
    network: opts.network,
    clock: opts.clock,
    httpTimeoutMs: EMULATION_HTTP_TIMEOUT_MS,
    coordinator: {
      kind: 'process',
      priority: opts.cloudPriority,
      ...(opts.photoOverlayRings === undefined
        ? {}
        : { env: { VPM_PHOTO_OVERLAY_RINGS: String(opts.photoOverlayRings) } }),
    },
    seed: {
      venueName: 'Emulated venue',
      eventName: 'Emulated event',
      photographerName: 'Emulated photographer',
      opensInMs: -EVENT_OPENED_MS,
      windowMs: EVENT_OPENED_MS + EVENT_WINDOW_MS,
    },
  });
}

/** What the edge nodes of a run leave behind for diagnosing it. */
export interface EmulationDiagnostics {
  /** Keep each edge node's log in `<logDir>/<printer>.log`. */
  logDir?: string;
  /** The edge nodes' log level (default 'info'; 'debug' adds a line per sync cycle). */
  logLevel?: 'info' | 'debug';
  /** Run each edge node under `node --cpu-prof`, writing its profiles into `<cpuProfDir>/<printer>/` as it stops. */
  cpuProfDir?: string;
}

/** Printers P0..P(count-1) with the strategy's settings, logged and profiled as `diagnostics` says. */
export function emulatedPrinters(
  count: number,
  settings: EdgeNodeSettings,
  diagnostics: EmulationDiagnostics = {},
): PrinterSpec[] {
  const { logDir, logLevel = 'info', cpuProfDir } = diagnostics;
  return Array.from({ length: count }, (_, i) => {
    const name = `P${i}`;
    return {
      name,
      config: {
        // At least 'info': readiness is read from the "edge node ready" log line.
        logLevel,
        replication: settings.replication,
        schedule: settings.schedule,
        reportIntervalMs: settings.reportIntervalMs,
        ...(settings.backgroundBytesPerSec === undefined
          ? {}
          : { backgroundBytesPerSec: settings.backgroundBytesPerSec }),
      },
      process: {
        readyTimeoutMs: EDGE_READY_TIMEOUT_MS,
        redeemTimeoutMs: EMULATION_HTTP_TIMEOUT_MS,
        statusTimeoutMs: EMULATION_HTTP_TIMEOUT_MS,
        keepLogLines: KEPT_LOG_LINES,
        ...(logDir ? { logFile: join(logDir, `${name}.log`) } : {}),
        // Written when the node stops (its close on SIGTERM ends in a normal exit): one file per
        // thread (tsx's loader runs in a worker), the main thread's the largest.
        ...(cpuProfDir ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${join(cpuProfDir, name)}`] } : {}),
      },
    };
  });
}

/**
 * If this process exits without the run's cleanup (a signal, an uncaught error), the run's
 * directory goes with it (the kit already kills its child processes then). Returns the undo.
 */
export function removeDirOnExit(dir: string): () => void {
  const remove = () => rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  process.once('exit', remove);
  return () => process.off('exit', remove);
}
