/**
 * "Find your photos" on the kiosk (issue #13): a touch gallery of the photos this printer holds,
 * a basket (photos × copies) totalled by the edge node with the shop's pricing, and payment by
 * card on the station's reader or by the fan's phone (a QR code). Once paid, printing follows on
 * the kiosk's own progress screen. An idle basket is cleared and nothing is left for the next person.
 */
import { initFrames } from './kiosk-frames.js';

const FAILURE_WORDS = {
  declined: 'The card was declined. Try another card, or cancel.',
  insufficient_funds: 'The card has insufficient funds. Try another card, or cancel.',
  card_removed: 'The card was removed too early. Try again and hold it until the reader beeps.',
  timeout: 'No card was presented in time. Try again, or cancel.',
  reader_offline: 'The card reader is not answering. Pay with your phone, or ask the staff.',
  cancelled: 'The payment was cancelled.',
};
const ENDED = {
  cancelled: 'The payment was cancelled. Nothing was charged.',
  expired: 'The payment took too long and was cancelled. Nothing was charged.',
  voided: 'The payment was released. Nothing was charged.',
  refunded: 'Your payment was refunded.',
};

/** A payment in progress keeps the basket this many idle periods before the kiosk gives up. */
const PAYING_IDLE_FACTOR = 3;

