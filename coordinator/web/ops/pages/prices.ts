import { type PriceList, priceOrder } from '../../../../shared/policy/pricing.ts';
import { html, type SafeHtml } from '../../../../shared/web/html.ts';
import type { EventRecord } from '../../../store/records.ts';
import { centsToInput, formatMoney } from '../format.ts';

/** Print counts the "what fans pay" table prices, so a bundle mistake shows before fans see it. */
const QUOTE_PRINT_COUNTS = [1, 2, 3, 4, 5, 10];
/** Empty bundle rows offered for new bundles. */
const SPARE_BUNDLE_ROWS = 2;

function bundleRow(i: number, bundle: { copies: number; priceCents: number } | null): SafeHtml {
  return html`<tr>
  <td><label class="visually-hidden" for="b-copies-${i}">Prints in bundle ${i + 1}</label>
  <input id="b-copies-${i}" name="copies" type="number" min="2" max="500" step="1" inputmode="numeric" value="${bundle?.copies ?? ''}"></td>
  <td><label class="visually-hidden" for="b-price-${i}">Price of bundle ${i + 1}</label>
  <input id="b-price-${i}" name="price" inputmode="decimal" value="${bundle ? centsToInput(bundle.priceCents) : ''}"></td>
</tr>`;
}

function quotes(list: PriceList): SafeHtml {
  return html`<table class="compact">
  <caption>What fans pay now</caption>
  <thead><tr><th scope="col" class="num">Prints</th><th scope="col" class="num">Total</th><th scope="col">How</th></tr></thead>
  <tbody>${QUOTE_PRINT_COUNTS.map((n) => {
    const q = priceOrder(list, [{ imageId: 'x', copies: n }]);
    const how = q.applied
      .map((a) => (a.kind === 'bundle' ? `${a.times} × bundle of ${a.copies}` : `${a.times} single`))
      .join(' + ');
    return html`<tr><td class="num">${n}</td><td class="num">${formatMoney(q.totalCents, q.currency)}</td><td>${how}</td></tr>`;
  })}</tbody></table>`;
}

export function pricesBody(event: EventRecord, saved: boolean): SafeHtml {
  const list = event.priceList;
  const rows = [...list.bundles, ...Array.from({ length: SPARE_BUNDLE_ROWS }, () => null)];
  return html`<p class="crumbs"><a href="/ops/events">Events</a> › <a href="/ops/events/${event.id}">${event.name}</a> ›</p>
<h1>Prices for ${event.name}</h1>
${saved ? html`<p class="notice" role="status">Prices saved.</p>` : ''}
<div class="columns">
<form id="price-list" class="card stack" data-event="${event.id}" novalidate>
  <div class="row">
    <div class="stack"><label for="currency">Currency</label>
    <input id="currency" name="currency" value="${list.currency}" required pattern="[A-Z]{3}" maxlength="3" size="4" aria-describedby="currency-hint">
    <span id="currency-hint" class="small">ISO code, e.g. EUR</span></div>
    <div class="stack"><label for="unit-price">Price of one print</label>
    <input id="unit-price" name="unitPrice" inputmode="decimal" required value="${centsToInput(list.unitPriceCents)}" size="8"></div>
  </div>
  <fieldset>
    <legend>Bundles <span class="hint">(leave a row empty to remove it)</span></legend>
    <table class="compact bundles">
      <thead><tr><th scope="col">Prints</th><th scope="col">Bundle price</th></tr></thead>
      <tbody id="bundle-rows">${rows.map((b, i) => bundleRow(i, b))}</tbody>
    </table>
    <button type="button" id="add-bundle" class="secondary">Add a bundle row</button>
  </fieldset>
  <button type="submit">Save prices</button>
  <p class="form-message" role="alert" aria-live="assertive"></p>
  <p class="small">Orders already placed keep the price they were quoted.</p>
</form>
<div class="card">${quotes(list)}</div>
</div>`;
}
