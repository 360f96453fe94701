/**
 * Pure decisions of a print station with several photo printers: which printer takes the next unit,
 * what to do with a unit whose job ended or stalled, whether the station can take codes at all, and
 * when to warn about a roll running out. Used by the edge node's station pool and by the simulator.
 */

export interface StationPrinterView {
  id: string;
  /** Healthy: media loaded, no blocking reason, answering. */
  canPrint: boolean;
  /** Has at least one unit in flight. */
  busy: boolean;
  /**
   * Units sent and not yet ended on this printer. A printer takes up to `queueDepth` of them: an IPP
   * Everywhere printer one at a time, a CUPS queue several (its scheduler holds them), so a code is
   * accepted by the printer at once instead of waiting inside the station for the print before it.
   */
  inFlight?: number;
  /** Jobs this printer holds at once (default 1). */
  queueDepth?: number;
  /** Prints left on the roll, or null if unknown. */
  printsLeft: number | null;
  /** Measured or configured seconds per print. */
  secondsPerPrint: number;
  /** Units sent to this printer so far (spreads wear and keeps both trays in use). */
  unitsSent: number;
}

export function inFlightOf(p: Pick<StationPrinterView, 'busy' | 'inFlight'>): number {
  return p.inFlight ?? (p.busy ? 1 : 0);
}

/** A printer with room for one more job: below its queue depth and, if the roll is counted, below it. */
export function hasRoom(p: StationPrinterView): boolean {
  const inFlight = inFlightOf(p);
  // A counted roll is an estimate: at zero the printer still takes one job at a time, so a roll that
  // held more prints keeps printing and an empty one says so (media-empty) instead of idling unseen.
  return inFlight < (p.queueDepth ?? 1) && (p.printsLeft === null || p.printsLeft > inFlight || inFlight === 0);
}

/**
 * The printer for the next unit: healthy with room in its queue; a roll counted empty only when no
 * other printer has room; among those the one that would finish it first ((jobs ahead + 1) × seconds per print), then the one with more prints left, then the one
 * that printed less, then by id (stable). Null when none has room.
 */
export function choosePrinter(printers: readonly StationPrinterView[], exclude?: ReadonlySet<string>): string | null {
  const free = printers.filter((p) => p.canPrint && !exclude?.has(p.id) && hasRoom(p));
  if (free.length === 0) return null;
  const finish = (p: StationPrinterView): number => (inFlightOf(p) + 1) * p.secondsPerPrint;
  const countedEmpty = (p: StationPrinterView): number => (p.printsLeft === 0 ? 1 : 0);
  free.sort(
    (a, b) =>
      countedEmpty(a) - countedEmpty(b) ||
      finish(a) - finish(b) ||
      (b.printsLeft ?? Number.MAX_SAFE_INTEGER) - (a.printsLeft ?? Number.MAX_SAFE_INTEGER) ||
      a.unitsSent - b.unitsSent ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  return free[0]!.id;
}

/** One printer as the rebalancer sees it: its view plus how many of its jobs have not started. */
export interface RebalanceView extends StationPrinterView {
  /** Jobs sent to this printer that it has not started printing (phase `pending`). */
  pendingJobs: number;
}

export interface Rebalance {
  /** The printer whose newest pending job is cancelled and moved. */
  from: string;
  /** The printer expected to take it (choosePrinter decides again once the job is cancelled). */
  to: string;
}

/**
 * A queued job moves from a busy printer to one with nothing to do, when no unit is waiting in the
 * station for it instead. Without this, jobs queued on one printer (a CUPS queue holds several, e.g.
 * all that arrived while the other printer was out of paper) keep the other idle at the end of a
 * burst. Only the newest pending job of a printer with at least two pending moves: it cannot start
 * before the pending job ahead of it, so cancelling it never cuts a print in progress; and only when
 * it would be done at least one print sooner on the idle printer (no ping-pong between equals).
 */
export function chooseRebalance(printers: readonly RebalanceView[], unitsWaiting: number): Rebalance | null {
  if (unitsWaiting > 0) return null;
  const idle = printers.filter((p) => p.canPrint && inFlightOf(p) === 0 && hasRoom(p));
  if (idle.length === 0) return null;
  let best: Rebalance | null = null;
  let bestGain = 0;
  for (const v of printers) {
    if (v.pendingJobs < RESCHEDULE_MIN_PENDING_JOBS) continue;
    // The newest job finishes after everything ahead of it on v; on an idle printer after one print.
    const finishThere = inFlightOf(v) * v.secondsPerPrint;
    for (const t of idle) {
      if (t.id === v.id) continue;
      const gain = finishThere - t.secondsPerPrint;
      if (gain >= v.secondsPerPrint && gain > bestGain) {
        best = { from: v.id, to: t.id };
        bestGain = gain;
      }
    }
  }
  return best;
}

/** A printer's newest pending job is moved only while another pending job is ahead of it. */
export const RESCHEDULE_MIN_PENDING_JOBS = 2;

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
 * ahead of it (waiting in the station and queued at its printers) share the working printers, each
 * print takes their mean measured time, and the print in progress on each busy printer is counted as
 * half done. Null when no printer can print.
 */
export function estimatedWaitSeconds(printers: readonly StationPrinterView[], unitsWaiting: number): number | null {
  const working = printers.filter((p) => p.canPrint);
  if (working.length === 0) return null;
  const perPrint = working.reduce((n, p) => n + p.secondsPerPrint, 0) / working.length;
  const busy = working.filter((p) => inFlightOf(p) > 0);
  const ahead = busy.reduce((n, p) => n + inFlightOf(p), 0) - busy.length * 0.5;
  return Math.round(((unitsWaiting + ahead) / working.length + 1) * perPrint);
}
