/**
 * "Find your photos" on the kiosk (issue #13): a touch gallery of the photos this printer holds,
 * a basket (photos × copies) totalled by the edge node with the shop's pricing, and payment by
 * card on the station's reader or by the fan's phone (a QR code). Once paid, printing follows on
 * the kiosk's own progress screen. An idle basket is cleared and nothing is left for the next person.
 * This module keeps the basket and its idle timer; the gallery (kiosk-gallery.js), the frame screen
 * (kiosk-frames.js) and the Pay screen (kiosk-payment.js) share its state.
 */
import { initFrames } from './kiosk-frames.js';
import { initGallery } from './kiosk-gallery.js';
import { initPayment } from './kiosk-payment.js';

/** A payment in progress keeps the basket this many idle periods before the kiosk gives up. */
const PAYING_IDLE_FACTOR = 3;

const money = (cents, currency) => `${(cents / 100).toFixed(2)} ${currency}`;

export function initShop(ui) {
  const { $, root, timings } = ui;
  const state = {
    eventId: null,
    page: 0,
    hour: null,
    photographer: null,
    basket: new Map(),
    /** Issue #14: the frame chosen per photo of the basket (all its copies), by template id. */
    framed: new Map(),
    /** The event's frames this printer offers: [{ templateId, name, version, feeCents, feeLine }]. */
    frames: [],
    /** The photo whose frame is being chosen. */
    framing: null,
    currency: '',
    quote: null,
    payments: null,
    sale: null,
    saleStartedAt: 0,
    key: null,
    pollTimer: 0,
    idleTimer: 0,
  };

  function reset() {
    clearTimeout(state.pollTimer);
    clearTimeout(state.idleTimer);
    state.basket.clear();
    state.framed.clear();
    state.framing = null;
    state.quote = null;
    state.sale = null;
    state.key = null;
    state.page = 0;
    state.hour = null;
    state.photographer = null;
    $('gallery-grid').replaceChildren();
    $('pay-qr').removeAttribute('src');
    $('frames-grid').replaceChildren();
    paintBasket();
  }

  /** Any touch keeps the basket; none for `shopIdleMs` gives it up (and frees a waiting payment). */
  function touch() {
    clearTimeout(state.idleTimer);
    state.idleTimer = setTimeout(() => {
      if (ui.screen() !== 'gallery' && ui.screen() !== 'pay' && ui.screen() !== 'frames') return;
      // A fan at the card reader or paying on their phone is not idle: wait longer, within bounds
      // (the reader and the coordinator give up by themselves too).
      const waiting = state.sale && !state.sale.lastFailure && ui.screen() === 'pay';
      if (waiting && Date.now() - state.saleStartedAt < PAYING_IDLE_FACTOR * timings.shopIdleMs) {
        touch();
        return;
      }
      void payment.cancelSale().finally(() => ui.show('attract'));
    }, timings.shopIdleMs);
  }

  async function api(method, path, body) {
    const res = await fetch(path, {
      method,
      cache: 'no-store',
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json().catch(() => null);
    if (!res.ok)
      throw Object.assign(new Error(json?.error?.message ?? `HTTP ${res.status}`), { code: json?.error?.code });
    return json;
  }

  const frames = initFrames(ui, state, {
    api,
    money,
    touch,
    onLoaded() {
      gallery.repaintTiles();
    },
    onClosed(imageId) {
      if (imageId) gallery.repaintTile(imageId);
      void requote();
    },
  });
  const gallery = initGallery(ui, state, { api, touch, frames, setCopies });
  const payment = initPayment(ui, state, { api, money, touch, reset, requote, items, frames });

  function setCopies(imageId, copies) {
    if (copies <= 0) {
      state.basket.delete(imageId);
      state.framed.delete(imageId);
    } else state.basket.set(imageId, Math.min(copies, 50));
    gallery.repaintTile(imageId);
    void requote();
  }

  function items() {
    return [...state.basket].map(([imageId, copies]) => {
      const templateId = frames.frameOf(imageId)?.templateId;
      return templateId ? { imageId, copies, template: { templateId } } : { imageId, copies };
    });
  }

  async function requote() {
    state.quote = null;
    if (state.basket.size > 0 && state.eventId) {
      try {
        state.quote = await api('POST', '/kiosk/shop/quote', { eventId: state.eventId, items: items() });
      } catch {
        state.quote = null;
      }
    }
    paintBasket();
  }

  function paintBasket() {
    const q = state.quote;
    const framedCount = q ? q.templateFees.lines.reduce((n, l) => n + l.copies, 0) : 0;
    $('basket-summary').textContent = q
      ? [
          q.quote.printCount === 1 ? '1 print' : `${q.quote.printCount} prints`,
          ...(framedCount > 0 ? [`${framedCount} framed`] : []),
          money(q.totalCents, q.quote.currency),
        ].join(' · ')
      : 'Tap the photos you want';
    $('basket-pay').disabled = !q;
  }

  $('find-photos-button').addEventListener('click', async () => {
    reset();
    ui.show('gallery');
    touch();
    await Promise.all([gallery.load().then(frames.load), payment.refreshPayments()]);
  });
  $('find-photos-button').disabled = false;
  $('basket-clear').addEventListener('click', () => {
    reset();
    ui.show('attract');
  });

  return {
    /** The kiosk went back to its start screen: nothing of this basket survives. */
    onAttract() {
      if (state.sale) void payment.cancelSale();
      reset();
      delete root.dataset.sale;
    },
  };
}
