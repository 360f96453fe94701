import { html, type SafeHtml } from '../../../shared/web/html.ts';
import type { PhotoPrinterRow } from '../../services/station-rows.ts';

/**
 * A photo station's printers on the dashboard (issue #12): per printer its state, prints left, prints
 * today, failures and measured print time, and a warning before a roll runs out.
 */

export function photoPrintersHtml(printers: readonly PhotoPrinterRow[]): SafeHtml | '' {
  if (printers.length === 0) return '';
  return html`<ul class="plain photo-printers">${printers.map(
    (p) => html`<li data-photo-printer="${p.name}">
  <span class="badge badge-${p.canPrint ? 'ok' : 'bad'}">${p.name}</span>
  <span class="small">${p.printsLeft === null ? 'prints left unknown' : `${p.printsLeft} prints left`}${p.lowRoll ? ' ⚠ roll low' : ''} · ${p.printsToday} today · ${p.failures} failed · ${p.secondsPerPrint.toFixed(0)} s/print${p.canPrint ? '' : ` · ${p.detail}`}</span>
</li>`,
  )}</ul>`;
}
