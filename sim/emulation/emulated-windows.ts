/**
 * The mesh's sync windows in emulation. The edge node's windows are "HH:MM" on the venue's clock,
 * which a compressed run cannot follow (an hour's window would last 7.5 minutes at F = 8, and the
 * node reads the real clock). What a run can reproduce is a timeline over which the windows do not
 * change: open all through (the node syncs as usual), or closed all through. Closed is a venue that
 * keeps its uplink for ticketing during the event: nothing moves in the background, and a fan's
 * photos come at redemption from a printer that holds them (a photo neighbour, or a detour to one
 * off the overlay) or from the cloud, which is what the model's mesh does with no window open. A
 * window that opens or closes during the timeline is refused before any run starts.
 */
import { AppError } from '../../shared/errors.ts';
import {
  isSyncAllowed,
  nextSyncAt,
  oneMinuteWindowSchedule,
  type SyncSchedule,
  windowEndsAt,
} from '../../shared/policy/schedule.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { StrategyName } from '../results-schema.ts';
import { meshSyncSchedule, type Scenario } from '../scenario.ts';

export type WindowsOverRun = 'open' | 'closed';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/**
 * A closed run's timeline may last this long on the wall clock: its nodes' one window closed two
 * minutes before they started and opens again a day later, which leaves the rest for starting the
 * nodes and for the redemptions after `durationS`.
 */
export const MAX_CLOSED_RUN_WALL_MS = 12 * HOUR_MS;

/**
 * Whether the scenario's mesh sync windows are open or closed from `startsAtUtc` for `durationS`
 * (when the model stops background work); throws when they change in between.
 */
export function windowsOverRun(scenario: Scenario): WindowsOverRun {
  const schedule = meshSyncSchedule(scenario.strategies.mesh);
  const start = Date.parse(scenario.startsAtUtc);
  const end = start + scenario.durationS * 1000;
  if (isSyncAllowed(schedule, start)) {
    const closes = windowEndsAt(schedule, start);
    if (closes === null || closes >= end) return 'open';
    throw changes(scenario, 'closes', closes - start);
  }
  const opens = nextSyncAt(schedule, null, start);
  if (opens >= end) return 'closed';
  throw changes(scenario, 'opens', opens - start);
}

/**
 * Refuses, before any run starts, a scenario whose mesh windows emulation cannot reproduce: they
 * open or close during the timeline, or stay closed over a timeline too long for the nodes' closed
 * schedule (`closedSchedule`). Nothing to check when mesh is not among `strategies`.
 */
export function assertWindowsEmulatable(
  scenario: Scenario,
  strategies: readonly StrategyName[],
  timeCompression: number,
): void {
  if (!strategies.includes('mesh') || windowsOverRun(scenario) === 'open') return;
  const wallMs = (scenario.durationS * 1000) / timeCompression;
  if (wallMs > MAX_CLOSED_RUN_WALL_MS) {
    throw new AppError(
      'invalid_scenario',
      `strategies.mesh.syncWindows: closed over a timeline of ${Math.round(wallMs / HOUR_MS)} h on the wall clock, longer than the ${MAX_CLOSED_RUN_WALL_MS / HOUR_MS} h emulation keeps the nodes' windows shut; raise the time compression.`,
    );
  }
}

/**
 * The nodes' schedule for a closed run: one window of a minute that closed two minutes ago on
 * `clock`, so none opens for the next day (MAX_CLOSED_RUN_WALL_MS).
 */
export function closedSchedule(clock: Clock): SyncSchedule {
  return oneMinuteWindowSchedule(clock.now() - 3 * MINUTE_MS);
}

function changes(scenario: Scenario, what: 'opens' | 'closes', afterMs: number): AppError {
  return new AppError(
    'invalid_scenario',
    `strategies.mesh.syncWindows: a window ${what} ${Math.round(afterMs / 1000)} s into the timeline, which emulation cannot reproduce (the edge nodes read the real clock). Emulate a scenario whose windows are open or closed from startsAtUtc (${scenario.startsAtUtc}) for all ${scenario.durationS} s; the model runs it as it is.`,
  );
}
