import { html, type SafeHtml } from '../../../shared/web/html.ts';
import { PREVIEW_LONG_EDGE_PIXELS, THUMBNAIL_LONG_EDGE_PIXELS } from '../../media/image-pipeline.ts';
import type { ImageFilter } from '../../services/image-query.ts';
import type { EventRecord, ImageRecord } from '../../store/records.ts';
import type { AssetTable } from './assets.ts';
import { fitLongEdge, formatUtcDateTime, formatUtcTime, timeTag } from './format.ts';
import { shopPage } from './layout.ts';

export const GALLERY_PAGE_SIZE = 48;
/** The time filter offers at most this many moments; longer events get a coarser step. */
export const MAX_TIME_OPTIONS = 48;
const TIME_STEP_MS = 15 * 60_000;

export interface GalleryModel {
  event: EventRecord;
  /** The reorder notice once the event has ended (issue #15), when the coordinator has that part. */
  afterEvent?: SafeHtml | undefined;
  photographers: string[];
  filter: Pick<ImageFilter, 'photographer' | 'from' | 'to'>;
  images: ImageRecord[];
  nextCursor: string | null;
  /** Images matching the filter, over all pages. */
  matching: number;
  now: number;
  maxCopies: number;
  /** Issue #14: templates offered at this event (the cart loads its frame choice only when > 0). */
  templateCount?: number;
}

export function imagePath(eventId: string, imageId: string): string {
  return `/e/${encodeURIComponent(eventId)}/photo/${encodeURIComponent(imageId)}`;
}

export function galleryPath(eventId: string, params: Record<string, string | number | undefined> = {}): string {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) query.set(k, String(v));
  const qs = query.toString();
  return `/e/${encodeURIComponent(eventId)}${qs ? `?${qs}` : ''}`;
}

function photoAlt(image: ImageRecord): string {
  return `Photo by ${image.photographer ?? 'an unnamed photographer'}, ${formatUtcTime(image.createdAt)}`;
}

export function thumbnailTile(image: ImageRecord): SafeHtml {
  const thumb = fitLongEdge(image.width, image.height, THUMBNAIL_LONG_EDGE_PIXELS);
  const preview = fitLongEdge(image.width, image.height, PREVIEW_LONG_EDGE_PIXELS);
  const id = encodeURIComponent(image.id);
  return html`<li class="tile"><a href="${imagePath(image.eventId, image.id)}" data-image="${image.id}" data-t="${image.createdAt}" data-by="${image.photographer ?? ''}" data-pw="${preview.width}" data-ph="${preview.height}"><img src="/media/images/${id}/thumbnail.jpg" loading="lazy" decoding="async" width="${thumb.width}" height="${thumb.height}" alt="${photoAlt(image)}"></a></li>`;
}

/** Moments from the event's start to its end (or now, if sooner), on a quarter-hour grid. */
export function timeOptions(event: EventRecord, now: number): number[] {
  const start = Math.floor(event.startsAt / TIME_STEP_MS) * TIME_STEP_MS;
  const end = Math.max(start, Math.min(event.endsAt, now));
  const steps = Math.ceil((end - start) / TIME_STEP_MS);
  const step = TIME_STEP_MS * Math.max(1, Math.ceil(steps / (MAX_TIME_OPTIONS - 1)));
  const out: number[] = [];
  for (let t = start; t <= end + step - 1 && out.length < MAX_TIME_OPTIONS; t += step) out.push(t);
  return out;
}

function timeSelect(name: 'from' | 'to', label: string, moments: number[], selected: number | undefined): SafeHtml {
  // A moment from a shared link that is not on the grid is still shown as chosen.
  const all =
    selected !== undefined && !moments.includes(selected) ? [...moments, selected].sort((a, b) => a - b) : moments;
  return html`<label class="field"><span>${label}</span><select name="${name}" id="filter-${name}">
<option value="">Any time</option>${all.map(
    (t) =>
      html`<option value="${t}" data-t="${t}"${t === selected ? html` selected` : ''}>${formatUtcDateTime(t)}</option>`,
  )}</select></label>`;
}

function isFiltered(m: GalleryModel): boolean {
  return m.filter.photographer !== undefined || m.filter.from !== undefined || m.filter.to !== undefined;
}

/** A photographer named by a shared link but without photos (yet) is still shown as chosen. */
function photographerChoices(m: GalleryModel): string[] {
  const chosen = m.filter.photographer;
  return chosen !== undefined && !m.photographers.includes(chosen) ? [...m.photographers, chosen] : m.photographers;
}

function emptyMessage(m: GalleryModel, live: boolean): string {
  const wait = live ? ' Stay on this page: new photos show up by themselves.' : '';
  return isFiltered(m) ? `No photos match these filters.${wait}` : `No photos here yet.${wait}`;
}

function filters(m: GalleryModel): SafeHtml {
  const moments = timeOptions(m.event, m.now);
  const active = isFiltered(m);
  return html`<form class="filters" method="get" action="${galleryPath(m.event.id)}" role="search" aria-label="Filter photos">
<label class="field"><span>Photographer</span><select name="photographer" id="filter-photographer">
<option value="">Everyone</option>${photographerChoices(m).map(
    (p) => html`<option value="${p}"${p === m.filter.photographer ? html` selected` : ''}>${p}</option>`,
  )}</select></label>
${timeSelect('from', 'Taken after', moments, m.filter.from)}
${timeSelect('to', 'Taken before', moments, m.filter.to)}
<div class="filter-actions"><button type="submit">Show photos</button>${
    active ? html` <a href="${galleryPath(m.event.id)}">Clear filters</a>` : ''
  }</div>
</form>`;
}

