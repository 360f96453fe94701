import { startCameraScanner } from './camera-scanner.js';
import {
  canSubmitCode,
  printerBanner,
  progressHeadline,
  saleIncompleteLead,
  thumbPlaceholder,
  typedCount,
  unitNote,
  unitStateLabel,
} from './kiosk-words.js';
import { listenForWedge } from './wedge-listener.js';

/** "Find your photos" (kiosk-shop.js) when the node offers it; loaded only then. */
let shop = null;

/**
 * The kiosk screen's behaviour. One screen at a time: attract (camera + scanner + "type your
 * code"), type, checking, progress (one card per print: local / neighbour / cloud / printing /
 * done), message (refusals). Every screen but attract returns to attract by itself.
 */

/** The camera keeps seeing the code the fan is still holding up; the same code is not redeemed again this soon. */
const SAME_CODE_QUIET_MS = 30_000;

const root = document.getElementById('kiosk');
const timings = {
  doneReturnMs: Number(root.dataset.doneReturnMs),
  messageReturnMs: Number(root.dataset.messageReturnMs),
  idleReturnMs: Number(root.dataset.idleReturnMs),
  stallReturnMs: Number(root.dataset.stallReturnMs),
  printerPollMs: Number(root.dataset.printerPollMs),
  shopIdleMs: Number(root.dataset.shopIdleMs),
  salePollMs: Number(root.dataset.salePollMs),
};
const $ = (id) => document.getElementById(id);
const SCREENS = ['attract', 'type', 'checking', 'progress', 'message'].concat(
  root.dataset.shop === 'on' ? ['gallery', 'pay', 'frames'] : [],
);

/** Where each state sits on the card's three-step track: get the photo, print, done. */
const STATE_STEP = { queued: 0, local: 1, fetching_lan: 0, fetching_cloud: 0, printing: 1, printed: 3, failed: 0 };
const THUMB_STATES = new Set(['local', 'printing', 'printed']);
const THUMB_ATTEMPTS = 6;
const THUMB_RETRY_MS = 1_000;

const OFFLINE_MESSAGE = {
  kind: 'offline',
  icon: '!',
  title: 'This printer is not answering',
  text: 'Please try again in a moment, or use another printer.',
};

let screen = 'attract';
let busy = false;
let lastCode = { code: '', at: 0 };
let returnTimer = 0;
let countdownTimer = 0;
/** The print screen's stall check. */
let stallTimer = 0;
let printerTimer = 0;
let order = null;

function show(name) {
  screen = name;
  root.dataset.screen = name;
  for (const s of SCREENS) $(`screen-${s}`).hidden = s !== name;
  // A field on a hidden screen can keep the focus and swallow the next scanner burst.
  if (document.activeElement instanceof HTMLElement && document.activeElement !== document.body) {
    document.activeElement.blur();
  }
  cancelReturn();
  if (name !== 'progress') stopFollowing();
  // The printer's state shows on the attract screen and while printing; a message says it in full.
  if (name !== 'attract' && name !== 'progress') $('printer-banner').hidden = true;
  if (name === 'attract') {
    shop?.onAttract();
    delete root.dataset.saleChannel;
    order = null;
    delete root.dataset.outcome;
    void refreshPrinter();
  }
}

function cancelReturn() {
  clearTimeout(returnTimer);
  clearInterval(countdownTimer);
  for (const id of ['progress-return', 'message-return']) $(id).textContent = '';
}

/** Back to attract after `ms`, with a visible countdown in `noteId` (if any). */
function returnAfter(ms, noteId) {
  cancelReturn();
  const until = Date.now() + ms;
  const note = noteId ? $(noteId) : null;
  const paint = () => {
    if (note) note.textContent = `Back to the start in ${Math.max(0, Math.ceil((until - Date.now()) / 1000))} s`;
  };
  paint();
  countdownTimer = setInterval(paint, 1000);
  returnTimer = setTimeout(() => show('attract'), ms);
}

function showMessage(message) {
  const m = message ?? OFFLINE_MESSAGE;
  $('screen-message').dataset.kind = m.kind;
  $('message-icon').textContent = m.icon ?? '!';
  $('message-title').textContent = m.title;
  $('message-text').textContent = m.text;
  show('message');
  returnAfter(timings.messageReturnMs, 'message-return');
}

