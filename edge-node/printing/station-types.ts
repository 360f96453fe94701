/** The station pool's options, events, counters and the record it keeps of each job it follows. */
import type { JobPhase } from '../../shared/policy/station-dispatch.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { IppPhotoPrinter, IppPhotoPrinterConfig } from './ipp/ipp-photo-printer.ts';
import type { PrinterPort, PrinterStatus } from './port.ts';

export interface StationOptions {
  printers: IppPhotoPrinterConfig[];
  receipt?: PrinterPort;
  clock?: Clock;
  pollMs?: number;
  stallGraceMs?: number;
  requestTimeoutMs?: number;
  /** How often a stopped CUPS queue is resumed to look again (DEFAULT_RESUME_RETRY_MS). */
  resumeRetryMs?: number;
}

export interface UnitPlaced {
  unitId: string;
  printer: string;
  tray: string;
  ippJobId: number;
}

export interface StationCounters {
  unitsCompleted: number;
  failoverMoved: number;
  recoveredCompleted: number;
  /** Pending jobs moved from a busy printer to an idle one (chooseRebalance). */
  rebalanced: number;
}

/** A unit's job on a printer, as last polled. */
export interface JobInFlight {
  printer: IppPhotoPrinter;
  jobId: number;
  phase: JobPhase;
  /**
   * The rebalancer's move of this job to an idle printer: `requested` (cancel it while still pending),
   * `cancelling` (cancelled, waiting for the printer to confirm), `none`. One move at a time per station.
   */
  move: 'none' | 'requested' | 'cancelling';
}

/** How a watched job ended. */
export type JobOutcome = 'printed' | 'not-printed' | 'rebalanced';

export interface StationEvents {
  status: [PrinterStatus];
  accepted: [UnitPlaced];
  printed: [UnitPlaced];
  moved: [UnitPlaced];
}
