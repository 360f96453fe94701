// Shared by the shop pages: DOM and time helpers, the JSON API, what this phone remembers
// (cart per event, orders placed here), live updates with a polling fallback, dialogs.

export const $ = (selector, root = document) => root.querySelector(selector);

const clock = { hour: '2-digit', minute: '2-digit' };
const timeFormat = new Intl.DateTimeFormat(undefined, clock);
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  ...clock,
});
export const formatTime = (ms) => timeFormat.format(new Date(ms));

/** The server writes times in UTC; the fan reads them in the phone's own time zone. */
export function localizeTimes() {
  for (const el of document.querySelectorAll('time[data-local]')) {
    el.textContent = (el.dataset.local === 'time' ? timeFormat : dateTimeFormat).format(new Date(el.dateTime));
  }
  for (const el of document.querySelectorAll('option[data-t]')) {
    el.textContent = dateTimeFormat.format(new Date(Number(el.dataset.t)));
  }
}

// Currencies are ISO 4217 codes (validated by the coordinator), which Intl always accepts.
export const formatMoney = (cents, currency) =>
  new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(cents / 100);

/** JSON API call; a failure throws an Error carrying the server's message, code and details. */
export async function api(path, body) {
  const init = body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' } };
  let res;
  try {
    res = await fetch(path, { ...init, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new Error('No connection right now. Try again in a moment.');
  }
  const data = await res.json().catch(() => ({}));
  if (res.ok) return data;
  const { message, code, details } = data.error ?? {};
  throw Object.assign(new Error(message ?? `The shop answered ${res.status}. Try again.`), { code, details });
}

function read(key) {
  try {
    const value = JSON.parse(localStorage.getItem(key));
    return Array.isArray(value) ? value : [];
  } catch {
    return [];
  }
}

function write(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Private mode or full storage: the page still works, it just forgets on reload.
  }
}

/** Cart per event: [{ imageId, copies }]. Prices are never computed here; the server quotes. */
export const cart = {
  get: (eventId) => read(`vpm.cart.${eventId}`).filter((i) => typeof i?.imageId === 'string' && i.copies >= 1),
  set: (eventId, items) => write(`vpm.cart.${eventId}`, items),
};

/** Orders placed on this phone, newest first (at most 20), so the start page leads back to them. */
export const myOrders = {
  list: () => read('vpm.orders').filter((o) => typeof o?.id === 'string'),
  remember(order) {
    const all = myOrders.list();
    const old = all.find((o) => o.id === order.id);
    write('vpm.orders', [{ at: Date.now(), ...old, ...order }, ...all.filter((o) => o !== old)].slice(0, 20));
  },
  /** Keeps what was last seen of an order (its state) without moving it up the list. */
  update(id, fields) {
    write(
      'vpm.orders',
      myOrders.list().map((o) => (o.id === id ? { ...o, ...fields } : o)),
    );
  },
  checkoutUrl: (id) => myOrders.list().find((o) => o.id === id)?.checkoutUrl ?? null,
};

/** Creates the order (priced by the server) and returns where to pay. */
export async function placeOrder(eventId, eventName, items, expectedTotalCents) {
  const { order, checkoutUrl } = await api('/api/orders', { eventId, items, expectedTotalCents });
  myOrders.remember({ id: order.id, eventId, eventName, checkoutUrl, at: Date.now() });
  return checkoutUrl;
}

const WATCHDOG_MS = 40_000;
const POLL_MS = 10_000;

/**
 * Follows a Server-Sent Events stream; when EventSource is missing, refused, or silent for longer
 * than the server's heartbeat allows, polls `poll()` instead. Returns a stop function.
 */
export function live({ url, event, onData, poll }) {
  let source = null;
  let watchdog = 0;
  let timer = 0;
  let stopped = false;
  const startPolling = () => {
    source?.close();
    clearTimeout(watchdog);
    if (stopped || timer) return;
    const tick = async () => {
      try {
        onData(await poll());
      } catch {
        // Offline for now: the next tick tries again.
      }
      if (!stopped) timer = setTimeout(tick, POLL_MS);
    };
    timer = setTimeout(tick, 0);
  };
  const arm = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(startPolling, WATCHDOG_MS);
  };
  if (typeof EventSource !== 'function') startPolling();
  else {
    source = new EventSource(url);
    source.addEventListener(event, (e) => {
      arm();
      onData(JSON.parse(e.data));
    });
    source.addEventListener('ping', arm);
    source.addEventListener('error', () => source.readyState === EventSource.CLOSED && startPolling());
    arm();
  }
  return () => {
    stopped = true;
    source?.close();
    clearTimeout(watchdog);
    clearTimeout(timer);
  };
}

/** Dialog basics: close buttons, a tap on the backdrop, and focus back where it was. */
export function setUpDialog(dialog) {
  let opener = null;
  for (const button of dialog.querySelectorAll('[data-close]')) button.addEventListener('click', () => dialog.close());
  dialog.addEventListener('click', (e) => {
    const r = dialog.getBoundingClientRect();
    const outside = e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom;
    if (e.target === dialog && outside) dialog.close();
  });
  dialog.addEventListener('close', () => opener?.focus());
  return {
    open() {
      opener = document.activeElement;
      if (!dialog.open) dialog.showModal();
    },
  };
}
