import { html, type SafeHtml } from '../../../../shared/web/html.ts';
import { type ConflictView, joinNames } from '../../../services/conflict-views.ts';
import { type ConflictKind, NO_PRINTER_ID, type OfflineRedemptionRecord } from '../../../store/offline-records.ts';
import { localTime } from '../dashboard-view.ts';

const KIND_LABEL: Readonly<Record<ConflictKind, string>> = {
  double_print: 'Printed twice',
  not_redeemable: 'Not redeemable',
  unknown_order: 'Unknown order',
  paid_after_cancel: 'Paid after cancellation',
};

export interface ConflictsPageData {
  views: readonly ConflictView[];
  /** At most this many are listed (newest first). */
  limit: number;
  offlineRedemptions: readonly OfflineRedemptionRecord[];
}

/** Orders that printers reported printing offline (claims with nothing printed do not count). */
export function countOfflinePrintedOrders(reports: readonly OfflineRedemptionRecord[]): number {
  return new Set(reports.filter((r) => r.units.length > 0).map((r) => r.orderId)).size;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Print units are 0-based in the protocol; people count from 1. */
function prints(units: readonly number[]): SafeHtml {
  if (units.length === 0) return html`<span class="muted">none</span>`;
  return html`${plural(units.length, 'print', 'prints')}<br><span class="small">${units.map((u) => `#${u + 1}`).join(', ')}</span>`;
}

function order(view: ConflictView): SafeHtml {
  return view.orderCode !== null
    ? html`<code>${view.orderCode}</code>`
    : html`<code class="small key muted" title="No order with this id here">${view.conflict.orderId}</code>`;
}

function printers(view: ConflictView): SafeHtml {
  if (view.conflict.printerId === NO_PRINTER_ID) return html`<span class="muted">no printer</span>`;
  return html`${view.printerName}<span class="small block">printed it offline</span>${
    view.otherPrinterNames.length
      ? html`<span class="small block">counted for ${joinNames(view.otherPrinterNames)}</span>`
      : ''
  }`;
}

/** The printers column and the label say what a double print is; the other kinds' detail adds why. */
function kind(c: ConflictView['conflict']): SafeHtml {
  return html`${KIND_LABEL[c.kind]}${c.kind === 'double_print' ? '' : html`<span class="small block">${c.detail}</span>`}`;
}

function status(view: ConflictView): SafeHtml {
  const ack = view.conflict.acknowledged;
  if (ack) {
    return html`<span class="badge badge-muted">Acknowledged</span><br><span class="small">by ${ack.byName}, ${localTime(ack.at)}</span>`;
  }
  return html`<span class="badge badge-warn">Needs attention</span><br>
<button type="button" data-acknowledge-conflict="${view.conflict.id}" data-order="${view.orderCode ?? view.conflict.orderId}">Acknowledge</button>`;
}

function conflictRow(view: ConflictView): SafeHtml {
  const c = view.conflict;
  return html`<tr class="${c.acknowledged ? 'acknowledged' : 'open'}">
  <td>${localTime(c.detectedAt)}</td>
  <th scope="row">${order(view)}</th>
  <td>${printers(view)}</td>
  <td>${kind(c)}</td>
  <td>${prints(c.units)}</td>
  <td>${status(view)}</td>
</tr>`;
}

export function conflictsBody(data: ConflictsPageData): SafeHtml {
  const offlineOrders = countOfflinePrintedOrders(data.offlineRedemptions);
  const open = data.views.filter((v) => !v.conflict.acknowledged).length;
  return html`<h1>Offline conflicts</h1>
<p class="lead" id="offline-summary"><strong>${plural(offlineOrders, 'order was', 'orders were')} printed offline and reconciled.</strong>
<span class="small">From ${plural(data.offlineRedemptions.length, 'printer report', 'printer reports')}; what could not be counted is listed here.</span></p>
<section aria-labelledby="conflicts-heading">
  <h2 id="conflicts-heading">Conflicts <span class="small">${open} need${open === 1 ? 's' : ''} attention</span></h2>
  <p class="small">A conflict is a print that could not be counted: printed twice (at two printers during an outage), printed for an order that could not be redeemed, or for an order this venue does not know. Refund or contact the fan, then acknowledge it: it leaves the dashboard's alerts and stays here.</p>
  ${
    data.views.length === 0
      ? html`<p class="notice">No conflicts: everything printed offline was counted once.</p>`
      : html`<div class="table-wrap"><table class="conflicts">
    <caption class="visually-hidden">Conflicts, newest first${data.views.length >= data.limit ? ` (the newest ${data.limit})` : ''}</caption>
    <thead><tr><th scope="col">Detected</th><th scope="col">Order</th><th scope="col">Printers</th><th scope="col">Kind</th><th scope="col">Prints not counted</th><th scope="col">Status</th></tr></thead>
    <tbody>${data.views.map(conflictRow)}</tbody>
  </table></div>
  ${data.views.length >= data.limit ? html`<p class="small">Showing the newest ${data.limit}; GET /api/conflicts lists them by venue.</p>` : ''}`
  }
  <p class="form-message" id="conflicts-message" role="alert" aria-live="assertive"></p>
</section>`;
}
