import { html, type SafeHtml } from '../../../shared/web/html.ts';
import type { OrderStatusView } from '../../services/order-status.ts';
import type { EventRecord, OrderRecord } from '../../store/records.ts';
import type { AssetTable } from './assets.ts';
import { formatMoney, timeTag } from './format.ts';
import { shopPage } from './layout.ts';
import { galleryPath } from './views-gallery.ts';

export const QR_DISPLAY_PIXELS = 320;

export function orderPath(orderId: string): string {
  return `/o/${encodeURIComponent(orderId)}`;
}

function qrUrl(orderId: string): string {
  return `/api/orders/${encodeURIComponent(orderId)}/qr.svg`;
}

export interface OrderPageModel {
  order: OrderRecord;
  event: EventRecord;
  status: OrderStatusView;
  codeExpiresAt: number;
}

/** The fan's ticket: QR large on white, the short code beneath it in big type for typing. */
function ticket(m: OrderPageModel): SafeHtml {
  const { status, order } = m;
  const qr = status.redeemable ? qrUrl(order.id) : null;
  return html`<section id="ticket" class="ticket" aria-labelledby="ticket-title"${status.code ? '' : html` hidden`}>
<h2 id="ticket-title" class="visually-hidden">Your code</h2>
<div class="qr-box" id="qr-box"${qr ? '' : html` hidden`}><img id="qr" class="qr" ${qr ? html`src="${qr}"` : ''} data-src="${qrUrl(order.id)}" width="${QR_DISPLAY_PIXELS}" height="${QR_DISPLAY_PIXELS}" alt="QR code of your order, to show at a photo printer"></div>
<p class="code-label" id="code-label">No scanner? Type this code at the printer:</p>
<p class="code" id="code" aria-describedby="code-label">${status.code ?? ''}</p>
<p class="code-expiry">Valid until ${timeTag(m.codeExpiresAt, 'datetime')}. Keep this page or take a screenshot.</p>
</section>`;
}

function statusBlock(status: OrderStatusView): SafeHtml {
  const payLabel = status.state === 'awaiting_payment' ? 'Go to the payment page' : 'Try paying again';
  return html`<section id="status" class="status tone-${status.tone}" aria-labelledby="status-title" aria-live="polite">
<h2 id="status-title" class="status-headline">${status.headline}</h2>
<p id="status-detail">${status.detail}</p>
<p id="status-progress" class="progress-line"${status.state === 'redeeming' || status.state === 'fulfilled' ? '' : html` hidden`}><progress id="progress" max="${status.unitCount}" value="${status.printedCount}" aria-label="Prints done">${status.printedCount} of ${status.unitCount}</progress></p>
<div class="actions">
<button type="button" id="pay-again" class="primary"${status.action === 'pay_again' ? '' : html` hidden`}>${payLabel}</button>
<button type="button" id="order-again" class="primary"${status.action === 'order_again' ? '' : html` hidden`}>Order these photos again</button>
</div>
<p id="action-error" class="error" role="alert"></p>
</section>`;
}

/** Where to print now (issue #16): filled and kept live by routing-hint.js while the order has prints to collect. */
function routing(): SafeHtml {
  return html`<section id="routing" class="routing" aria-labelledby="routing-title" aria-live="polite" hidden>
<h2 id="routing-title">Where to print now</h2>
<p id="routing-text" class="routing-best"></p>
<ul id="routing-list" class="routing-list"></ul>
</section>`;
}

function items(order: OrderRecord): SafeHtml {
  return html`<ul class="order-items">${order.items.map(
    // Numbered as the printer's receipt numbers them, so staff and fan can point at the same photo.
    (i, n) =>
      i.template
        ? framedItem(i, n)
        : html`<li><img src="/media/images/${encodeURIComponent(i.imageId)}/thumbnail.jpg" loading="lazy" width="80" height="80" alt="Photo ${n + 1} of your order"><span><strong>Photo ${n + 1}</strong> · ${i.copies === 1 ? '1 copy' : `${i.copies} copies`}</span></li>`,
  )}</ul>`;
}

/** Issue #14: a framed print shows itself framed, names its template and states its fee as priced. */
function framedItem(i: OrderRecord['items'][number], n: number): SafeHtml {
  const t = i.template!;
  const query = new URLSearchParams({ images: [i.imageId, ...t.moreImageIds].join(',') });
  if (t.caption) query.set('caption', t.caption);
  const preview = `/api/templates/${encodeURIComponent(t.templateId)}/preview.jpg?${query}`;
  return html`<li class="framed"><img src="${preview}" loading="lazy" width="80" height="120" alt="Photo ${n + 1} of your order in ${t.name}"><span><strong>Photo ${n + 1}</strong> · ${t.name} · ${i.copies === 1 ? '1 copy' : `${i.copies} copies`}<br><span class="fee-line">${t.feeLine}${i.copies > 1 ? ` (each)` : ''}</span></span></li>`;
}

function help(m: OrderPageModel): SafeHtml {
  return html`<section class="help" aria-labelledby="help-title">
<h2 id="help-title">If something goes wrong</h2>
<details><summary>My payment was declined</summary><p>Nothing was charged. Use “Try paying again” above, with the same or another card. If it keeps failing, your bank may be blocking the payment: ask the staff at the photo desk.</p></details>
<details><summary>The printer does not read my QR code</summary><p>Turn your screen brightness up and hold the phone still, about a hand’s width from the scanner. Or type the code shown under the QR code. No camera is needed on your phone.</p></details>
<details><summary>The printer stopped, or my prints did not come out</summary><p>Show your code at another photo printer: it prints only what is missing, and you are not charged again. This page shows what was printed. The staff at the photo desk can help too.</p></details>
<details><summary>My code has expired</summary><p>Codes work until ${timeTag(m.codeExpiresAt, 'datetime')}. After that, ask the staff at the photo desk and give them your code.</p></details>
<details><summary>I might lose this page</summary><p>This page’s address is your receipt. Bookmark it or take a screenshot of the code. The shop’s start page lists the orders made on this phone.</p></details>
</section>`;
}

/** `afterEvent`: the reorder offer (issue #15), when the coordinator has that part. */
export function orderPage(assets: AssetTable, m: OrderPageModel, afterEvent?: SafeHtml): string {
  const { order, event } = m;
  return shopPage(assets, {
    title: 'Your order',
    script: 'order.js',
    data: {
      'order-id': order.id,
      'event-id': event.id,
      'event-name': event.name,
      state: order.state,
      label: m.status.label,
      final: m.status.final ? 'true' : 'false',
      // "Order again" sends these back as a cart: a template as chosen, priced anew.
      items: JSON.stringify(
        order.items.map((i) => ({
          imageId: i.imageId,
          copies: i.copies,
          ...(i.template
            ? {
                template: {
                  templateId: i.template.templateId,
                  moreImageIds: i.template.moreImageIds,
                  caption: i.template.caption,
                },
              }
            : {}),
        })),
      ),
    },
    header: html`<a class="bar-link" href="${galleryPath(event.id)}">Photos</a>`,
    main: html`<h1>Your order</h1>
<p class="meta">${event.name} · ${order.unitCount === 1 ? '1 print' : `${order.unitCount} prints`} · ${formatMoney(order.totalCents, order.currency)}</p>
${statusBlock(m.status)}
${routing()}
${ticket(m)}
${afterEvent ?? ''}
<section aria-labelledby="items-title"><h2 id="items-title">Photos</h2>${items(order)}</section>
${help(m)}`,
  });
}
