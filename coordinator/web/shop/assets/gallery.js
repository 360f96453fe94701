// Gallery and photo pages: preview dialog, cart (kept on this phone, priced by the server),
// checkout, "more photos" without reloading, and new photos while the event runs.
import { $, api, cart, formatMoney, formatTime, live, localizeTimes, placeOrder, setUpDialog } from './common.js';

const main = $('#main');
const eventId = main.dataset.eventId;
const maxCopies = Number(main.dataset.maxCopies);
const eventName = $('h1')?.textContent ?? '';
const THUMB_EDGE = 320;
const PAGE_SIZE = 48;
const QUOTE_DELAY_MS = 250;

localizeTimes();

// ---- cart -------------------------------------------------------------------------------------
const cartDialog = setUpDialog($('#cart'));
const cartButton = $('#cart-open');
const cartList = $('#cart-items');
const cartTotal = $('#cart-total');
const cartError = $('#cart-error');
const checkout = $('#checkout');
const itemTemplate = $('#cart-item-template');
cartButton.hidden = false;
cartButton.addEventListener('click', () => cartDialog.open());

const prints = (items) => items.reduce((n, i) => n + i.copies, 0);

function save(items) {
  cart.set(eventId, items);
  renderCart();
}

function addToCart(imageId) {
  const items = cart.get(eventId);
  const line = items.find((i) => i.imageId === imageId);
  if (line) line.copies = Math.min(maxCopies, line.copies + 1);
  else items.push({ imageId, copies: 1 });
  save(items);
  return prints(items);
}

function renderCart() {
  const items = cart.get(eventId);
  $('#cart-count').textContent = String(prints(items));
  $('#cart-empty').hidden = items.length > 0;
  cartList.replaceChildren(
    ...items.map((item, n) => {
      const li = itemTemplate.content.firstElementChild.cloneNode(true);
      $('img', li).src = `/media/images/${encodeURIComponent(item.imageId)}/thumbnail.jpg`;
      $('.visually-hidden', li).textContent = ` of photo ${n + 1}`;
      const input = $('input', li);
      input.value = String(item.copies);
      input.addEventListener('change', () => {
        const copies = Math.round(Number(input.value));
        const next = cart.get(eventId);
        const line = next.find((i) => i.imageId === item.imageId);
        if (line) line.copies = Math.max(1, Math.min(maxCopies, Number.isFinite(copies) ? copies : 1));
        save(next);
      });
      const remove = $('.remove', li);
      remove.setAttribute('aria-label', `Remove photo ${n + 1}`);
      remove.addEventListener('click', () => {
        save(cart.get(eventId).filter((i) => i.imageId !== item.imageId));
        (cartList.querySelector('input') ?? $('#cart [data-close]')).focus();
      });
      return li;
    }),
  );
  scheduleQuote();
}

let quoteTimer = 0;
let quoteRound = 0;
function scheduleQuote() {
  clearTimeout(quoteTimer);
  checkout.disabled = true;
  quoteTimer = setTimeout(quote, QUOTE_DELAY_MS);
}

async function quote() {
  const round = ++quoteRound;
  const items = cart.get(eventId);
  cartError.textContent = '';
  if (items.length === 0) {
    cartTotal.textContent = '';
    checkout.textContent = 'Pay';
    return;
  }
  try {
    const { quote: q } = await api('/api/orders/quote', { eventId, items });
    if (round !== quoteRound) return;
    const total = formatMoney(q.totalCents, q.currency);
    cartTotal.textContent = `${q.printCount === 1 ? '1 print' : `${q.printCount} prints`}: ${total}`;
    checkout.textContent = `Pay ${total}`;
    checkout.disabled = false;
  } catch (err) {
    if (round !== quoteRound) return;
    if (err.code === 'image_not_in_event' && err.details?.imageId) {
      save(cart.get(eventId).filter((i) => i.imageId !== err.details.imageId));
      cartError.textContent = 'A photo in your cart is no longer for sale and was removed.';
      return;
    }
    cartTotal.textContent = '';
    cartError.textContent = err.message;
  }
}

checkout.addEventListener('click', async () => {
  checkout.disabled = true;
  cartError.textContent = '';
  try {
    window.location.assign(await placeOrder(eventId, eventName, cart.get(eventId)));
  } catch (err) {
    cartError.textContent = err.message;
    checkout.disabled = false;
  }
});

renderCart();

// ---- photo page -------------------------------------------------------------------------------
const photoAdd = $('#photo-add');
if (photoAdd) {
  photoAdd.hidden = false;
  photoAdd.addEventListener('click', () => {
    const n = addToCart(photoAdd.dataset.image);
    $('#viewer-status').textContent = `Added. ${n === 1 ? '1 print' : `${n} prints`} in your cart.`;
  });
}

