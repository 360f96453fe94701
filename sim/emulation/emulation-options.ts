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
}

export function validateEmulationOptions(opts: RunEmulationOptions, strategy: StrategyName): void {
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
