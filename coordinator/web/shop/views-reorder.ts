import { type AfterEventPriceList, PRODUCT_IDS, PRODUCTS } from '../../../shared/policy/after-event-pricing.ts';
import { COUNTRY_RULES } from '../../../shared/policy/shipping-address.ts';
import { html, page, type SafeHtml } from '../../../shared/web/html.ts';
import type { EventRecord, ImageRecord, OrderRecord } from '../../store/records.ts';
import type { AssetTable } from './assets.ts';
import { formatMoney, timeTag } from './format.ts';
import { dataAttributes } from './layout.ts';

/** Photos listed on the reorder form at most (the rest are reached by the gallery's filters). */
export const MAX_REORDER_PHOTOS_SHOWN = 200;
const ADDRESS_FIELDS = [
  ['name', 'Full name', 'name'],
  ['line1', 'Street and number', 'address-line1'],
  ['line2', 'Flat, floor (optional)', 'address-line2'],
  ['city', 'Town or city', 'address-level2'],
  ['region', 'State / province / region', 'address-level1'],
  ['postalCode', 'Postal code', 'postal-code'],
  ['phone', 'Phone for the courier (optional)', 'tel'],
] as const;

/** Shop pages of the after-event part: shop.css plus reorder.css, same CSP and layout as the shop. */
export function afterEventPage(
  assets: AssetTable,
  title: string,
  main: SafeHtml,
  backLink?: SafeHtml,
  opts: { script?: string; data?: Record<string, string> } = {},
): string {
  return page({
    title: `${title} · Event photos`,
    styles: [assets.url('shop.css'), assets.url('reorder.css')],
    scripts: opts.script ? [assets.url(opts.script)] : [],
    body: html`<a class="skip" href="#main">Skip to content</a>
<header class="bar"><a class="brand" href="/">Event photos</a>${backLink ?? ''}</header>
<main id="main" tabindex="-1"${dataAttributes(opts.data ?? {})}>
${main}
</main>
<footer class="foot"><p>Prints ordered after the event are made by our photo lab and posted to you. Digital files are the full-resolution originals.</p></footer>`,
  });
}

export interface ReorderFormModel {
  event: EventRecord;
  priceList: AfterEventPriceList;
  closesAt: number;
  source: OrderRecord | null;
  images: ImageRecord[];
  /** Values the fan entered (kept when the form comes back with problems). */
  values: Record<string, string>;
  problems: string[];
}

function qtyInputs(m: ReorderFormModel, imageId: string): SafeHtml {
  return html`${PRODUCT_IDS.filter((p) => m.priceList.products[p] !== undefined).map((p) => {
    const name = `q:${imageId}:${p}`;
    return html`<label class="qty"><span>${PRODUCTS[p].label} · ${formatMoney(m.priceList.products[p]!, m.priceList.currency)}</span>
<input type="number" name="${name}" min="0" max="20" step="1" inputmode="numeric" value="${m.values[name] ?? ''}" data-product="${p}"></label>`;
  })}`;
}

function photoCard(m: ReorderFormModel, image: ImageRecord, n: number, mine: boolean): SafeHtml {
  return html`<li class="reorder-photo" data-image="${image.id}">
<img src="/media/images/${encodeURIComponent(image.id)}/thumbnail.jpg" alt="Photo ${n + 1}${mine ? ' (in your order)' : ''}" loading="lazy" width="320" height="240">
<details${mine ? html` open` : ''}><summary>Photo ${n + 1}${mine ? ' · yours' : ''}</summary>${qtyInputs(m, image.id)}</details>
</li>`;
}

function addressBlock(m: ReorderFormModel): SafeHtml {
  const v = m.values;
  const countries = Object.entries(COUNTRY_RULES).sort((a, b) => a[1].name.localeCompare(b[1].name));
  return html`<fieldset class="address" id="address"><legend>Shipping (prints and canvas only)</legend>
${ADDRESS_FIELDS.map(
  ([k, label, auto]) =>
    html`<label>${label}<input name="address.${k}" autocomplete="${auto}" maxlength="120" value="${v[`address.${k}`] ?? ''}"></label>`,
)}
<label>Country<select name="address.country" autocomplete="country"><option value="">Choose…</option>${countries.map(
    ([code, rule]) =>
      html`<option value="${code}"${v['address.country'] === code ? html` selected` : ''}>${rule.name}</option>`,
  )}</select></label>
<p>Shipping method</p>
${m.priceList.shipping.map(
  (s, i) =>
    html`<label class="choice"><input type="radio" name="shipping" value="${s.id}"${
      (v.shipping ?? (i === 0 ? s.id : '')) === s.id ? html` checked` : ''
    }> <span>${s.label} · ${formatMoney(s.feeCents, m.priceList.currency)}</span></label>`,
)}
${m.priceList.taxBasisPoints > 0 ? html`<p class="meta">Prices plus ${m.priceList.taxBasisPoints / 100} % tax, shown before you pay.</p>` : html`<p class="meta">Prices include tax.</p>`}
</fieldset>`;
}

