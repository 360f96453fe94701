import type { StationReport } from '../../../shared/protocol/station-report.ts';
import { html, type SafeHtml } from '../html.ts';

/**
 * A photo station's printers on the dashboard (issue #12): per printer its state, prints left, prints
 * today, failures and measured print time, and a warning before a roll runs out.
 */

export type PhotoPrinterRow = StationReport['printers'][number];

export function photoPrintersHtml(printers: readonly PhotoPrinterRow[]): SafeHtml | '' {
  if (printers.length === 0) return '';
  return html`<ul class="plain photo-printers">${printers.map(
    (p) => html`<li data-photo-printer="${p.name}">
  <span class="badge badge-${p.canPrint ? 'ok' : 'bad'}">${p.name}</span>
  <span class="small">${p.printsLeft === null ? 'prints left unknown' : `${p.printsLeft} prints left`}${p.lowRoll ? ' ⚠ roll low' : ''} · ${p.printsToday} today · ${p.failures} failed · ${p.secondsPerPrint.toFixed(0)} s/print${p.canPrint ? '' : ` · ${p.detail}`}</span>
</li>`,
  )}</ul>`;
}

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
