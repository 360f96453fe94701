// Gallery and photo pages: preview dialog, cart (kept on this phone, priced by the server),
// checkout, "more photos" without reloading, and new photos while the event runs.
import { bundleLines, itemPriceText } from './cart-view.js';
import { $, api, cart, formatMoney, formatTime, live, localizeTimes, placeOrder, setUpDialog } from './common.js';

const main = $('#main');
const eventId = main.dataset.eventId;
const maxCopies = Number(main.dataset.maxCopies);
const grid = $('#grid');
const QUOTE_DELAY_MS = 250;
const frames = +main.dataset.templates ? import('./cart-frames.js') : null;

localizeTimes();

const cartDialog = setUpDialog($('#cart'));
const cartList = $('#cart-items');
const cartTotal = $('#cart-total');
const cartBreakdown = $('#cart-breakdown');
const cartError = $('#cart-error');
const checkout = $('#checkout');
$('#cart-open').hidden = false;
$('#cart-open').addEventListener('click', () => cartDialog.open());

const items = () => cart.get(eventId);
const prints = (list) => list.reduce((n, i) => n + i.copies, 0);
const printsText = (n) => (n === 1 ? '1 print' : `${n} prints`);

function save(list, { redraw = true } = {}) {
  cart.set(eventId, list);
  $('#cart-count').textContent = String(prints(list));
  $('#cart-empty').hidden = list.length > 0;
  if (redraw) drawCart(list);
  clearTimeout(save.timer);
  checkout.disabled = true;
  save.timer = setTimeout(quote, QUOTE_DELAY_MS);
}

function addToCart(imageId) {
  const list = items();
  const line = list.find((i) => i.imageId === imageId && !i.template);
  if (line) line.copies = Math.min(maxCopies, line.copies + 1);
  else list.push({ imageId, copies: 1 });
  save(list);
  return `Added. ${printsText(prints(list))} in your cart.`;
}

function drawCart(list) {
  cartList.replaceChildren(
    ...list.map(({ imageId, copies }, n) => {
      const li = $('#cart-item-template').content.firstElementChild.cloneNode(true);
      li.dataset.image = imageId;
      frames?.then((f) => f.frameChoice(li, n, eventId, save));
      $('img', li).src = `/media/images/${encodeURIComponent(imageId)}/thumbnail.jpg`;
      $('.visually-hidden', li).textContent = ` of photo ${n + 1}`;
      const input = $('input', li);
      input.value = String(copies);
      // No redraw while typing: the field keeps its focus.
      input.addEventListener('change', () => {
        const value = Math.round(Number(input.value));
        input.value = String(Math.max(1, Math.min(maxCopies, Number.isFinite(value) ? value : 1)));
        save(
          items().map((i, k) => (k === n ? { ...i, copies: Number(input.value) } : i)),
          { redraw: false },
        );
      });
      const remove = $('.remove', li);
      remove.setAttribute('aria-label', `Remove photo ${n + 1}`);
      remove.addEventListener('click', () => {
        save(items().filter((_, k) => k !== n));
        (cartList.querySelector('input') ?? $('#cart [data-close]')).focus();
      });
      return li;
    }),
  );
}

let quoteRound = 0;
let shown;
async function quote() {
  const round = ++quoteRound;
  const list = items();
  cartError.textContent = '';
  cartTotal.textContent = '';
  cartBreakdown.replaceChildren();
  checkout.textContent = 'Pay';
  if (list.length === 0) return;
  try {
    const { quote: q, breakdown, templateFees, totalCents } = await api('/api/orders/quote', { eventId, items: list });
    if (round !== quoteRound) return;
    const money = (cents) => formatMoney(cents, q.currency);
    cartList.childNodes.forEach((li, n) => {
      $('.price', li).textContent = itemPriceText(list[n].copies, breakdown, money);
      frames?.then((f) => f.showFee(li, list[n], templateFees, money));
    });
    cartBreakdown.replaceChildren(
      ...bundleLines(breakdown, money).map((text) =>
        Object.assign(document.createElement('li'), { textContent: text }),
      ),
    );
    shown = totalCents;
    const total = money(totalCents);
    cartTotal.textContent = `${printsText(q.printCount)}: ${total}`;
    checkout.textContent = `Pay ${total}`;
    checkout.disabled = false;
  } catch (err) {
    if (round !== quoteRound) return;
    cartError.textContent = err.message;
    if (err.code === 'image_not_in_event' && err.details?.imageId) {
      save(list.filter((i) => i.imageId !== err.details.imageId));
      cartError.textContent = 'A photo in your cart is no longer for sale and was removed.';
    }
  }
}

