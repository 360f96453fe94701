import { html, type SafeHtml } from '../../../shared/web/html.ts';
import type { DownloadGrantRecord, ReorderRecord } from '../../after-event/records.ts';
import type { EventRecord } from '../../store/records.ts';
import type { AssetTable } from './assets.ts';
import { formatMoney, timeTag } from './format.ts';
import { afterEventPage } from './views-reorder.ts';

export interface ReorderPageModel {
  reorder: ReorderRecord;
  event: EventRecord;
  downloads: Array<{ grant: DownloadGrantRecord; url: string }>;
  now: number;
  erased: boolean;
}

const HEADLINES: Record<ReorderRecord['state'], { tone: string; headline: string; detail: string }> = {
  awaiting_payment: {
    tone: 'waiting',
    headline: 'Waiting for your payment',
    detail: 'Finish paying on the payment page; this page updates when you reload it.',
  },
  payment_failed: {
    tone: 'problem',
    headline: 'The payment did not go through',
    detail: 'Nothing was charged. Try again from the payment page.',
  },
  cancelled: { tone: 'problem', headline: 'Cancelled', detail: 'You cancelled the payment; nothing was charged.' },
  paid: { tone: 'ready', headline: 'Paid, thank you', detail: 'Your prints are being prepared for the photo lab.' },
  sent_to_lab: {
    tone: 'printing',
    headline: 'Sent to the photo lab',
    detail: 'The lab has your order and will print it shortly.',
  },
  in_production: { tone: 'printing', headline: 'Being printed', detail: 'The lab is printing your order.' },
  shipped: { tone: 'done', headline: 'Shipped', detail: 'Your parcel is on its way.' },
  delivered: { tone: 'done', headline: 'Delivered', detail: 'Everything in this order has been delivered.' },
  rejected: {
    tone: 'problem',
    headline: 'The lab could not print this order',
    detail: 'We are refunding the prints and shipping automatically.',
  },
  refunded: { tone: 'problem', headline: 'Refunded', detail: 'The money has been sent back to your card.' },
};

function lines(r: ReorderRecord): SafeHtml {
  return html`<table class="lines" id="lines"><thead><tr><th scope="col">Item</th><th scope="col" class="num">Qty</th><th scope="col" class="num">Price</th></tr></thead><tbody>
${r.lines.map(
  (l) =>
    html`<tr><td><img src="/media/images/${encodeURIComponent(l.imageId)}/thumbnail.jpg" alt="" width="48" height="36" loading="lazy"> ${l.label}</td><td class="num">${l.quantity}</td><td class="num">${formatMoney(l.totalCents, r.currency)}</td></tr>`,
)}
${r.bundle ? html`<tr><td>All my photos, digital (${r.bundle.imageIds.length})</td><td class="num">1</td><td class="num">${formatMoney(r.bundle.priceCents, r.currency)}</td></tr>` : ''}
${r.needsShipping ? html`<tr><td>Shipping: ${r.shippingMethod?.label ?? ''}</td><td></td><td class="num">${formatMoney(r.shippingCents, r.currency)}</td></tr>` : ''}
<tr><td>Tax</td><td></td><td class="num" id="tax">${formatMoney(r.taxCents, r.currency)}</td></tr>
<tr><th scope="row">Total</th><td></td><th class="num" id="total">${formatMoney(r.totalCents, r.currency)}</th></tr>
</tbody></table>`;
}

function downloads(m: ReorderPageModel): SafeHtml {
  if (m.downloads.length === 0) return html``;
  return html`<section aria-labelledby="dl-title"><h2 id="dl-title">Your digital files</h2><ul class="downloads" id="downloads">
${m.downloads.map(({ grant, url }, n) => {
  const live = grant.revokedAt === null && grant.usesLeft > 0 && m.now < grant.expiresAt;
  return html`<li data-image="${grant.imageId}">${
    live
      ? html`<a class="button" href="${url}" download="${grant.fileName}">Download photo ${n + 1}</a> <span class="meta">${grant.usesLeft} of ${grant.maxUses} downloads left, until ${timeTag(grant.expiresAt, 'datetime')}</span>`
      : html`Photo ${n + 1}: this link has ${grant.revokedAt !== null ? 'been withdrawn' : grant.usesLeft <= 0 ? 'been used up' : 'expired'}.`
  }</li>`;
})}</ul></section>`;
}

export function reorderStatusPage(assets: AssetTable, m: ReorderPageModel): string {
  const { reorder: r, event } = m;
  const h = HEADLINES[r.state];
  const main = html`<h1>Your order from ${event.name}</h1>
<p class="meta">Ordered after the event · ${formatMoney(r.totalCents, r.currency)}</p>
${m.erased ? html`<p class="notice" role="status" id="erased-notice">Your address and download links have been erased.</p>` : ''}
<section id="status" class="status tone-${h.tone}" data-state="${r.state}" aria-live="polite">
<h2 class="status-headline" id="status-headline">${h.headline}</h2>
<p>${h.detail}</p>
${(r.state === 'awaiting_payment' || r.state === 'payment_failed') && r.checkoutUrl ? html`<p><a class="button primary" id="pay" href="${r.checkoutUrl}">Go to the payment page</a></p>` : ''}
${r.trackingNumber ? html`<p class="tracking" id="tracking">Shipped with ${r.carrier ?? 'the carrier'} · tracking number <strong id="tracking-number">${r.trackingNumber}</strong></p>` : ''}
${r.rejectReason ? html`<p id="reject-reason">The lab said: ${r.rejectReason}</p>` : ''}
${r.refundCents !== null ? html`<p id="refund">Refunded ${formatMoney(r.refundCents, r.currency)}.</p>` : ''}
</section>
${downloads(m)}
<section aria-labelledby="items-title"><h2 id="items-title">What you ordered</h2>${lines(r)}</section>
${r.address ? html`<section aria-labelledby="ship-title"><h2 id="ship-title">Shipping to</h2><p>${r.address.name}<br>${r.address.line1}${r.address.line2 ? html`<br>${r.address.line2}` : ''}<br>${r.address.postalCode} ${r.address.city}${r.address.region ? html`, ${r.address.region}` : ''}<br>${r.address.country}</p></section>` : ''}
<section aria-labelledby="privacy-title" class="help"><h2 id="privacy-title">Your data</h2>
<p>We keep your shipping address until ${r.needsShipping ? 'your parcel has shipped plus the retention period stated in our privacy notice' : 'never: this order ships nothing'}. You can erase your address and download links now${r.needsShipping ? ' (once the parcel has shipped)' : ''}; the amount and date stay in our accounts.</p>
${r.erasedAt === null ? html`<form method="post" action="/r/${encodeURIComponent(r.id)}/erase"><button type="submit" id="erase">Erase my data</button></form>` : ''}
</section>`;
  return afterEventPage(assets, 'Your order', main, undefined, { script: 'reorder.js', data: { 'reorder-id': r.id } });
}