// ---- preview dialog ---------------------------------------------------------------------------
const grid = $('#grid');
const viewerEl = $('#viewer');
if (grid && viewerEl) {
  const viewer = setUpDialog(viewerEl);
  const image = $('#viewer-img');
  const status = $('#viewer-status');
  let current = null;

  const show = (link) => {
    current = link;
    const thumb = $('img', link);
    image.removeAttribute('src');
    image.width = Number(link.dataset.pw);
    image.height = Number(link.dataset.ph);
    image.alt = thumb.alt;
    image.src = `/media/images/${encodeURIComponent(link.dataset.image)}/preview.jpg`;
    $('#viewer-title').textContent = thumb.alt;
    status.textContent = '';
    const li = link.closest('li');
    $('#viewer-prev').disabled = !li.previousElementSibling;
    $('#viewer-next').disabled = !li.nextElementSibling;
  };
  const step = (direction) => {
    const li = current?.closest('li');
    const next = direction < 0 ? li?.previousElementSibling : li?.nextElementSibling;
    if (next) show($('a', next));
  };

  grid.addEventListener('click', (e) => {
    const link = e.target.closest('a[data-image]');
    if (!link || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    show(link);
    viewer.open();
  });
  viewerEl.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowLeft') step(-1);
    if (e.key === 'ArrowRight') step(1);
  });
  $('#viewer-prev').addEventListener('click', () => step(-1));
  $('#viewer-next').addEventListener('click', () => step(1));
  $('#viewer-add').addEventListener('click', () => {
    const n = addToCart(current.dataset.image);
    status.textContent = `Added. ${n === 1 ? '1 print' : `${n} prints`} in your cart.`;
  });
  // Keep the focused photo in view when the dialog closes over a long grid.
  viewerEl.addEventListener('close', () => current?.scrollIntoView({ block: 'nearest' }));
}

// ---- more photos and new photos ---------------------------------------------------------------
const params = new URLSearchParams(window.location.search);
const filters = new URLSearchParams();
for (const key of ['photographer', 'from', 'to']) if (params.get(key)) filters.set(key, params.get(key));
const known = new Set([...(grid?.querySelectorAll('a[data-image]') ?? [])].map((a) => a.dataset.image));

function tile(img) {
  const scale = Math.min(1, THUMB_EDGE / Math.max(img.width, img.height, 1));
  const link = document.createElement('a');
  link.href = `/e/${encodeURIComponent(eventId)}/photo/${encodeURIComponent(img.id)}`;
  Object.assign(link.dataset, {
    image: img.id,
    t: String(img.createdAt),
    by: img.photographer ?? '',
    pw: String(Math.round(img.width * Math.min(1, 1200 / Math.max(img.width, img.height, 1)))),
    ph: String(Math.round(img.height * Math.min(1, 1200 / Math.max(img.width, img.height, 1)))),
  });
  const thumb = document.createElement('img');
  Object.assign(thumb, {
    src: img.thumbnailUrl,
    loading: 'lazy',
    decoding: 'async',
    width: Math.max(1, Math.round(img.width * scale)),
    height: Math.max(1, Math.round(img.height * scale)),
    alt: `Photo by ${img.photographer ?? 'an unnamed photographer'}, ${formatTime(img.createdAt)}`,
  });
  link.append(thumb);
  const li = document.createElement('li');
  li.className = 'tile';
  li.append(link);
  return li;
}

// Alt texts were written in UTC by the server; say them in local time like everything else.
for (const link of grid?.querySelectorAll('a[data-t]') ?? []) {
  $('img', link).alt =
    `Photo by ${link.dataset.by || 'an unnamed photographer'}, ${formatTime(Number(link.dataset.t))}`;
}

const more = $('#more');
more?.addEventListener('click', async (e) => {
  e.preventDefault();
  more.setAttribute('aria-busy', 'true');
  try {
    const query = new URLSearchParams(filters);
    query.set('order', 'newest');
    query.set('limit', String(PAGE_SIZE));
    query.set('cursor', more.dataset.cursor);
    const page = await api(`/api/events/${encodeURIComponent(eventId)}/images?${query}`);
    const fresh = page.images.filter((i) => !known.has(i.id));
    for (const img of fresh) known.add(img.id);
    grid.append(...fresh.map(tile));
    // Keyboard users continue where the new photos start.
    if (fresh.length > 0) $('a', grid.children[grid.children.length - fresh.length]).focus();
    if (page.nextCursor) {
      more.dataset.cursor = page.nextCursor;
      const next = new URLSearchParams(filters);
      next.set('cursor', page.nextCursor);
      more.href = `?${next}`;
    } else {
      more.remove();
    }
  } catch {
    // Fall back to the plain link: the next page, rendered by the server.
    window.location.assign(more.href);
  } finally {
    more.removeAttribute('aria-busy');
  }
});

const showNew = $('#show-new');
const pending = [];
let newest = Number(main.dataset.since);

function receive({ images }) {
  for (const img of images) {
    newest = Math.max(newest, img.createdAt);
    if (known.has(img.id)) continue;
    known.add(img.id);
    pending.push(img);
  }
  if (pending.length === 0) return;
  showNew.textContent = pending.length === 1 ? 'Show 1 new photo' : `Show ${pending.length} new photos`;
  showNew.hidden = false;
}

showNew?.addEventListener('click', () => {
  pending.sort((a, b) => b.createdAt - a.createdAt);
  grid.prepend(...pending.splice(0).map(tile));
  $('#empty')?.remove();
  showNew.hidden = true;
  $('a', grid).focus();
});

// Only the first page shows the newest photos, so only it follows new ones.
if (grid && showNew && !params.get('cursor')) {
  live({
    url: `/api/events/${encodeURIComponent(eventId)}/stream?${new URLSearchParams([...filters, ['since', String(newest)]])}`,
    event: 'photos',
    onData: receive,
    poll: () => {
      const query = new URLSearchParams(filters);
      query.set('order', 'oldest');
      query.set('since', String(Math.max(0, newest - 60_000)));
      return api(`/api/events/${encodeURIComponent(eventId)}/images?${query}`);
    },
  });
}