checkout.addEventListener('click', async () => {
  checkout.disabled = true;
  try {
    window.location.assign(await placeOrder(eventId, $('h1').textContent, items(), shown));
  } catch (err) {
    // Re-priced: fees move.
    await quote();
    cartError.textContent = err.message;
  }
});

save(items());

const photoAdd = $('#photo-add');
if (photoAdd) {
  photoAdd.hidden = false;
  photoAdd.addEventListener('click', () => {
    $('#viewer-status').textContent = addToCart(photoAdd.dataset.image);
  });
}

if (grid) {
  const viewer = setUpDialog($('#viewer'));
  const image = $('#viewer-img');
  let current = null;
  const show = (link) => {
    current = link;
    const alt = $('img', link).alt;
    image.removeAttribute('src');
    image.width = Number(link.dataset.pw);
    image.height = Number(link.dataset.ph);
    image.alt = alt;
    image.src = `/media/images/${encodeURIComponent(link.dataset.image)}/preview.jpg`;
    $('#viewer-title').textContent = alt;
    $('#viewer-status').textContent = '';
    $('#viewer-prev').disabled = !link.parentElement.previousElementSibling;
    $('#viewer-next').disabled = !link.parentElement.nextElementSibling;
  };
  const step = (back) => {
    const next = back ? current.parentElement.previousElementSibling : current.parentElement.nextElementSibling;
    if (next) show($('a', next));
  };
  // Back closes the preview: opening adds a history entry, Back (popstate) closes it, closing it
  // otherwise (×, Escape) takes the entry away. Reopened before that (or the queued close) ran, the
  // preview gets or keeps its entry.
  const viewerDialog = $('#viewer');
  let backPending = false;
  const pushViewer = () => history.pushState({ vpmViewer: true }, '');
  if (history.state?.vpmViewer) history.replaceState(null, '');
  window.addEventListener('popstate', () => {
    if (backPending) {
      backPending = false;
      if (viewerDialog.open) pushViewer();
    } else if (viewerDialog.open) viewerDialog.close();
  });
  viewerDialog.addEventListener('close', () => {
    if (viewerDialog.open || !history.state?.vpmViewer || backPending) return;
    backPending = true;
    history.back();
  });
  grid.addEventListener('click', (e) => {
    const link = e.target.closest('a[data-image]');
    if (!link || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    show(link);
    if (!viewerDialog.open && !backPending && !history.state?.vpmViewer) pushViewer();
    viewer.open();
  });
  $('#viewer').addEventListener('keydown', (e) => {
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') step(e.key === 'ArrowLeft');
  });
  $('#viewer-prev').addEventListener('click', () => step(true));
  $('#viewer-next').addEventListener('click', () => step(false));
  $('#viewer-add').addEventListener('click', () => {
    $('#viewer-status').textContent = addToCart(current.dataset.image);
  });
}

const params = new URLSearchParams(window.location.search);
const filters = new URLSearchParams();
for (const key of ['photographer', 'from', 'to']) if (params.get(key)) filters.set(key, params.get(key));
const known = new Set([...(grid?.querySelectorAll('a[data-image]') ?? [])].map((a) => a.dataset.image));
const query = (extra) =>
  `/api/events/${encodeURIComponent(eventId)}/images?${new URLSearchParams([...filters, ...extra])}`;
const altText = (by, t) => `Photo by ${by || 'an unnamed photographer'}, ${formatTime(t)}`;

// As the server sizes them (image-pipeline.ts): long edge 320 (thumbnail), 1200 (preview).
const fitEdge = (img, edge) => {
  const scale = Math.min(1, edge / Math.max(img.width, img.height, 1));
  return [Math.max(1, Math.round(img.width * scale)), Math.max(1, Math.round(img.height * scale))];
};

function tile(img) {
  const link = document.createElement('a');
  link.href = `/e/${encodeURIComponent(eventId)}/photo/${encodeURIComponent(img.id)}`;
  const [pw, ph] = fitEdge(img, 1200);
  Object.assign(link.dataset, { image: img.id, t: img.createdAt, by: img.photographer ?? '', pw, ph });
  const [width, height] = fitEdge(img, 320);
  const thumb = Object.assign(document.createElement('img'), { src: img.thumbnailUrl, width, height });
  Object.assign(thumb, { loading: 'lazy', decoding: 'async', alt: altText(img.photographer, img.createdAt) });
  const li = document.createElement('li');
  li.className = 'tile';
  link.append(thumb);
  li.append(link);
  return li;
}

// Alt texts in local time, like every other time on the page.
for (const link of grid?.querySelectorAll('a[data-t]') ?? []) {
  $('img', link).alt = altText(link.dataset.by, Number(link.dataset.t));
}
for (const img of document.querySelectorAll('img.preview[data-t]')) {
  img.alt = altText(img.dataset.by, Number(img.dataset.t));
}

const more = $('#more');
more?.addEventListener('click', async (e) => {
  e.preventDefault();
  try {
    const page = await api(
      query([
        ['order', 'newest'],
        ['limit', '48'],
        ['cursor', more.dataset.cursor],
      ]),
    );
    const fresh = page.images.filter((i) => !known.has(i.id) && known.add(i.id));
    grid.append(...fresh.map(tile));
    // Keyboard users continue where the new photos start.
    if (fresh.length > 0) $('a', grid.children[grid.children.length - fresh.length]).focus();
    if (!page.nextCursor) return more.remove();
    more.dataset.cursor = page.nextCursor;
    more.href = `?${new URLSearchParams([...filters, ['cursor', page.nextCursor]])}`;
  } catch {
    window.location.assign(more.href);
  }
});

const showNew = $('#show-new');
const pending = [];
let newest = Number(main.dataset.since);

showNew?.addEventListener('click', () => {
  pending.sort((a, b) => b.createdAt - a.createdAt);
  const count = $('#photo-count');
  count.dataset.count = String(Number(count.dataset.count) + pending.length);
  count.textContent = count.dataset.count === '1' ? '1 photo' : `${count.dataset.count} photos`;
  grid.prepend(...pending.splice(0).map(tile));
  $('#empty')?.remove();
  showNew.hidden = true;
  $('a', grid).focus();
});

// Only the first page shows the newest photos, so only it follows new ones.
if (grid && showNew && !params.get('cursor')) {
  live({
    url: `/api/events/${encodeURIComponent(eventId)}/stream?${new URLSearchParams([...filters, ['since', newest]])}`,
    event: 'photos',
    onData({ images }) {
      for (const img of images) {
        newest = Math.max(newest, img.createdAt);
        if (!known.has(img.id) && known.add(img.id)) pending.push(img);
      }
      if (pending.length === 0) return;
      showNew.textContent = pending.length === 1 ? 'Show 1 new photo' : `Show ${pending.length} new photos`;
      showNew.hidden = false;
    },
    // Photos registered a little before the newest one seen may still be new (uploads overlap).
    poll: () =>
      api(
        query([
          ['order', 'oldest'],
          ['since', Math.max(0, newest - 60_000)],
        ]),
      ),
  });
}
