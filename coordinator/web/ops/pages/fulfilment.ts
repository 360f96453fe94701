import type { ReorderState } from '../../../../shared/policy/order-state.ts';
import { html, type SafeHtml } from '../../../../shared/web/html.ts';
import type { LabJobRecord, ReorderEventSummary, ReorderRecord } from '../../../after-event/records.ts';
import type { EventRecord } from '../../../store/records.ts';
import { localTime } from '../dashboard-view.ts';
import { formatMoney } from '../format.ts';

const STATE_TITLES: Partial<Record<ReorderState, string>> = {
  paid: 'Paid, waiting for the lab',
  sent_to_lab: 'Sent to the lab',
  in_production: 'In production',
  rejected: 'Rejected by the lab (refund pending)',
  shipped: 'Shipped',
  delivered: 'Delivered',
  refunded: 'Refunded',
};

function actions(r: ReorderRecord): SafeHtml {
  const id = encodeURIComponent(r.id);
  const inFlight = ['paid', 'sent_to_lab', 'in_production'].includes(r.state);
  return html`<div class="actions">
${inFlight && r.needsShipping ? html`<form method="post" action="/ops/fulfilment/${id}/resend"><button type="submit" class="secondary">Resend to lab</button></form>` : ''}
${
  inFlight && r.needsShipping
    ? html`<form method="post" action="/ops/fulfilment/${id}/ship" class="row"><label>Carrier <input name="carrier" required maxlength="60" size="10"></label> <label>Tracking <input name="trackingNumber" required maxlength="40" size="14"></label> <button type="submit">Mark shipped</button></form>`
    : ''
}
${r.state === 'shipped' ? html`<form method="post" action="/ops/fulfilment/${id}/delivered"><button type="submit" class="secondary">Mark delivered</button></form>` : ''}
${[...(inFlight ? ['x'] : []), ...(r.state === 'rejected' ? ['x'] : [])].length ? html`<form method="post" action="/ops/fulfilment/${id}/refund"><button type="submit" class="danger">Refund</button></form>` : ''}
</div>`;
}

function row(r: ReorderRecord, jobs: LabJobRecord[], eventName: string): SafeHtml {
  const last = jobs.at(-1);
  const items = r.lines.map((l) => `${l.quantity} × ${l.label}`).concat(r.bundle ? ['all-photos bundle'] : []);
  return html`<tr data-reorder="${r.id}">
<td>${localTime(r.paidAt ?? r.createdAt)}</td>
<td><a href="/r/${encodeURIComponent(r.id)}">${r.id.slice(0, 10)}…</a><br><span class="small">${eventName}</span></td>
<td>${items.join(', ')}</td>
<td class="num">${formatMoney(r.totalCents, r.currency)}</td>
<td>${last ? html`${last.state}${last.attempts ? html` · ${last.attempts} failed attempt${last.attempts > 1 ? 's' : ''}` : ''}${last.lastError ? html`<br><span class="small">${last.lastError}</span>` : ''}` : r.needsShipping ? 'no job' : 'downloads only'}
${r.trackingNumber ? html`<br>${r.carrier} ${r.trackingNumber}` : ''}${r.rejectReason ? html`<br><span class="small">rejected: ${r.rejectReason}</span>` : ''}</td>
<td>${actions(r)}</td></tr>`;
}

export function summaryTable(summary: ReorderEventSummary[], events: Map<string, EventRecord>): SafeHtml {
  return html`<section aria-labelledby="reorder-summary-heading" class="card" id="reorder-summary">
<h2 id="reorder-summary-heading">After the event: reorders and downloads</h2>
${
  summary.length === 0
    ? html`<p>No reorders yet.</p>`
    : html`<table class="compact"><thead><tr><th scope="col">Event</th><th scope="col" class="num">Paid reorders</th><th scope="col" class="num">Revenue</th><th scope="col" class="num">Download revenue</th></tr></thead>
<tbody>${summary.map(
        (s) =>
          html`<tr><th scope="row">${events.get(s.eventId)?.name ?? s.eventId}</th><td class="num">${s.paidReorders}</td><td class="num">${formatMoney(s.revenueCents, s.currency)}</td><td class="num">${formatMoney(s.downloadRevenueCents, s.currency)}</td></tr>`,
      )}</tbody></table>`
}
<p><a href="/ops/fulfilment">Fulfilment</a></p></section>`;
}

export function fulfilmentBody(
  groups: Array<{ state: ReorderState; reorders: Array<{ reorder: ReorderRecord; jobs: LabJobRecord[] }> }>,
  events: Map<string, EventRecord>,
  summary: ReorderEventSummary[],
  notice: string | null,
): SafeHtml {
  return html`<h1>Fulfilment</h1>
<p>Orders placed after the event, by state, oldest first. The lab gets paid orders by itself; resend when it lost one, mark shipped when you post it yourself.</p>
${notice ? html`<p class="notice" role="status" id="fulfilment-notice">${notice}</p>` : ''}
${summaryTable(summary, events)}
${groups.map(
  (
    g,
  ) => html`<section aria-labelledby="h-${g.state}" data-state="${g.state}"><h2 id="h-${g.state}">${STATE_TITLES[g.state] ?? g.state} (${g.reorders.length})</h2>
${
  g.reorders.length === 0
    ? html`<p class="small">None.</p>`
    : html`<div class="table-wrap"><table><thead><tr><th scope="col">Paid</th><th scope="col">Order</th><th scope="col">Items</th><th scope="col" class="num">Total</th><th scope="col">Lab</th><th scope="col">Actions</th></tr></thead>
<tbody>${g.reorders.map(({ reorder, jobs }) => row(reorder, jobs, events.get(reorder.eventId)?.name ?? reorder.eventId))}</tbody></table></div>`
}</section>`,
)}`;
}
