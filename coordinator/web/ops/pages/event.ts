import { html, type SafeHtml } from '../../../../shared/web/html.ts';
import type { DeliveryMatrix } from '../../../services/delivery.ts';
import type { EventRecord, OrderRecord, PrinterRecord } from '../../../store/records.ts';
import { localTime, timeAgo } from '../dashboard-view.ts';
import { formatBytes, formatMoney } from '../format.ts';
import { buildHeatmap, heatmapLegend, heatmapSvg } from '../heatmap.ts';

export interface EventViewData {
  event: EventRecord;
  venueName: string;
  matrix: DeliveryMatrix;
  orders: OrderRecord[];
  ordersLimit: number;
  printers: PrinterRecord[];
  now: number;
}

const ORDER_STATE_LABEL: Readonly<Record<string, string>> = {
  paid: 'Paid, waiting for a printer',
  redeeming: 'Printing',
};

function ordersTable(data: EventViewData): SafeHtml {
  if (data.orders.length === 0) return html`<p class="muted">No orders in flight.</p>`;
  const names = new Map(data.printers.map((p) => [p.id, p.name]));
  return html`<div class="table-wrap"><table>
  <caption class="visually-hidden">Paid orders not yet fully printed, oldest first</caption>
  <thead><tr><th scope="col">Order</th><th scope="col">State</th><th scope="col" class="num">Printed</th>
  <th scope="col">Printer</th><th scope="col">Paid</th><th scope="col" class="num">Total</th></tr></thead>
  <tbody>${data.orders.map(
    (o) => html`<tr>
    <th scope="row"><code>${o.code}</code></th>
    <td>${ORDER_STATE_LABEL[o.state] ?? o.state}</td>
    <td class="num">${o.printedCount} / ${o.unitCount}</td>
    <td>${o.claim ? html`${names.get(o.claim.printerId) ?? 'unknown printer'}<br><span class="small">claim ends ${timeAgo(o.claim.expiresAt, data.now)}</span>` : html`<span class="muted">–</span>`}</td>
    <td>${timeAgo(o.paidAt, data.now, '–')}</td>
    <td class="num">${formatMoney(o.totalCents, o.currency)}</td>
  </tr>`,
  )}</tbody></table></div>
  ${data.orders.length >= data.ordersLimit ? html`<p class="small">Showing the oldest ${data.ordersLimit}.</p>` : ''}`;
}

/** The part of the event page that refreshes itself: delivery heat map, per-printer numbers, orders. */
export function eventLiveFragment(data: EventViewData): SafeHtml {
  const map = buildHeatmap(data.matrix);
  const inFeed = data.matrix.images.filter((i) => i.inFeed).length;
  return html`<section aria-labelledby="delivery-heading">
  <h2 id="delivery-heading">Delivery to printers</h2>
  <p>${data.matrix.images.length} photos, ${inFeed} on the feed. Each row is a printer, each column a group of photos in upload order.</p>
  <div class="heatmap-wrap">${heatmapSvg(map, `Which printers hold which photos of ${data.event.name}`)}</div>
  ${heatmapLegend()}
  ${
    map.rows.length
      ? html`<div class="table-wrap"><table>
    <caption>Per printer</caption>
    <thead><tr><th scope="col">Printer</th><th scope="col" class="num">Photos held</th><th scope="col" class="num">Still to fetch</th><th scope="col">Last holdings report</th></tr></thead>
    <tbody>${map.rows.map(
      (r) => html`<tr><th scope="row">${r.name}</th>
      <td class="num">${r.held} / ${r.available}</td>
      <td class="num">${formatBytes(r.bytesNeeded)}</td>
      <td>${timeAgo(r.reportedAt, data.now)}</td></tr>`,
    )}</tbody></table></div>`
      : ''
  }
</section>
<section aria-labelledby="orders-heading">
  <h2 id="orders-heading">Orders in flight</h2>
  ${ordersTable(data)}
</section>
<p class="small">Updated ${timeAgo(data.now, data.now)}.</p>`;
}

export function eventBody(data: EventViewData): SafeHtml {
  const e = data.event;
  return html`<p class="crumbs"><a href="/ops/events">Events</a> ›</p>
<h1>${e.name}</h1>
<p>${data.venueName} · ${localTime(e.startsAt)} to ${localTime(e.endsAt)}</p>
<p class="actions"><a class="button" href="/ops/events/${e.id}/prices">Edit prices</a> <a class="button" href="/ops/events/${e.id}/templates">Frames and templates</a>
<a class="button secondary" href="/ops/upload?event=${e.id}">Upload photos</a></p>
<div id="event-live" data-src="/ops/events/${e.id}/live" aria-live="off">${eventLiveFragment(data)}</div>`;
}
