/**
 * The three strategies on the real system: each is an edge-node configuration (its `replication`
 * switch plus the scenario's knobs, scaled by the time compression F).
 *
 * - mesh: the shipped edge node; sync every `syncIntervalS ÷ F`, the background cap × F; with the
 *   scenario's sync windows closed over the timeline, no background sync at all (emulated-windows.ts).
 * - star-periodic (the seed patent): every printer pulls everything it lacks from the cloud every
 *   `intervalS ÷ F` and never uses LAN peers; a fan's missing photos come from the cloud. The node
 *   pulls on the wall clock's multiples of its interval, so the run starts its timeline where the
 *   first pull falls `firstPushAtS ÷ F` after the start (`timelineAlignment`).
 * - on-demand: no background sync, no LAN peers; a fan's photos come from the cloud.
 */
import type { ReplicationMode } from '../../edge-node/config.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { BYTES_PER_MBIT } from '../model/units.ts';
import type { StrategyName } from '../results-schema.ts';
import type { Scenario } from '../scenario.ts';
import type { EdgeNodeSettings } from './emulated-venue.ts';
import { closedSchedule, windowsOverRun } from './emulated-windows.ts';

/** The edge node refuses sync intervals and report intervals below 1 s. */
export const MIN_EDGE_INTERVAL_MS = 1000;
const DEFAULT_EDGE_REPORT_INTERVAL_MS = 5000;
/** The node's status report (and its feed-head refresh) every ~10 simulated seconds, within the node's limits. */
const REPORT_SIMULATED_MS = 10_000;

/**
 * `{ periodMs, offsetMs }`: start at a wall-clock instant t0 such that t0 + offsetMs is a multiple of
 * periodMs since the Unix epoch. `{ periodMs, quietMs }`: start where no multiple of periodMs falls
 * in the next quietMs (when periodMs > quietMs).
 */
export type TimelineAlignment = { periodMs: number; offsetMs: number } | { periodMs: number; quietMs: number };

export interface EmulatedStrategy {
  name: StrategyName;
  /** `clock` is the one the edge nodes read (the system clock in a run): a schedule is placed on it. */
  nodeSettings(scenario: Scenario, timeCompression: number, clock: Clock): EdgeNodeSettings;
  /** When the timeline may start on the wall clock (see `alignmentDelayMs`). */
  timelineAlignment?(scenario: Scenario, timeCompression: number): TimelineAlignment;
  /** Its printers replicate among themselves: the timeline starts once they are all connected (venue-steady.ts). */
  replicatesOnLan?: boolean;
}

function wallMs(simulatedS: number, f: number): number {
  return Math.max(MIN_EDGE_INTERVAL_MS, Math.round((simulatedS * 1000) / f));
}

function baseSettings(replication: ReplicationMode, intervalMs: number, f: number): EdgeNodeSettings {
  return {
    replication,
    schedule: { intervalMs },
    reportIntervalMs: Math.max(
      MIN_EDGE_INTERVAL_MS,
      Math.min(DEFAULT_EDGE_REPORT_INTERVAL_MS, Math.round(REPORT_SIMULATED_MS / f)),
    ),
  };
}

const mesh: EmulatedStrategy = {
  name: 'mesh',
  replicatesOnLan: true,
  nodeSettings(scenario, f, clock) {
    const m = scenario.strategies.mesh;
    const base = baseSettings('mesh', wallMs(m.syncIntervalS, f), f);
    return {
      ...base,
      // Windows closed all through the timeline: the nodes' only window opens a day later.
      ...(windowsOverRun(scenario) === 'closed' ? { schedule: closedSchedule(clock) } : {}),
      // Bytes per simulated second become bytes per wall second × f: the cap keeps its share of the timeline.
      backgroundBytesPerSec:
        m.backgroundCapMbps === undefined ? undefined : Math.round(m.backgroundCapMbps * BYTES_PER_MBIT * f),
    };
  },
};

const starPeriodic: EmulatedStrategy = {
  name: 'star-periodic',
  nodeSettings(scenario, f) {
    return baseSettings('star-periodic', wallMs(scenario.strategies.starPeriodic.intervalS, f), f);
  },
  timelineAlignment(scenario, f) {
    const star = scenario.strategies.starPeriodic;
    const firstPushS = star.firstPushAtS ?? star.intervalS;
    const periodMs = wallMs(star.intervalS, f);
    // Pushes stop at durationS in the model, so one planned after it never happens: keep the run clear of pulls.
    if (firstPushS >= scenario.durationS) return { periodMs, quietMs: (scenario.durationS * 1000) / f };
    return { periodMs, offsetMs: (firstPushS * 1000) / f };
  },
};

const onDemand: EmulatedStrategy = {
  name: 'on-demand',
  // The interval is unused: an on-demand node runs no background sync.
  nodeSettings: (_scenario, f) => baseSettings('on-demand', MIN_EDGE_INTERVAL_MS, f),
};

export const EMULATED_STRATEGIES: ReadonlyMap<StrategyName, EmulatedStrategy> = new Map(
  [mesh, starPeriodic, onDemand].map((s) => [s.name, s]),
);

/** Wall-clock ms to wait from `nowEpochMs` so the timeline starts as aligned (0 without alignment). */
export function alignmentDelayMs(alignment: TimelineAlignment | undefined, nowEpochMs: number): number {
  if (!alignment) return 0;
  const { periodMs } = alignment;
  if ('offsetMs' in alignment) {
    const firstPull = Math.ceil((nowEpochMs + alignment.offsetMs) / periodMs) * periodMs;
    return firstPull - alignment.offsetMs - nowEpochMs;
  }
  const nextPull = Math.ceil(nowEpochMs / periodMs) * periodMs;
  if (nextPull - nowEpochMs >= alignment.quietMs || periodMs <= alignment.quietMs) return 0;
  // Just after a pull: the next one is a whole period (longer than the quiet time) away.
  return nextPull - nowEpochMs + 1;
}
