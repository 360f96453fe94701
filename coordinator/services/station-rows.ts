import type { StationReport } from '../../shared/protocol/station-report.ts';

/** One photo printer of a station (issue #12), as its edge node reports it: the dashboard row and alerts read it. */
export type PhotoPrinterRow = StationReport['printers'][number];

/** One warning per photo printer whose roll is at or under its alert threshold. */
export function rollAlertMessages(
  stationName: string,
  printers: readonly PhotoPrinterRow[],
): { id: string; message: string }[] {
  return printers
    .filter((p) => p.lowRoll)
    .map((p) => ({
      id: `roll_low:${p.name}`,
      message: `${stationName} / ${p.name}: ${p.printsLeft ?? 'few'} prints left on the roll: have a new roll ready.`,
    }));
}