async function submitCode(raw, via) {
  const code = raw.trim();
  if (!code || busy) return;
  // A fan's own-photo job QR (PRINTJOB:code:pin) opens the own-photo screens with it.
  if (/^PRINTJOB:/i.test(code)) {
    location.assign(`/kiosk/own#${encodeURIComponent(code)}`);
    return;
  }
  // Only the camera repeats itself; a scanner or a typed code is a deliberate new try.
  if (via === 'camera' && code === lastCode.code && Date.now() - lastCode.at < SAME_CODE_QUIET_MS) return;
  lastCode = { code, at: Date.now() };
  busy = true;
  show('checking');
  try {
    const res = await fetch('/kiosk/redeem', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    const body = await res.json().catch(() => null);
    if (res.ok && body?.progress) startProgress(body.progress);
    else showMessage(body?.message);
  } catch {
    showMessage(OFFLINE_MESSAGE);
  } finally {
    busy = false;
  }
}

/** "5 of 8" under a short code being typed; "Print my photos" only once the code is whole. */
function countTyped() {
  const typed = $('code-input').value;
  $('code-count').textContent = typedCount(typed);
  $('type-submit').disabled = !canSubmitCode(typed);
}

function startProgress(progress) {
  order = { id: progress.orderId, changedAt: Date.now(), last: '', progress, printer: null, events: null };
  delete root.dataset.outcome;
  $('prints').replaceChildren();
  $('progress-done').hidden = true;
  show('progress');
  render(progress, null);
  follow(order);
}

/** Live progress over server-sent events (every state, however short); EventSource reconnects by itself. */
function follow(current) {
  const events = new EventSource(`/kiosk/orders/${encodeURIComponent(current.id)}/events`);
  current.events = events;
  events.addEventListener('printer', (event) => {
    current.printer = JSON.parse(event.data);
    if (order === current && current.progress) render(current.progress, current.printer);
  });
  events.addEventListener('progress', (event) => {
    if (order !== current) return;
    const progress = JSON.parse(event.data);
    current.progress = progress;
    if (event.data !== current.last) {
      current.last = event.data;
      current.changedAt = Date.now();
    }
    render(progress, current.printer);
    if (progress.done) stopFollowing();
  });
  watchForStall(current);
}

function watchForStall(current) {
  clearTimeout(stallTimer);
  stallTimer = setTimeout(() => {
    if (order !== current || screen !== 'progress' || !current.events) return;
    // No news for this long (printer jammed, node gone): give the screen back; printing goes on.
    if (Date.now() - current.changedAt > timings.stallReturnMs) show('attract');
    else watchForStall(current);
  }, 1000);
}

function stopFollowing() {
  clearTimeout(stallTimer);
  order?.events?.close();
  if (order) order.events = null;
}

function render(progress, printer) {
  const list = $('prints');
  const total = progress.units.length;
  for (const u of progress.units) {
    let card = list.querySelector(`[data-unit="${u.unit}"]`);
    if (!card) {
      card = printCard(progress.orderId, u, total);
      list.append(card);
    }
    card.dataset.state = u.state;
    card.dataset.source = u.source ?? '';
    card.querySelector('.print-state').textContent = unitStateLabel(u);
    card.querySelector('.print-note').textContent = unitNote(u);
    const steps = card.querySelectorAll('.step');
    steps.forEach((step, i) => {
      step.classList.toggle('step-done', u.state !== 'failed' && i < STATE_STEP[u.state]);
      step.classList.toggle('step-active', u.state !== 'failed' && i === STATE_STEP[u.state]);
    });
    const img = card.querySelector('img');
    if (!img.dataset.loaded && THUMB_STATES.has(u.state) && !img.dataset.loading) loadThumb(img);
  }
  const banner = $('printer-banner');
  if (printer?.message && !progress.done) {
    banner.textContent = printerBanner(printer.message.title, total);
    banner.hidden = false;
  } else {
    banner.hidden = true;
  }
  const headline = progressHeadline(progress);
  $('progress-title').textContent = headline.title;
  // A kiosk sale has no code to scan again: say what happened to the money instead.
  const sale = root.dataset.saleChannel;
  $('progress-lead').textContent = headline.outcome === 'incomplete' && sale ? saleIncompleteLead(sale) : headline.lead;
  if (!headline.outcome) return;
  $('progress-done').hidden = false;
  root.dataset.outcome = headline.outcome;
  returnAfter(timings.doneReturnMs, 'progress-return');
}

function printCard(orderId, u, total) {
  const card = document.createElement('li');
  card.className = 'print';
  card.dataset.unit = String(u.unit);
  const frame = document.createElement('div');
  frame.className = 'thumb';
  const img = document.createElement('img');
  img.alt = `Photo ${u.unit + 1}`;
  img.dataset.src = `/kiosk/orders/${encodeURIComponent(orderId)}/items/${u.unit}/thumb.jpg`;
  // A neutral numbered tile until the thumbnail can be read (the photo may still be on its way).
  const placeholder = document.createElement('span');
  placeholder.className = 'thumb-placeholder';
  const tile = thumbPlaceholder(u);
  placeholder.textContent = tile.number;
  placeholder.title = tile.label;
  frame.append(placeholder, img);
  const title = document.createElement('p');
  title.className = 'print-title';
  title.textContent = `Print ${u.unit + 1} of ${total}${u.copy > 1 ? ` · copy ${u.copy}` : ''}`;
  const track = document.createElement('div');
  track.className = 'steps';
  for (const label of ['Photo', 'Print', 'Done']) {
    const step = document.createElement('span');
    step.className = 'step';
    step.textContent = label;
    track.append(step);
  }
  const state = document.createElement('p');
  state.className = 'print-state';
  const note = document.createElement('p');
  note.className = 'print-note';
  card.append(frame, title, track, state, note);
  return card;
}

function loadThumb(img, attempt = 0) {
  img.dataset.loading = '1';
  const probe = new Image();
  probe.onload = () => {
    img.src = probe.src;
    img.dataset.loaded = '1';
    delete img.dataset.loading;
  };
  // Not readable here yet (the catalog can lag the photo by a moment): try again shortly.
  probe.onerror = () => {
    if (attempt + 1 < THUMB_ATTEMPTS && img.isConnected) setTimeout(() => loadThumb(img, attempt + 1), THUMB_RETRY_MS);
  };
  probe.src = img.dataset.src;
}

async function refreshPrinter() {
  clearTimeout(printerTimer);
  try {
    const res = await fetch('/kiosk/printer', { cache: 'no-store' });
    if (res.ok) {
      const printer = await res.json();
      const banner = $('printer-banner');
      if (screen === 'attract') {
        banner.hidden = !printer.message;
        banner.textContent = printer.message ? `${printer.message.title}. ${printer.message.text}` : '';
      }
    }
  } catch {
    // Shown as a message when a code is scanned.
  }
  if (screen === 'attract') printerTimer = setTimeout(refreshPrinter, timings.printerPollMs);
}

// Scans are taken on the attract screen, and (so the next fan need not wait) over a message or a
// finished order; never while a code is being checked or printed.
const takesScans = () =>
  !busy && (screen === 'attract' || screen === 'message' || (screen === 'progress' && !$('progress-done').hidden));

listenForWedge((code) => void submitCode(code, 'wedge'), takesScans);

$('type-code-button').addEventListener('click', () => {
  $('code-input').value = '';
  countTyped();
  show('type');
  $('code-input').focus();
  returnAfter(timings.idleReturnMs);
});
$('code-input').addEventListener('input', () => {
  countTyped();
  returnAfter(timings.idleReturnMs);
});
// The on-screen keys type into the field without focusing it, so no system keyboard pops up over them.
$('code-keypad').addEventListener('click', (event) => {
  const key = event.target instanceof Element ? event.target.closest('[data-key]') : null;
  if (!key) return;
  const input = $('code-input');
  input.value = key.dataset.key === 'Backspace' ? input.value.slice(0, -1) : input.value + key.dataset.key;
  input.dispatchEvent(new Event('input'));
});
$('type-cancel').addEventListener('click', () => show('attract'));
$('type-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const typed = $('code-input').value;
  // Enter submits the form even while the button is disabled: a half-typed code stays in the field.
  if (!canSubmitCode(typed)) return;
  $('code-input').value = '';
  void submitCode(typed, 'typed');
});
$('code-input').addEventListener('keydown', (event) => {
  // Enter means "print", also when a scanner types a code into the focused field.
  if (event.key === 'Enter') {
    event.preventDefault();
    $('type-form').requestSubmit();
  }
});
$('message-ok').addEventListener('click', () => show('attract'));
$('progress-done').addEventListener('click', () => show('attract'));

show('attract');
if (root.dataset.shop === 'on') {
  import('./kiosk-shop.js').then(({ initShop }) => {
    shop = initShop({ $, root, timings, show, startProgress, showMessage, screen: () => screen });
  });
}
startCameraScanner(
  $('camera-video'),
  (code) => void submitCode(code, 'camera'),
  () => screen === 'attract' && !busy,
)
  .then(() => {
    root.dataset.camera = 'on';
  })
  .catch(() => {
    root.dataset.camera = 'off';
    $('camera-note').hidden = false;
  });
