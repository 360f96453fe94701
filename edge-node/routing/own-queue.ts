/**
 * This station's queue as it publishes it (shared/protocol/station-queue.ts): units of the orders it
 * is printing that are not out yet, times its measured print time; its working printers. Pure.
 */
import type { StationPosition } from '../../shared/policy/queue-routing.ts';
import type { StationQueueReport } from '../../shared/protocol/station-queue.ts';
import type { StationReport } from '../../shared/protocol/station-report.ts';
import type { RedemptionProgress } from '../jobs/redemption-progress.ts';
import { printerBlocksNewOrders } from '../kiosk/kiosk-messages.ts';
import type { PrinterStatus } from '../printing/port.ts';

/** A print in progress is counted as half done (the same estimate as the kiosk's "ready in about"). */
const IN_PROGRESS_SHARE_LEFT = 0.5;

export interface OwnQueueInput {
  id: string;
  name: string;
  now: number;
  printer: PrinterStatus | null;
  /** A photo station's report (its printers' health and print times), absent on a thermal node. */
  station?: StationReport;
  /** The redemptions this node is running (done ones are skipped). */
  progress: Iterable<RedemptionProgress>;
  thermalSecondsPerPrint: number;
  position: StationPosition | null;
}

/** Units of running redemptions not printed (and not failed) yet: the work still ahead here. */
export function pendingUnits(progress: Iterable<RedemptionProgress>): number {
  let n = 0;
  for (const p of progress) {
    if (p.done) continue;
    for (const u of p.units) if (u.state !== 'printed' && u.state !== 'failed') n++;
  }
  return n;
}

export function ownStationQueue(input: OwnQueueInput): StationQueueReport {
  const pending = pendingUnits(input.progress);
  let working: number;
  let busy: number;
  let secondsPerPrint: number;
  if (input.station) {
    const up = input.station.printers.filter((p) => p.canPrint);
    working = up.length;
    busy = up.filter((p) => p.busy).length;
    const times = (up.length > 0 ? up : input.station.printers).map(
      (p) => p.measuredSecondsPerPrint ?? p.secondsPerPrint,
    );
    secondsPerPrint = times.length > 0 ? times.reduce((a, b) => a + b, 0) / times.length : 0;
  } else {
    const state = input.printer?.state ?? 'offline';
    working = printerBlocksNewOrders(state) ? 0 : 1;
    busy = state === 'printing' ? 1 : 0;
    secondsPerPrint = input.thermalSecondsPerPrint;
  }
  busy = Math.min(busy, pending);
  const waiting = Math.max(0, pending - busy);
  const queueWorkSeconds = (waiting + busy * IN_PROGRESS_SHARE_LEFT) * secondsPerPrint;
  return {
    id: input.id,
    name: input.name,
    queueWorkSeconds: Math.round(queueWorkSeconds * 10) / 10,
    unitsWaiting: waiting,
    secondsPerPrint: Math.round(secondsPerPrint * 100) / 100,
    workingPrinters: working,
    canPrint: working > 0,
    position: input.position,
    at: input.now,
  };
}
