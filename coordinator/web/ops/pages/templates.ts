import type { FeeSettings } from '../../../../shared/policy/template-fees.ts';
import { formatRate } from '../../../../shared/policy/template-fees.ts';
import { html, type SafeHtml } from '../../../../shared/web/html.ts';
import type { EventRecord } from '../../../store/records.ts';
import type { TemplateStats } from '../../../templates/template-service.ts';
import { centsToInput, formatMoney } from '../format.ts';

function windowRows(s: TemplateStats): SafeHtml {
  return html`${s.template.layout.slots.map(
    (w, i) => html`<tr data-window="${i}">
    <th scope="row">${i + 1}</th>
    ${(['x', 'y', 'width', 'height'] as const).map(
      (k) =>
        html`<td><label class="visually-hidden" for="w-${s.template.id}-${i}-${k}">Window ${i + 1} ${k}</label><input id="w-${s.template.id}-${i}-${k}" name="${k}" type="number" min="0" step="1" inputmode="numeric" size="5" value="${w[k]}"></td>`,
    )}
  </tr>`,
  )}`;
}

function templateCard(s: TemplateStats, currency: string): SafeHtml {
  const t = s.template;
  const money = (cents: number) => formatMoney(cents, currency);
  return html`<article class="card template" id="template-${t.id}" data-template="${t.id}" data-media="${t.media}">
<img class="template-preview" src="${t.previewUrl}" width="160" height="${t.media === 'oe_photo-strip_2x6in' ? 480 : 240}" alt="${t.name} with a sample photo">
<div class="stack">
<h3>${t.name}</h3>
<p class="small">${t.mediaLabel} · ${t.photoCount === 1 ? '1 photo window' : `${t.photoCount} photo windows`} · ${t.onFeed ? 'on the printers’ feed' : html`<strong>waiting for the feed</strong>`} · version ${t.version}</p>
<dl class="facts">
<dt>Uses</dt><dd class="uses">${s.uses}</dd>
<dt>Revenue</dt><dd class="revenue">${money(s.revenueCents)}</dd>
<dt>Basic fee</dt><dd>${money(t.basicFeeCents)}</dd>
<dt>Band now</dt><dd class="band">${s.band} (× ${formatRate(s.rate)}): ${money(s.priceNowCents)}</dd>
<dt>Next band</dt><dd class="next-band">${
    s.next
      ? `${s.next.band} from ${s.next.fromUses} uses (${s.next.usesToGo} to go): ${money(s.next.priceCents)}`
      : 'last band'
  }</dd>
</dl>
<details><summary>Adjust photo windows</summary>
<form class="windows stack" novalidate>
<table class="compact"><thead><tr><th scope="col">Window</th><th scope="col">x</th><th scope="col">y</th><th scope="col">Width</th><th scope="col">Height</th></tr></thead>
<tbody>${windowRows(s)}</tbody></table>
<button type="submit" class="secondary">Save windows</button>
<p class="form-message" role="alert" aria-live="assertive"></p>
</form></details>
${
  t.retired
    ? html`<p class="small"><strong>No longer offered.</strong> Orders that have it still print framed.</p>`
    : html`<form class="retire"><button type="submit" class="secondary">Stop offering</button><span class="small"> Orders that have it still print framed.</span>
<p class="form-message" role="alert" aria-live="assertive"></p></form>`
}
</div>
</article>`;
}

export interface FramesAtPrinter {
  name: string;
  /** From the printer's last status report; null: it has not reported this event's frames. */
  held: number | null;
  total: number | null;
}

function printerHoldings(holdings: FramesAtPrinter[], framed: number): SafeHtml {
  if (framed === 0 || holdings.length === 0) return html``;
  return html`<p class="small" id="frames-at-printers">Frames held by the printers (for framed prints with no cloud): ${holdings.map(
    (h, i) =>
      html`${i > 0 ? ', ' : ''}<span class="${h.held !== null && h.held >= framed ? 'ok' : 'warn'}">${h.name} ${h.held ?? 0}/${framed}</span>`,
  )}.</p>`;
}

export function templatesBody(
  event: EventRecord,
  data: { settings: FeeSettings; templates: TemplateStats[] },
  saved: string | null,
  holdings: FramesAtPrinter[] = [],
): SafeHtml {
  const framed = data.templates.filter(
    (s) => s.template.kind === 'frame' && s.template.version > 0 && s.template.onFeed,
  ).length;
  const currency = event.priceList.currency;
  return html`<p class="crumbs"><a href="/ops/events">Events</a> › <a href="/ops/events/${event.id}">${event.name}</a> ›</p>
<h1>Frames and templates for ${event.name}</h1>
${saved ? html`<p class="notice" role="status">${saved}</p>` : ''}
<div class="columns">
<form id="template-upload" class="card stack" data-event="${event.id}" novalidate>
  <h2>Add a frame</h2>
  <p class="small">A PNG of 1200×1800 (4×6 in), 1500×2100 (5×7 in) or 600×1800 (2×6 in strip) pixels, with transparent windows where the photos go: they are found automatically.</p>
  <label for="frame-name">Name</label><input id="frame-name" name="name" required maxlength="60">
  <label for="frame-fee">Basic fee per print</label><input id="frame-fee" name="fee" inputmode="decimal" required value="${centsToInput(200)}" size="8">
  <label for="frame-file">Frame PNG</label><input id="frame-file" name="file" type="file" accept="image/png" required>
  <button type="submit">Add frame</button>
  <p class="form-message" role="alert" aria-live="assertive"></p>
</form>
<form id="fee-table" class="card stack" data-event="${event.id}" novalidate>
  <h2>Fee-rate table</h2>
  <label for="active-table">Active table</label>
  <select id="active-table" name="table">${data.settings.tables.map(
    (t) =>
      html`<option value="${t.id}"${t.id === data.settings.activeTableId ? html` selected` : ''}>${t.name}: ${t.bands
        .map((b) => `from ${b.fromUses} × ${formatRate(b.rate)}`)
        .join(', ')}</option>`,
  )}</select>
  <p class="small">Customers: ${data.settings.customerTable.bands.map((b) => `${b.label} from ${b.fromUses} prints × ${formatRate(b.rate)}`).join('; ')}.</p>
  <button type="submit">Switch table</button>
  <p class="small">A change applies to new quotes only: orders and carts already quoted keep their price.</p>
  <p class="form-message" role="alert" aria-live="assertive"></p>
</form>
</div>
<details class="card" id="fee-tables-details"><summary>Edit the fee-rate tables and the customer table</summary>
<form id="fee-tables" class="stack" data-event="${event.id}" novalidate>
  <label for="tables-json">Tables (JSON: each band starts at a use count, rising from 0; rates 0.1 to 5, at most three decimals; a customer band may name the table its customers are priced by)</label>
  <textarea id="tables-json" name="tables" rows="16" spellcheck="false">${JSON.stringify({ tables: data.settings.tables, customerTable: data.settings.customerTable }, null, 2)}</textarea>
  <button type="submit">Save tables</button>
  <p class="form-message" role="alert" aria-live="assertive"></p>
</form></details>
<h2 id="templates-heading">Templates (${data.templates.length})</h2>
${printerHoldings(holdings, framed)}
${data.templates.length === 0 ? html`<p class="muted">No templates yet: add a frame above.</p>` : ''}
<div class="templates">${data.templates.map((s) => templateCard(s, currency))}</div>`;
}
