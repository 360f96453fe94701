/** What an emulation run can be asked to do, and the limits checked before it starts anything. */
import { AppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { StrategyName } from '../results-schema.ts';
import { EMULATED_STRATEGIES } from './emulated-strategies.ts';
import type { EmulationDiagnostics, VenueNetwork } from './emulated-venue.ts';
import type { EmulationRunStats } from './run-stats.ts';

/** More compression than this turns a LAN fetch of tens of ms into minutes of "simulated" wait. */
export const MAX_TIME_COMPRESSION = 1000;
/** Edge processes one emulation starts at most; N ≥ 20 is the target on a 2-core machine. */
export const MAX_EMULATED_PRINTERS = 64;

export interface RunEmulationOptions extends EmulationDiagnostics {
  /** Simulated seconds per wall second (1 = real time). */
  timeCompression: number;
  /** Start at most this many edge processes (the scenario's printer groups are trimmed to it). */
  maxPrinters?: number;
  /** Seed of the workload; the scenario's seed when absent. */
  seed?: number;
  /** Fraction of the simulated timeline done, 0..1. */
  onProgress?: (fraction: number) => void;
  /** Parent of the run's temporary directory (default: the OS temp dir); the run removes its own dir. */
  workDir?: string;
  /** Things worth knowing about the run that are not results (a node not answering, timings). */
  onDiagnostic?: (message: string) => void;
  /**
   * How well the run kept to its timeline: the latest an upload batch finished after its due time
   * (simulated seconds; large values mean the machine could not keep up at this compression), and
   * the printers' processing time per redemption (wall seconds; fan-wait.ts).
   */
  onRunStats?: (stats: EmulationRunStats) => void;
  /**
   * Shape the venue's WAN with `tc tbf` at `wan.bandwidthMbps × timeCompression` in network
   * namespaces (root and iproute2; netns.ts). Default: no shaping, everything on loopback.
   */
  linkShaping?: boolean;
  /** Where the parts listen; set by the shaped run for its child (shaped-child.ts). */
  network?: VenueNetwork;
  /** The run's wall clock (its timeline, waits and latencies); the system clock by default. */
  clock?: Clock;
  /**
   * The coordinator process's scheduling priority (nice, -20..19; default DEFAULT_CLOUD_PRIORITY).
   * A venue's cloud has CPUs of its own; on one shared host the emulation can only rank it.
   */
  cloudPriority?: number;
}

/**
 * The coordinator yields to the printers: in a venue the cloud's ingest (about 0.5 CPU s per photo)
 * runs on CPUs of its own, not the printers'. Measured the other way round (13th session,
 * validation-8-short at nice -5): the seeder served shares no faster (a 1 MiB share still took
 * ~0.8 s: the shaped WAN's transport, not the seeder's CPU), while the uploads outran what the
 * printers could replicate on the cores left to them, and batches took 10.3 s after their last
 * photo against the model's 4.0.
 */
export const DEFAULT_CLOUD_PRIORITY = 10;

const NICE_MIN = -20;
const NICE_MAX = 19;

export function validateEmulationOptions(opts: RunEmulationOptions, strategy: StrategyName): void {
  const nice = opts.cloudPriority;
  if (nice !== undefined && (!Number.isInteger(nice) || nice < NICE_MIN || nice > NICE_MAX)) {
    throw new AppError(
      'invalid_input',
      `cloudPriority is a nice value, a whole number from ${NICE_MIN} to ${NICE_MAX}; got ${nice}.`,
    );
  }
  if (nice !== undefined && nice < 0 && process.getuid?.() !== 0) {
    throw new AppError(
      'invalid_input',
      `Only root may run the coordinator at a negative nice value (${nice}); use 0 or more.`,
    );
  }
  const f = opts.timeCompression;
  if (!Number.isFinite(f) || f <= 0 || f > MAX_TIME_COMPRESSION) {
    throw new AppError(
      'invalid_time_compression',
      `timeCompression must be > 0 and at most ${MAX_TIME_COMPRESSION}, got ${f}.`,
    );
  }
  const max = opts.maxPrinters;
  if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > MAX_EMULATED_PRINTERS)) {
    throw new AppError(
      'invalid_max_printers',
      `maxPrinters must be a whole number from 1 to ${MAX_EMULATED_PRINTERS}, got ${max}.`,
    );
  }
  if (!EMULATED_STRATEGIES.has(strategy)) {
    throw new AppError(
      'strategy_not_emulated',
      `Emulation mode runs ${[...EMULATED_STRATEGIES.keys()].join(', ')}; "${strategy}" is not one of them.`,
    );
  }
}