/** "Order more of these": every photo of the event with the lab's products and digital files. */
export function reorderFormPage(assets: AssetTable, m: ReorderFormModel): string {
  const mineIds = new Set(m.source?.items.map((i) => i.imageId) ?? []);
  const mine = m.images.filter((i) => mineIds.has(i.id));
  const others = m.images.filter((i) => !mineIds.has(i.id)).slice(0, MAX_REORDER_PHOTOS_SHOWN);
  const action = `/e/${encodeURIComponent(m.event.id)}/reorder`;
  const main = html`<h1>Order more from ${m.event.name}</h1>
<p class="meta">Larger prints, canvas and digital files, until ${timeTag(m.closesAt, 'datetime')}.</p>
${m.problems.length > 0 ? html`<div class="problems" role="alert" id="problems"><p><strong>Please check:</strong></p><ul>${m.problems.map((p) => html`<li>${p}</li>`)}</ul></div>` : ''}
<form method="post" action="${action}" id="reorder-form">
${m.source ? html`<input type="hidden" name="from" value="${m.source.id}">` : ''}
${
  mine.length > 0
    ? html`<section aria-labelledby="mine-title"><h2 id="mine-title">Your photos</h2><ul class="reorder-photos">${mine.map((img, n) => photoCard(m, img, n, true))}</ul>
${
  m.priceList.bundlePriceCents !== null
    ? html`<label class="choice" id="bundle-label"><input type="checkbox" name="bundle" value="1"${m.values.bundle ? html` checked` : ''}> <span>All my photos as digital files (${mine.length}) · ${formatMoney(m.priceList.bundlePriceCents, m.priceList.currency)}</span></label>`
    : ''
}</section>`
    : ''
}
<section aria-labelledby="more-title"><h2 id="more-title">${mine.length > 0 ? 'More photos of this event' : 'Photos of this event'}</h2>
<ul class="reorder-photos">${others.map((img, n) => photoCard(m, img, n + mine.length, false))}</ul></section>
${addressBlock(m)}
<p><button type="submit" class="primary" id="reorder-submit">Continue to payment</button></p>
</form>`;
  return afterEventPage(assets, 'Order more', main, html`<a class="bar-link" href="/find">Find my order</a>`);
}

export function findOrderPage(assets: AssetTable, problem: string | null, code: string): string {
  const main = html`<h1>Find your order</h1>
<p>Type the code from your order page or receipt to see your photos again and order more.</p>
${problem ? html`<p class="error" role="alert" id="find-problem">${problem}</p>` : ''}
<form method="get" action="/find"><label class="field">Order code <input name="code" id="code-input" autocomplete="off" maxlength="20" value="${code}"></label>
<button type="submit" class="primary">Find</button></form>`;
  return afterEventPage(assets, 'Find your order', main);
}

/** On the venue order's page: "order more of these", "buy the digital file", and reorders made from it. */
export function afterEventSection(
  order: OrderRecord,
  offer: {
    open: boolean;
    closesAt: number;
    reorders: Array<{ id: string; state: string; totalCents: number; currency: string }>;
  },
): SafeHtml {
  const href = `/e/${encodeURIComponent(order.eventId)}/reorder?from=${encodeURIComponent(order.id)}`;
  return html`<section class="after-event" id="after-event" aria-labelledby="after-event-title">
<h2 id="after-event-title">After the event</h2>
${
  offer.open
    ? html`<p>Larger prints (5×7, 8×10, posters), canvas and the full-resolution files of this event's photos, posted or downloaded, until ${timeTag(offer.closesAt, 'datetime')}.</p>
<p class="reorder-links"><a class="button primary" id="order-more" href="${href}">Order more of these</a> <a class="button" id="buy-digital" href="${href}#mine-title">Buy the digital files</a></p>`
    : html`<p>Reorders for this event have closed.</p>`
}
${
  offer.reorders.length > 0
    ? html`<ul id="reorders">${offer.reorders.map(
        (r) =>
          html`<li><a href="/r/${encodeURIComponent(r.id)}">Order of ${formatMoney(r.totalCents, r.currency)}</a> · ${r.state.replace(/_/g, ' ')}</li>`,
      )}</ul>`
    : ''
}
</section>`;
}

/** On an ended event's gallery: the venue printers are done, the lab is not. */
export function reorderGalleryNotice(eventId: string): SafeHtml {
  return html`<p class="notice" id="reorder-notice">This event has ended. <a href="/e/${encodeURIComponent(eventId)}/reorder">Order prints, canvas or digital files of its photos</a>, posted to you or downloaded. Have an order code? <a href="/find">Find your order</a>.</p>`;
}