const money = (cents, currency) => `${(cents / 100).toFixed(2)} ${currency}`;
const hourLabel = (start) => `${String(new Date(start).getHours()).padStart(2, '0')}:00`;

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
      void cancelSale().finally(() => ui.show('attract'));
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
      for (const li of $('gallery-grid').querySelectorAll('.tile')) paintTile(li);
    },
    onClosed(imageId) {
      const li = imageId ? $('gallery-grid').querySelector(`[data-image="${CSS.escape(imageId)}"]`) : null;
      if (li) paintTile(li);
      void requote();
    },
  });

  async function loadGallery() {
    const q = new URLSearchParams({ page: String(state.page) });
    if (state.eventId) q.set('event', state.eventId);
    if (state.hour !== null) {
      q.set('from', String(state.hour));
      q.set('to', String(state.hour + 3_600_000));
    }
    if (state.photographer !== null) q.set('photographer', state.photographer);
    const g = await api('GET', `/kiosk/shop/gallery?${q}`);
    state.eventId = g.eventId;
    state.currency = g.priceList?.currency ?? '';
    state.page = g.page;
    $('gallery-event').textContent = g.events.find((e) => e.id === g.eventId)?.name ?? '';
    paintHours(g.hours);
    paintPhotographers(g.photographers);
    const grid = $('gallery-grid');
    grid.replaceChildren(...g.photos.map(tile));
    $('gallery-empty').hidden = g.photos.length > 0;
    $('gallery-page').textContent = g.pages > 1 ? `Page ${g.page + 1} of ${g.pages}` : '';
    $('gallery-prev').disabled = g.page <= 0;
    $('gallery-next').disabled = g.page + 1 >= g.pages;
  }

  /** A filter button: pressed when `key` holds `value`; a press sets it and goes back to page 1. */
  function chip(label, key, value) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'chip';
    b.textContent = label;
    b.setAttribute('aria-pressed', String(state[key] === value));
    b.addEventListener('click', () => {
      state[key] = value;
      state.page = 0;
      touch();
      void loadGallery();
    });
    return b;
  }

  function paintHours(hours) {
    $('gallery-hours').replaceChildren(
      chip('All times', 'hour', null),
      ...hours.map((h) => chip(`${hourLabel(h)}–${hourLabel(h + 3_600_000)}`, 'hour', h)),
    );
  }

  /** Shown once the printer knows who took the photos (it keeps the names while offline). */
  function paintPhotographers(names) {
    const chosen = state.photographer;
    const all = chosen !== null && !names.includes(chosen) ? [...names, chosen] : names;
    $('gallery-photographers').replaceChildren(
      ...(all.length > 0 ? [chip('All photographers', 'photographer', null)] : []),
      ...all.map((n) => chip(n, 'photographer', n)),
    );
  }

  function tile(photo) {
    const li = document.createElement('li');
    li.className = 'tile';
    li.dataset.image = photo.imageId;
    const pick = document.createElement('button');
    pick.type = 'button';
    pick.className = 'tile-pick';
    pick.setAttribute('aria-label', `Photo taken ${new Date(photo.at).toLocaleTimeString()}`);
    const img = document.createElement('img');
    img.src = photo.thumbUrl;
    img.alt = '';
    img.loading = 'lazy';
    img.dataset.plain = photo.thumbUrl;
    pick.append(img);
    pick.addEventListener('click', () => {
      touch();
      setCopies(photo.imageId, state.basket.has(photo.imageId) ? 0 : 1);
    });
    li.append(pick);
    paintTile(li);
    return li;
  }

  function paintTile(li) {
    const copies = state.basket.get(li.dataset.image) ?? 0;
    li.querySelector('.tile-copies')?.remove();
    const img = li.querySelector('.tile-pick img');
    const frame = frames.frameOf(li.dataset.image);
    const src = frame ? frames.previewUrl(li.dataset.image, frame) : img.dataset.plain;
    if (img.getAttribute('src') !== src) img.src = src;
    if (frame) li.dataset.frame = frame.templateId;
    else delete li.dataset.frame;
    if (copies === 0) {
      delete li.dataset.copies;
      return;
    }
    li.dataset.copies = String(copies);
    const bar = document.createElement('div');
    bar.className = 'tile-copies';
    const less = document.createElement('button');
    less.type = 'button';
    less.textContent = '−';
    less.setAttribute('aria-label', 'One copy less');
    less.addEventListener('click', () => {
      touch();
      setCopies(li.dataset.image, copies - 1);
    });
    const count = document.createElement('span');
    count.textContent = copies === 1 ? '1 print' : `${copies} prints`;
    // With a Frame button beside them the copies are a number: the tile is narrow.
    if (state.frames.length > 0) count.textContent = `×${copies}`;
    const more = document.createElement('button');
    more.type = 'button';
    more.textContent = '+';
    more.setAttribute('aria-label', 'One copy more');
    more.addEventListener('click', () => {
      touch();
      setCopies(li.dataset.image, copies + 1);
    });
    bar.append(less, count, more);
    // Issue #14: the frame is chosen per photo, from its bar, so the tile's picture stays visible.
    if (state.frames.length > 0) {
      const choose = document.createElement('button');
      choose.type = 'button';
      choose.className = 'tile-frame';
      choose.textContent = frame ? 'Framed' : 'Frame';
      choose.setAttribute('aria-label', frame ? `Frame: ${frame.name}. Change the frame` : 'Add a frame');
      choose.addEventListener('click', () => {
        touch();
        frames.open(li.dataset.image);
      });
      bar.append(choose);
    }
    li.append(bar);
  }

  function setCopies(imageId, copies) {
    if (copies <= 0) {
      state.basket.delete(imageId);
      state.framed.delete(imageId);
    } else state.basket.set(imageId, Math.min(copies, 50));
    const li = $('gallery-grid').querySelector(`[data-image="${CSS.escape(imageId)}"]`);
    if (li) paintTile(li);
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

  async function refreshPayments() {
    try {
      state.payments = await api('GET', '/kiosk/shop/payments');
    } catch {
      state.payments = { online: false, phone: false, card: null, message: null };
    }
    const p = state.payments;
    const note = p.online ? null : (p.message ?? 'Card and phone payment need the network; browsing works.');
    for (const id of ['network-note', 'pay-network']) {
      $(id).hidden = !note;
      $(id).textContent = note ?? '';
    }
    $('pay-card').hidden = !p.card;
    $('pay-card').disabled = !p.card || p.card.status === 'offline';
    $('pay-card').textContent = p.card?.status === 'offline' ? 'Card reader offline' : 'Pay by card';
    $('pay-phone').hidden = !p.phone;
  }

  function payState(s) {
    $('screen-pay').dataset.pay = s;
  }

  /** The total and, per framed photo, the frame's fee line as the coordinator priced it. */
  function paintPayTotal(notice) {
    const q = state.quote;
    $('pay-title').textContent = `Pay ${money(q.totalCents, q.quote.currency)}`;
    $('pay-lines').textContent =
      `${q.quote.printCount === 1 ? '1 print' : `${q.quote.printCount} prints`}, printed here`;
    const lines = frames.feeItems(q);
    $('pay-frames').replaceChildren(...lines);
    $('pay-frames').hidden = lines.length === 0;
    $('pay-notice').hidden = !notice;
    $('pay-notice').textContent = notice ?? '';
  }

  async function openPay() {
    if (!state.quote) return;
    touch();
    // Priced again as the fan goes to pay: a frame's fee follows how often it is used.
    await requote();
    if (!state.quote) return;
    paintPayTotal(null);
    $('pay-tax').textContent = '';
    payState('choose');
    ui.show('pay');
    await refreshPayments();
  }

  async function startSale(channel) {
    touch();
    payState('busy');
    // One key per basket and way of paying: a double tap or a retried request finds the same sale.
    state.key = state.key?.startsWith(channel) ? state.key : `${channel}-${crypto.randomUUID()}`;
    try {
      const { sale, qrSvg } = await api('POST', '/kiosk/shop/sales', {
        eventId: state.eventId,
        items: items(),
        channel,
        idempotencyKey: state.key,
        // The total shown: a frame whose fee moved meanwhile is refused, never charged differently.
        expectedTotalCents: state.quote.totalCents,
      });
      state.sale = sale;
      state.saleStartedAt = Date.now();
      if (qrSvg) $('pay-qr').src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(qrSvg)}`;
      if (sale.taxRatePercent > 0) {
        $('pay-tax').textContent = `incl. ${sale.taxRatePercent}% tax: ${money(sale.taxCents, sale.currency)}`;
      }
      paintSale(sale);
      poll();
    } catch (err) {
      await refreshPayments();
      payState('choose');
      if (err.code === 'payment_needs_network') return;
      if (err.code === 'price_changed') {
        await requote();
        if (state.quote) {
          paintPayTotal(
            `A frame's price changed a moment ago. The new total is ${money(state.quote.totalCents, state.quote.quote.currency)}: pay again to accept it.`,
          );
        }
        return;
      }
      showFailure(err.message);
    }
  }

  function showFailure(text) {
    $('pay-failure').textContent = text;
    $('pay-retry').hidden = state.sale?.channel !== 'kiosk-card';
    payState('failed');
  }

  function paintSale(sale) {
    root.dataset.sale = sale.state;
    if (sale.state === 'awaiting_payment' || sale.state === 'created') {
      if (sale.lastFailure) showFailure(FAILURE_WORDS[sale.lastFailure] ?? 'The payment did not go through.');
      else payState(sale.channel === 'kiosk-card' ? 'card' : 'phone');
      return;
    }
    if (ENDED[sale.state]) {
      const text = ENDED[sale.state];
      reset();
      ui.showMessage({ kind: 'info', icon: 'i', title: 'Payment cancelled', text });
    }
  }

  function poll() {
    clearTimeout(state.pollTimer);
    const sale = state.sale;
    if (!sale) return;
    state.pollTimer = setTimeout(async () => {
      if (state.sale !== sale || ui.screen() !== 'pay') return;
      try {
        const r = await api('GET', `/kiosk/shop/sales/${encodeURIComponent(sale.id)}`);
        if (state.sale !== sale) return;
        state.sale = r.sale;
        if (r.printFailed) {
          reset();
          ui.showMessage({
            kind: 'printer',
            icon: '!',
            title: 'This printer cannot print right now',
            text: 'Your payment was released: nothing was charged. Please use another printer or ask the staff.',
          });
          return;
        }
        if (r.progress) {
          // Paid: the basket is done with; the print screen takes over and the next person starts empty.
          reset();
          root.dataset.saleChannel = r.sale.channel;
          ui.startProgress(r.progress);
          return;
        }
        if (r.qrSvg && !$('pay-qr').getAttribute('src')) {
          $('pay-qr').src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(r.qrSvg)}`;
        }
        paintSale(r.sale);
      } catch {
        // The next poll asks again; a network gap is shown by the payments check.
      }
      if (state.sale === sale || state.sale?.id === sale.id) poll();
    }, timings.salePollMs);
  }

  async function cancelSale() {
    const sale = state.sale;
    state.sale = null;
    clearTimeout(state.pollTimer);
    if (!sale) return;
    await api('POST', `/kiosk/shop/sales/${encodeURIComponent(sale.id)}/cancel`).catch(() => {});
  }

  $('find-photos-button').addEventListener('click', async () => {
    reset();
    ui.show('gallery');
    touch();
    await Promise.all([loadGallery().then(frames.load), refreshPayments()]);
  });
  $('find-photos-button').disabled = false;
  $('gallery-prev').addEventListener('click', () => {
    touch();
    state.page = Math.max(0, state.page - 1);
    void loadGallery();
  });
  $('gallery-next').addEventListener('click', () => {
    touch();
    state.page += 1;
    void loadGallery();
  });
  $('basket-clear').addEventListener('click', () => {
    reset();
    ui.show('attract');
  });
  $('basket-pay').addEventListener('click', () => void openPay());
  $('pay-card').addEventListener('click', () => void startSale('kiosk-card'));
  $('pay-phone').addEventListener('click', () => void startSale('kiosk-phone'));
  $('pay-back').addEventListener('click', () => {
    touch();
    $('pay-notice').hidden = true;
    ui.show('gallery');
  });
  $('pay-retry').addEventListener('click', async () => {
    touch();
    const sale = state.sale;
    if (!sale) return;
    payState('busy');
    try {
      state.sale = (await api('POST', `/kiosk/shop/sales/${encodeURIComponent(sale.id)}/retry`)).sale;
      paintSale(state.sale);
      poll();
    } catch (err) {
      showFailure(err.message);
    }
  });
  $('pay-cancel').addEventListener('click', async () => {
    payState('busy');
    await cancelSale();
    reset();
    ui.show('attract');
  });

  return {
    /** The kiosk went back to its start screen: nothing of this basket survives. */
    onAttract() {
      if (state.sale) void cancelSale();
      reset();
      delete root.dataset.sale;
    },
  };
}
