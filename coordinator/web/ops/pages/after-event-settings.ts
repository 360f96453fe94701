import { PRODUCT_IDS, PRODUCTS, type ProductId } from '../../../../shared/policy/after-event-pricing.ts';
import { html, type SafeHtml } from '../../../../shared/web/html.ts';
import type { AfterEventSettings } from '../../../after-event/records.ts';
import type { EventRecord } from '../../../store/records.ts';
import { centsToInput, formatDateTime } from '../format.ts';

/** Parses "12.50" / "12,50" / "12" into cents; null when it is not an amount. */
export function inputToCents(text: string): number | null {
  const m = /^\s*(\d{1,7})(?:[.,](\d{1,2}))?\s*$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '0').padEnd(2, '0'));
}

/**
 * The settings form as the settings API's input: empty product prices mean "not sold". Returns the
 * fields it could not read instead, for the page to name.
 */
export function settingsFromForm(
  current: AfterEventSettings,
  form: Record<string, unknown>,
): { input: unknown } | { problems: string[] } {
  const text = (k: string) => (typeof form[k] === 'string' ? (form[k] as string).trim() : '');
  const problems: string[] = [];
  const products: Partial<Record<ProductId, number>> = {};
  for (const p of PRODUCT_IDS) {
    const v = text(`price.${p}`);
    if (v === '') continue;
    const cents = inputToCents(v);
    if (cents === null) problems.push(`${PRODUCTS[p].label}: "${v}" is not an amount`);
    else products[p] = cents;
  }
  const bundle = text('bundle');
  const bundleCents = bundle === '' ? null : inputToCents(bundle);
  if (bundle !== '' && bundleCents === null) problems.push(`All-my-photos bundle: "${bundle}" is not an amount`);
  const shipping = current.priceList.shipping.map((s) => {
    const v = text(`ship.${s.id}`);
    const cents = inputToCents(v);
    if (cents === null) problems.push(`${s.label}: "${v}" is not an amount`);
    return { ...s, feeCents: cents ?? s.feeCents };
  });
  const days = Number(text('windowDays'));
  if (!Number.isInteger(days) || days < 0 || days > 365) problems.push('Reorder window: 0 to 365 days');
  const tax = Number(text('taxPercent').replace(',', '.'));
  if (!Number.isFinite(tax) || tax < 0 || tax > 100) problems.push('Tax: 0 to 100 %');
  if (problems.length > 0) return { problems };
  return {
    input: {
      reorderWindowDays: days,
      priceList: {
        currency: current.priceList.currency,
        products,
        bundlePriceCents: bundleCents,
        shipping,
        taxBasisPoints: Math.round(tax * 100),
      },
    },
  };
}

export function afterEventSettingsBody(
  event: EventRecord,
  settings: AfterEventSettings,
  closesAt: number,
  notice: { saved: boolean; problems: string[] },
): SafeHtml {
  const list = settings.priceList;
  const money = (cents: number | undefined | null) =>
    cents === undefined || cents === null ? '' : centsToInput(cents);
  return html`<p class="crumbs"><a href="/ops/events">Events</a> › <a href="/ops/events/${event.id}">${event.name}</a> ›</p>
<h1>After the event: ${event.name}</h1>
${notice.saved ? html`<p class="notice" role="status" id="settings-saved">Saved.</p>` : ''}
${notice.problems.length > 0 ? html`<div class="notice" role="alert" id="settings-problems"><ul>${notice.problems.map((p) => html`<li>${p}</li>`)}</ul></div>` : ''}
<p>Fans can order prints, canvas and digital files of this event's photos until <strong>${formatDateTime(closesAt)}</strong>${
    settings.mastersPurgedAt !== null
      ? html` (closed; unsold photos were deleted ${formatDateTime(settings.mastersPurgedAt)})`
      : ''
  }. Leave a price empty to not sell that product. Prices are in ${list.currency}.</p>
<form method="post" action="/ops/events/${event.id}/after-event" class="card stack" id="after-event-settings">
  <label for="windowDays">Reorder window (days after the event ends)</label>
  <input id="windowDays" name="windowDays" type="number" min="0" max="365" value="${settings.reorderWindowDays}">
  <table class="compact"><thead><tr><th scope="col">Product</th><th scope="col">Price</th></tr></thead><tbody>
  ${PRODUCT_IDS.map(
    (p) =>
      html`<tr><td><label for="price-${p}">${PRODUCTS[p].label}</label></td><td><input id="price-${p}" name="price.${p}" inputmode="decimal" size="8" value="${money(list.products[p])}"></td></tr>`,
  )}
  <tr><td><label for="bundle">All my photos (digital bundle)</label></td><td><input id="bundle" name="bundle" inputmode="decimal" size="8" value="${money(list.bundlePriceCents)}"></td></tr>
  ${list.shipping.map(
    (s) =>
      html`<tr><td><label for="ship-${s.id}">Shipping: ${s.label}</label></td><td><input id="ship-${s.id}" name="ship.${s.id}" inputmode="decimal" size="8" value="${money(s.feeCents)}"></td></tr>`,
  )}
  <tr><td><label for="taxPercent">Tax on goods and shipping (%; 0 when prices include it)</label></td><td><input id="taxPercent" name="taxPercent" inputmode="decimal" size="6" value="${list.taxBasisPoints / 100}"></td></tr>
  </tbody></table>
  <button type="submit">Save</button>
</form>`;
}
