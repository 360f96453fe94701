/**
 * The station's state as one printer port reports it: the worst printer's state when none can print
 * (so the kiosk refuses codes and names the reason), else ready or printing with the others' details.
 */
import type { IppPhotoPrinter } from './ipp/ipp-photo-printer.ts';
import type { PrinterStatus } from './port.ts';

export function stationStatus(printers: readonly IppPhotoPrinter[], now: number): PrinterStatus {
  const working = printers.filter((p) => p.health.canPrint);
  const down = printers.filter((p) => !p.health.canPrint).map((p) => p.health.detail);
  const note = down.length > 0 ? ` ${down.join(' ')}` : '';
  if (working.length === 0) {
    const worst = printers.find((p) => p.health.state === 'paper_out') ?? printers[0]!;
    return {
      state: worst.health.state === 'ready' ? 'offline' : worst.health.state,
      detail: `No printer of this station can print: please use another print station.${note}`,
      checkedAt: now,
    };
  }
  const busy = printers.some((p) => p.busy);
  return {
    state: busy ? 'printing' : 'ready',
    detail: `${working.length} of ${printers.length} photo printers ready.${note}`,
    paperNearEnd: printers.some((p) => p.report().lowRoll),
    checkedAt: now,
  };
}