export function galleryPage(assets: AssetTable, m: GalleryModel): string {
  const { event } = m;
  const live = event.startsAt <= m.now && m.now < event.endsAt;
  const moreHref = m.nextCursor
    ? galleryPath(event.id, {
        photographer: m.filter.photographer,
        from: m.filter.from,
        to: m.filter.to,
        cursor: m.nextCursor,
      })
    : null;
  return shopPage(assets, {
    title: event.name,
    script: 'gallery.js',
    data: {
      'event-id': event.id,
      since: m.now,
      'max-copies': m.maxCopies,
      currency: event.priceList.currency,
      templates: m.templateCount ?? 0,
    },
    header: html`<button type="button" id="cart-open" class="cart-button" aria-haspopup="dialog" aria-controls="cart" hidden>Cart <span class="count" id="cart-count">0</span></button>`,
    main: html`<h1>${event.name}</h1>
<p class="meta">${timeTag(event.startsAt, 'datetime')} – ${timeTag(event.endsAt, 'time')}${live ? html` <span class="badge">Live</span>` : ''}</p>
${m.afterEvent ?? ''}
<noscript><p class="notice">Turn on JavaScript to add photos to a cart and pay.</p></noscript>
${filters(m)}
<p class="count-line"><span id="photo-count" data-count="${m.matching}">${m.matching === 1 ? '1 photo' : `${m.matching} photos`}</span>${live ? ' · new photos appear while the event runs' : ''}</p>
<div class="new-photos" aria-live="polite"><button type="button" id="show-new" class="primary" hidden></button></div>
${m.images.length === 0 ? html`<p class="empty" id="empty">${emptyMessage(m, live)}</p>` : ''}
<ul class="grid" id="grid">${m.images.map(thumbnailTile)}</ul>
${moreHref ? html`<p class="more"><a id="more" class="button" href="${moreHref}" data-cursor="${m.nextCursor!}">More photos</a></p>` : ''}`,
    after: html`${viewerDialog()}${cartDialog(m.maxCopies)}`,
  });
}

function viewerDialog(): SafeHtml {
  return html`<dialog id="viewer" class="sheet viewer" aria-labelledby="viewer-title">
<div class="sheet-head"><h2 id="viewer-title">Photo</h2><button type="button" class="close" data-close aria-label="Close photo">×</button></div>
<img id="viewer-img" alt="" width="1200" height="800">
<p id="viewer-status" class="status-line" role="status"></p>
<div class="sheet-actions">
<button type="button" id="viewer-prev" class="step" aria-label="Previous photo">‹</button>
<button type="button" id="viewer-add" class="primary">Add to cart</button>
<button type="button" id="viewer-next" class="step" aria-label="Next photo">›</button>
</div>
</dialog>`;
}

function cartDialog(maxCopies: number): SafeHtml {
  return html`<dialog id="cart" class="sheet" aria-labelledby="cart-title">
<div class="sheet-head"><h2 id="cart-title">Your cart</h2><button type="button" class="close" data-close aria-label="Close cart">×</button></div>
<p id="cart-empty">Your cart is empty. Tap a photo, then “Add to cart”.</p>
<ul id="cart-items" class="cart-items"></ul>
<ul id="cart-breakdown" class="cart-breakdown" aria-label="Bundles"></ul>
<p id="cart-total" class="total" aria-live="polite"></p>
<p id="cart-error" class="error" role="alert"></p>
<div class="sheet-actions"><button type="button" id="checkout" class="primary" disabled>Pay</button></div>
</dialog>
<template id="cart-item-template"><li class="cart-item"><img alt="" width="64" height="64">
<label class="field"><span>Copies<span class="visually-hidden"></span></span><input type="number" min="1" max="${maxCopies}" step="1" inputmode="numeric"></label>
<span class="price"></span>
<button type="button" class="remove">Remove</button>
<div class="frame" hidden><label class="field"><span>Frame</span><select class="frame-select"></select></label>
<div class="frame-extra"></div><img class="frame-preview" alt="" width="160" height="240" hidden>
<p class="frame-fee" aria-live="polite"></p></div></li></template>`;
}

export function photoPage(
  assets: AssetTable,
  event: EventRecord,
  image: ImageRecord,
  maxCopies: number,
  templateCount = 0,
): string {
  const preview = fitLongEdge(image.width, image.height, PREVIEW_LONG_EDGE_PIXELS);
  return shopPage(assets, {
    title: `Photo · ${event.name}`,
    script: 'gallery.js',
    data: {
      'event-id': event.id,
      'image-id': image.id,
      'max-copies': maxCopies,
      currency: event.priceList.currency,
      templates: templateCount,
    },
    header: html`<button type="button" id="cart-open" class="cart-button" aria-haspopup="dialog" aria-controls="cart" hidden>Cart <span class="count" id="cart-count">0</span></button>`,
    main: html`<p><a href="${galleryPath(event.id)}">‹ All photos of ${event.name}</a></p>
<h1>Photo by ${image.photographer ?? 'an unnamed photographer'}, ${timeTag(image.createdAt, 'time')}</h1>
<img class="preview" src="/media/images/${encodeURIComponent(image.id)}/preview.jpg" width="${preview.width}" height="${preview.height}" data-t="${image.createdAt}" data-by="${image.photographer ?? ''}" alt="${photoAlt(image)}">
<p id="viewer-status" class="status-line" role="status"></p>
<p><button type="button" id="photo-add" class="primary" data-image="${image.id}" hidden>Add to cart</button></p>`,
    after: cartDialog(maxCopies),
  });
}
