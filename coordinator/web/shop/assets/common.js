// Shared by the shop pages: DOM and time helpers, the JSON API, what this phone remembers
// (cart per event, orders placed here), and live updates with a polling fallback.

export const $ = (selector, root = document) => root.querySelector(selector);

/** The server writes times in UTC; the fan reads them in the phone's own time zone. */
export function localizeTimes(root = document) {
  const time = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
  const dateTime = new Intl.DateTimeFormat(undefined, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  });
  for (const el of root.querySelectorAll('time[data-local]')) {
    el.textContent = (el.dataset.local === 'time' ? time : dateTime).format(new Date(el.dateTime));
  }
  for (const el of root.querySelectorAll('option[data-t]')) {
    el.textContent = dateTime.format(new Date(Number(el.dataset.t)));
  }
}

export function formatTime(ms) {
  return new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }).format(new Date(ms));
}

export function formatMoney(cents, currency) {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

/** JSON API call; a failure throws an Error carrying the server's message, code and details. */
export async function api(path, body) {
  let res;
  try {
    res = await fetch(path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw Object.assign(new Error('No connection right now. Try again in a moment.'), { code: 'offline' });
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const error = data.error ?? {};
    throw Object.assign(new Error(error.message ?? `The shop answered ${res.status}. Try again.`), {
      code: error.code,
      details: error.details,
    });
  }
  return data;
}

function read(key, fallback) {
  try {
    const value = JSON.parse(localStorage.getItem(key) ?? 'null');
    return value ?? fallback;
  } catch {
    return fallback;
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
  get: (eventId) => read(`vpm.cart.${eventId}`, []).filter((i) => typeof i?.imageId === 'string' && i.copies >= 1),
  set: (eventId, items) => write(`vpm.cart.${eventId}`, items),
};

const MAX_REMEMBERED_ORDERS = 20;

/** Orders placed on this phone, newest first, so the start page can lead back to them. */
export const myOrders = {
  list: () => read('vpm.orders', []).filter((o) => typeof o?.id === 'string'),
  remember(order) {
    const others = myOrders.list().filter((o) => o.id !== order.id);
    const old = myOrders.list().find((o) => o.id === order.id) ?? {};
    write('vpm.orders', [{ at: Date.now(), ...old, ...order }, ...others].slice(0, MAX_REMEMBERED_ORDERS));
  },
  checkoutUrl: (id) => myOrders.list().find((o) => o.id === id)?.checkoutUrl ?? null,
};

/** Creates the order (priced by the server) and returns where to pay. */
export async function placeOrder(eventId, eventName, items) {
  const created = await api('/api/orders', { eventId, items });
  myOrders.remember({ id: created.order.id, eventId, eventName, checkoutUrl: created.checkoutUrl, at: Date.now() });
  return created.checkoutUrl;
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
  const stop = () => {
    stopped = true;
    source?.close();
    clearTimeout(watchdog);
    clearTimeout(timer);
  };
  const startPolling = () => {
    source?.close();
    source = null;
    clearTimeout(watchdog);
    if (stopped || timer) return;
    const tick = async () => {
      try {
        onData(await poll());
      } catch {
        // Offline for now: try again on the next tick.
      }
      if (!stopped) timer = setTimeout(tick, POLL_MS);
    };
    timer = setTimeout(tick, 0);
  };
  const arm = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(startPolling, WATCHDOG_MS);
  };
  if (typeof EventSource !== 'function') {
    startPolling();
    return stop;
  }
  source = new EventSource(url);
  source.addEventListener(event, (e) => {
    arm();
    onData(JSON.parse(e.data));
  });
  source.addEventListener('ping', arm);
  source.addEventListener('open', arm);
  source.addEventListener('error', () => {
    if (source?.readyState === EventSource.CLOSED) startPolling();
  });
  arm();
  return stop;
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
