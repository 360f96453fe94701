/**
 * An emulation run behind a shaped WAN (netns.ts): this process creates the namespaces, runs the
 * emulation in a child process inside the cloud namespace (`shaped-child.ts`: coordinator, DHT
 * bootstrap, the run's clock), which starts the edge nodes in the venue namespace, and relays its
 * progress, diagnostics and results. The namespaces are deleted when the run ends, fails or this
 * process exits.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AppError, isErrorCode } from '../../shared/errors.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { BYTES_PER_MBIT } from '../model/units.ts';
import type { SimResults, StrategyName } from '../results-schema.ts';
import type { Scenario } from '../scenario.ts';
import type { EmulationDiagnostics, VenueNetwork } from './emulated-venue.ts';
import {
  CLOUD_WAN_HOST,
  createShapedNetwork,
  shapingUnavailableReason,
  VENUE_CONTROL_HOST,
  VENUE_WAN_HOST,
} from './netns.ts';
import type { EmulationRunStats } from './run-stats.ts';

const CHILD = fileURLToPath(new URL('./shaped-child.ts', import.meta.url));
const CHILD_STOP_GRACE_MS = 15_000;

/** What the child needs: plain data only (it crosses a process boundary as JSON). */
export interface ShapedJob {
  scenario: Scenario;
  strategy: StrategyName;
  options: {
    timeCompression: number;
    maxPrinters?: number;
    seed?: number;
    workDir?: string;
  } & EmulationDiagnostics;
  network: VenueNetwork;
}

/** One line of the child's stdout. */
export type ShapedMessage =
  | { progress: number }
  | { diagnostic: string }
  | { stats: EmulationRunStats }
  | { results: SimResults }
  | { error: { status: number; code: string; message: string } };

export const SHAPED_JOB_ENV = 'VPM_SIM_SHAPED_JOB';

export async function runShapedEmulation(
  scenario: Scenario,
  options: ShapedJob['options'] & {
    onProgress?: (fraction: number) => void;
    onDiagnostic?: (message: string) => void;
    onRunStats?: (stats: EmulationRunStats) => void;
  },
  strategy: StrategyName,
): Promise<SimResults> {
  const reason = await shapingUnavailableReason();
  if (reason !== null) {
    throw new AppError('link_shaping_unavailable', `Link shaping is not available here: ${reason}.`);
  }
  const { onProgress, onDiagnostic, onRunStats, ...plain } = options;
  // Bytes per simulated second × F: the link keeps its share of the compressed timeline.
  const wanBytesPerSec = scenario.venue.wan.bandwidthMbps * BYTES_PER_MBIT * options.timeCompression;
  const net = await createShapedNetwork({ id: process.pid.toString(36), wanBytesPerSec });
  onDiagnostic?.(
    `WAN shaped to ${((wanBytesPerSec * 8) / 1e6).toFixed(1)} Mbit/s each way (${net.cloudNs} ↔ ${net.venueNs})`,
  );
  try {
    const job: ShapedJob = {
      scenario,
      strategy,
      options: plain,
      network: {
        cloudHost: CLOUD_WAN_HOST,
        venueHost: VENUE_WAN_HOST,
        venueControlHost: VENUE_CONTROL_HOST,
        venueNs: net.venueNs,
      },
    };
    const child = spawn('ip', ['netns', 'exec', net.cloudNs, process.execPath, '--import', 'tsx', CHILD], {
      env: { ...process.env, [SHAPED_JOB_ENV]: JSON.stringify(job) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(child, 'exit');
    // If this process ends first, the child (and through its own exit handler, the edge nodes) stops too.
    const stopChild = () => child.kill('SIGTERM');
    process.once('exit', stopChild);
    let outcome: SimResults | AppError | null = null;
    try {
      for await (const line of createInterface({ input: child.stdout! })) {
        let message: ShapedMessage;
        try {
          message = JSON.parse(line) as ShapedMessage;
        } catch {
          onDiagnostic?.(line);
          continue;
        }
        if ('progress' in message) onProgress?.(message.progress);
        else if ('diagnostic' in message) onDiagnostic?.(message.diagnostic);
        else if ('stats' in message) onRunStats?.(message.stats);
        else if ('results' in message) outcome = message.results;
        else
          outcome = new AppError(
            isErrorCode(message.error.code) ? message.error.code : 'emulation_failed',
            message.error.message,
          );
      }
      const timer = systemClock.setTimeout(() => child.kill('SIGKILL'), CHILD_STOP_GRACE_MS);
      const [code] = (await exited) as [number | null];
      timer.cancel();
      if (outcome instanceof AppError) throw outcome;
      if (outcome === null) {
        throw new AppError('emulation_failed', `The shaped emulation run ended (exit ${code}) without results.`);
      }
      return outcome;
    } finally {
      process.off('exit', stopChild);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    }
  } finally {
    await net.close();
  }
}
