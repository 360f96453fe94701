/**
 * Pure decisions of a print station with several photo printers: which printer takes the next unit,
 * what to do with a unit whose job ended or stalled, whether the station can take codes at all, and
 * when to warn about a roll running out. Used by the edge node's station pool and by the simulator.
 */

export interface StationPrinterView {
  id: string;
  /** Healthy: media loaded, no blocking reason, answering. */
  canPrint: boolean;
  /** Has a unit in flight (IPP photo printers take one job at a time here). */
  busy: boolean;
  /** Prints left on the roll, or null if unknown. */
  printsLeft: number | null;
  /** Measured or configured seconds per print. */
  secondsPerPrint: number;
  /** Units sent to this printer so far (spreads wear and keeps both trays in use). */
  unitsSent: number;
}

/**
 * The printer for the next unit: free and healthy; among those the fastest, then the one with more
 * prints left, then the one that printed less, then by id (stable). Null when none is free.
 */
export function choosePrinter(printers: readonly StationPrinterView[], exclude?: ReadonlySet<string>): string | null {
  const free = printers.filter((p) => p.canPrint && !p.busy && !exclude?.has(p.id) && p.printsLeft !== 0);
  if (free.length === 0) return null;
  free.sort(
    (a, b) =>
      a.secondsPerPrint - b.secondsPerPrint ||
      (b.printsLeft ?? Number.MAX_SAFE_INTEGER) - (a.printsLeft ?? Number.MAX_SAFE_INTEGER) ||
      a.unitsSent - b.unitsSent ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return free[0]!.id;
}

export type JobPhase = 'pending' | 'processing' | 'completed' | 'canceled' | 'aborted';

export type UnitAction =
  /** The printer says the job completed: the unit is printed, confirm it. */
  | 'confirm'
  /** The job ended without printing: send the unit to a (possibly other) printer. */
  | 'move'
  /** The job stalls on a printer that cannot print: cancel it; move only once it is canceled. */
  | 'cancel'
  | 'wait';

/**
 * A unit is moved only after its job is known not to have printed (canceled or aborted): a job that
 * might still print is cancelled first and watched until the printer confirms, so a failover never
 * prints a unit twice.
 */
export function unitAction(phase: JobPhase, printerCanPrint: boolean, stalledMs: number, graceMs: number): UnitAction {
  if (phase === 'completed') return 'confirm';
  if (phase === 'canceled' || phase === 'aborted') return 'move';
  if (!printerCanPrint && stalledMs >= graceMs) return 'cancel';
  return 'wait';
}

export interface StationAvailability {
  canTakeCodes: boolean;
  /** The printers that can print now. */
  working: string[];
}

export function stationAvailability(
  printers: readonly Pick<StationPrinterView, 'id' | 'canPrint'>[],
): StationAvailability {
  const working = printers.filter((p) => p.canPrint).map((p) => p.id);
  return { canTakeCodes: working.length > 0, working };
}

/**
 * Prints left on a printer: from the marker level (percent of the roll/ribbon) when it reports one,
 * else counted down from the roll size the operator entered. Null when neither is known.
 */
export function printsLeft(opts: {
  markerPercent: number | null;
  rollPrints: number | null;
  printedSinceLoad: number;
}): number | null {
  if (opts.rollPrints !== null && opts.markerPercent !== null) {
    return Math.floor((opts.markerPercent / 100) * opts.rollPrints);
  }
  if (opts.rollPrints !== null) return Math.max(0, opts.rollPrints - opts.printedSinceLoad);
  return null;
}

export function lowRollAlert(left: number | null, thresholdPrints: number): boolean {
  return left !== null && left <= thresholdPrints;
}

/** Exponentially weighted mean of seconds per print, so one slow print does not swing the estimate. */
export const PRINT_TIME_WEIGHT = 0.3;
export function updatePrintTime(previous: number | null, measuredSeconds: number): number {
  return previous === null ? measuredSeconds : previous + PRINT_TIME_WEIGHT * (measuredSeconds - previous);
}

/**
 * Seconds until a unit handed in now is printed, for the kiosk ("ready in about 40 s"): the units
 * ahead of it share the working printers, each print takes their mean measured time, and one print
 * in progress per busy printer is counted as half done. Null when no printer can print.
 */
export function estimatedWaitSeconds(printers: readonly StationPrinterView[], unitsWaiting: number): number | null {
  const working = printers.filter((p) => p.canPrint);
  if (working.length === 0) return null;
  const perPrint = working.reduce((n, p) => n + p.secondsPerPrint, 0) / working.length;
  const inProgress = working.filter((p) => p.busy).length * 0.5;
  return Math.round(((unitsWaiting + inProgress) / working.length + 1) * perPrint);
}
