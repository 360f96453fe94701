import { html, type SafeHtml } from '../../../../shared/web/html.ts';
import type { ChannelLine, KioskDashboard, StationLine } from '../../../services/kiosk-dashboard.ts';
import type { KioskSaleRecord } from '../../../store/kiosk-sale-store.ts';
import { localTime } from '../dashboard-view.ts';

const CHANNEL_LABEL: Readonly<Record<string, string>> = {
  shop: 'Online shop',
  'kiosk-phone': 'Kiosk, phone',
  'kiosk-card': 'Kiosk, card',
  'own-photos': 'Own photos',
  'own-photo-card': 'Own photos, card',
};

const READER_BADGE: Readonly<Record<string, string>> = {
  online: 'ok',
  busy: 'warn',
  offline: 'bad',
  unknown: 'muted',
};

const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency}`;

function channelList(lines: readonly ChannelLine[]): SafeHtml {
  if (lines.length === 0) return html`<span class="muted">no sales</span>`;
  return html`<ul class="plain">${lines.map(
    (l) =>
      html`<li data-channel="${l.channel}">${CHANNEL_LABEL[l.channel] ?? l.channel}: ${l.sales} · <strong>${money(l.revenueCents, l.currency)}</strong></li>`,
  )}</ul>`;
}

function reader(s: StationLine): SafeHtml {
  if (!s.readerId) return html`<span class="muted">no card reader</span>`;
  const status = s.readerStatus ?? 'unknown';
  return html`<span class="badge badge-${READER_BADGE[status] ?? 'muted'}" data-reader-status="${status}">${status === 'online' ? 'Connected' : status === 'busy' ? 'Busy' : status === 'offline' ? 'Offline' : 'Unknown'}</span><br><span class="small">${s.readerId}</span>`;
}

/** The dashboard's "Sales per channel and station" section (rendered when the page loads). */
export function kioskDashboardHtml(d: KioskDashboard): SafeHtml {
  return html`<section id="kiosk-sales-section" aria-labelledby="channels-heading">
  <h2 id="channels-heading">Sales per channel and station, last 24 hours</h2>
  <div id="sales-channels">${channelList(d.channels)}</div>
  ${
    d.stations.length === 0
      ? html`<p class="small muted">No kiosk has sold anything or named a card reader yet.</p>`
      : html`<div class="table-wrap"><table id="kiosk-stations" class="compact">
    <caption class="visually-hidden">Kiosk sales and card reader per station</caption>
    <thead><tr><th scope="col">Station</th><th scope="col">Card reader</th><th scope="col">Kiosk sales</th></tr></thead>
    <tbody>${d.stations.map(
      (s) =>
        html`<tr data-id="${s.printerId}"><th scope="row">${s.printerName}</th><td>${reader(s)}</td><td>${channelList(s.lines)}</td></tr>`,
    )}</tbody></table></div>`
  }
  <p class="small"><a href="/ops/kiosk-sales">Kiosk sales and refunds</a></p>
</section>`;
}

const REFUNDABLE = new Set(['captured', 'paid', 'printing', 'fulfilled']);

/** Recent kiosk sales with a refund button for the money-taking ones. */
export function kioskSalesBody(
  sales: readonly KioskSaleRecord[],
  printerNames: ReadonlyMap<string, string>,
  notice: string | null,
): SafeHtml {
  return html`<h1>Kiosk sales</h1>
${notice ? html`<p class="form-message" role="status" id="kiosk-sales-notice">${notice}</p>` : ''}
${
  sales.length === 0
    ? html`<p class="muted">No kiosk sales yet.</p>`
    : html`<div class="table-wrap"><table id="kiosk-sales" class="compact">
  <caption class="visually-hidden">Kiosk sales, newest first</caption>
  <thead><tr><th scope="col">When</th><th scope="col">Station</th><th scope="col">Channel</th><th scope="col" class="num">Prints</th>
  <th scope="col" class="num">Total</th><th scope="col">State</th><th scope="col">Card</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
  <tbody>${sales.map(
    (s) => html`<tr data-sale="${s.id}" data-state="${s.state}">
    <td>${localTime(s.createdAt)}</td>
    <td>${printerNames.get(s.printerId) ?? s.printerId.slice(0, 12)}</td>
    <td>${CHANNEL_LABEL[s.channel] ?? s.channel}</td>
    <td class="num">${s.unitCount}</td>
    <td class="num">${money(s.totalCents, s.currency)}</td>
    <td>${s.state}${s.lastFailure && s.state === 'awaiting_payment' ? html`<br><span class="small">${s.lastFailure}</span>` : ''}</td>
    <td>${s.card ? html`${s.card.brand.toUpperCase()} •••• ${s.card.last4}${s.authorisationCode ? html`<br><span class="small">auth ${s.authorisationCode}</span>` : ''}` : html`<span class="muted">–</span>`}</td>
    <td>${
      REFUNDABLE.has(s.state)
        ? html`<form method="post" action="/ops/kiosk-sales/${s.id}/refund"><button type="submit" class="danger" data-refund="${s.id}">Refund ${money(s.totalCents, s.currency)}</button></form>`
        : s.refundId
          ? html`<span class="small">refund ${s.refundId}</span>`
          : ''
    }</td>
  </tr>`,
  )}</tbody></table></div>`
}`;
}
