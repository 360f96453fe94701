import { startCameraScanner } from '/kiosk/assets/camera-scanner.js';
import { listenForWedge } from '/kiosk/assets/wedge-listener.js';

/**
 * The kiosk's "Print your own photos" screens: enter (camera, scanner or code + PIN on the touch
 * keypad), jobs (the fan's jobs with thumbnails and fees), pay (the provider's checkout as a QR for
 * the phone), printing. Any screen left alone goes back to the kiosk's start page.
 */
const root = document.getElementById('kiosk');
const idleReturnMs = Number(root.dataset.idleReturnMs);
const payWaitMs = Number(root.dataset.payWaitMs);
const pollMs = Number(root.dataset.pollMs);
const $ = (id) => document.getElementById(id);
const SCREENS = ['enter', 'checking', 'jobs', 'pay', 'card', 'printing', 'message'];
const CODE_CHARS = 6;
const PIN_DIGITS = 4;

let screen = 'enter';
let busy = false;
let active = 'code';
let idleTimer = 0;
let pollTimer = 0;
let current = { code: '', pin: '' };
/** Whether this station's card reader takes payments now (asked at each look-up). */
let cardReady = false;
/** The card sale of the job being paid or printed here, if it is paid by card. */
let cardSale = null;

function show(name) {
  // The entry screen always starts empty: a code left from a look-up must not catch the next keys.
  if (name === 'enter' && screen !== 'enter') clearEntry();
  screen = name;
  root.dataset.screen = name;
  for (const s of SCREENS) $(`screen-${s}`).hidden = s !== name;
  touched();
}

/** Any touch restarts the countdown back to the kiosk's start page. */
function touched() {
  clearTimeout(idleTimer);
  if (screen === 'printing' || screen === 'pay' || screen === 'card') return;
  idleTimer = setTimeout(() => location.assign('/kiosk'), idleReturnMs);
}

function money(fee) {
  return fee ? `${(fee.totalCents / 100).toFixed(2)} ${fee.currency}` : '';
}

function showMessage(message, fallback) {
  const m = message ?? fallback ?? { title: 'That did not work', text: 'Please try again.' };
  $('message-title').textContent = m.title;
  $('message-text').textContent = m.text;
  stopPolling();
  show('message');
}

async function call(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => null);
  if (!res.ok) throw json?.message ?? { title: 'This printer is not answering', text: 'Please try again.' };
  return json;
}

// --- enter ---

function setActive(field) {
  active = field;
  for (const f of document.querySelectorAll('.own-field')) {
    if (f.dataset.field === field) f.setAttribute('data-active', '');
    else f.removeAttribute('data-active');
  }
}

function clearEntry() {
  $('own-code').value = '';
  $('own-pin').value = '';
  setActive('code');
  refreshSubmit();
}

function normalise(text) {
  return text.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

function refreshSubmit() {
  const code = normalise($('own-code').value);
  $('enter-submit').disabled = code.length !== CODE_CHARS || !/^\d{4}$/.test($('own-pin').value);
}

function press(key) {
  touched();
  const code = $('own-code');
  const pin = $('own-pin');
  if (key === 'Backspace') {
    if (active === 'pin' && pin.value === '') setActive('code');
    const field = active === 'pin' ? pin : code;
    field.value = field.value.slice(0, -1);
  } else if (active === 'code') {
    code.value = normalise(code.value + key).slice(0, CODE_CHARS);
    if (code.value.length === CODE_CHARS) setActive('pin');
  } else if (/^\d$/.test(key) && pin.value.length < PIN_DIGITS) {
    pin.value += key;
  }
  refreshSubmit();
}

for (const key of document.querySelectorAll('#own-keypad .key')) {
  key.addEventListener('click', () => press(key.dataset.key));
}
for (const f of document.querySelectorAll('.own-field')) {
  f.addEventListener('click', () => setActive(f.dataset.field));
}
$('own-code').addEventListener('input', () => {
  $('own-code').value = normalise($('own-code').value).slice(0, CODE_CHARS);
  refreshSubmit();
});
$('own-pin').addEventListener('input', () => {
  $('own-pin').value = $('own-pin').value.replace(/\D/g, '').slice(0, PIN_DIGITS);
  refreshSubmit();
});
$('enter-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void lookup(normalise($('own-code').value), $('own-pin').value);
});

async function lookup(code, pin) {
  if (busy) return;
  busy = true;
  $('checking-title').textContent = 'Looking for your photos…';
  show('checking');
  try {
    const body = await call('POST', '/kiosk/own/lookup', pin === undefined ? { code } : { code, pin });
    current = { code, pin };
    cardReady = await call('GET', '/kiosk/own/payments')
      .then((p) => p.card === true)
      .catch(() => false);
    renderJobs(body.jobs);
  } catch (message) {
    showMessage(message);
  } finally {
    busy = false;
    $('own-pin').value = '';
    refreshSubmit();
  }
}

// --- jobs ---

function renderJobs(jobs) {
  const list = $('own-jobs');
  list.replaceChildren();
  for (const job of jobs) {
    const li = document.createElement('li');
    li.className = 'own-job';
    li.dataset.job = job.id;
    li.dataset.state = job.state;
    const thumbs = document.createElement('div');
    thumbs.className = 'own-thumbs';
    for (let n = 0; n < job.imageCount; n++) {
      const img = document.createElement('img');
      img.alt = `Photo ${n + 1}`;
      img.addEventListener('load', () => {
        img.dataset.loaded = '1';
      });
      img.src = `/kiosk/own/jobs/${encodeURIComponent(job.id)}/thumbs/${n}`;
      thumbs.append(img);
    }
    const info = document.createElement('div');
    info.className = 'own-job-info';
    const title = document.createElement('p');
    title.textContent = `${job.printCount} print${job.printCount === 1 ? '' : 's'}`;
    const kept = document.createElement('p');
    kept.className = 'own-job-kept';
    kept.textContent =
      job.state === 'uploaded' || job.state === 'awaiting_payment'
        ? `Deleted ${new Date(job.expiresAt).toLocaleString([], { weekday: 'short', hour: '2-digit', minute: '2-digit' })} unless printed`
        : 'Paid';
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'button own-job-print';
    const paid = job.state === 'paid' || job.state === 'released';
    const byCard = !paid && cardReady && job.fee;
    button.textContent = paid
      ? 'Print now (paid)'
      : byCard
        ? `Pay ${money(job.fee)} with your phone`
        : `Pay ${money(job.fee)} and print`;
    button.disabled = !paid && !job.fee;
    button.addEventListener('click', () => void (paid ? print(job.id) : pay(job)));
    info.append(title, kept);
    if (byCard) {
      const card = document.createElement('button');
      card.type = 'button';
      card.className = 'button own-job-card';
      card.textContent = `Pay ${money(job.fee)} by card`;
      card.addEventListener('click', () => void payByCard(job));
      info.append(card);
    }
    info.append(button);
    li.append(thumbs, info);
    list.append(li);
  }
  show('jobs');
}

$('jobs-back').addEventListener('click', () => show('enter'));

// --- pay ---

function stopPolling() {
  clearTimeout(pollTimer);
  pollTimer = 0;
}

async function pay(job) {
  if (busy) return;
  busy = true;
  $('checking-title').textContent = 'Preparing the payment…';
  show('checking');
  try {
    const body = await call('POST', `/kiosk/own/jobs/${encodeURIComponent(job.id)}/pay`);
    $('pay-qr').src = body.qr;
    $('pay-qr').dataset.checkoutUrl = body.checkoutUrl;
    $('pay-amount').textContent = money(body.job.fee);
    show('pay');
    const giveUpAt = performance.now() + payWaitMs;
    const poll = async () => {
      if (screen !== 'pay') return;
      if (performance.now() > giveUpAt) {
        showMessage({ title: 'No payment arrived', text: 'Nothing was charged here. Start again when you are ready.' });
        return;
      }
      try {
        const state = await call('GET', `/kiosk/own/jobs/${encodeURIComponent(job.id)}`);
        if (state.job.state === 'paid') {
          void print(job.id);
          return;
        }
        if (state.job.state === 'uploaded') {
          showMessage({ title: 'Payment cancelled', text: 'Nothing was charged. Your photos are still waiting.' });
          return;
        }
      } catch {
        // A missed poll is tried again; the payment is recorded at the coordinator either way.
      }
      pollTimer = setTimeout(poll, pollMs);
    };
    pollTimer = setTimeout(poll, pollMs);
  } catch (message) {
    showMessage(message);
  } finally {
    busy = false;
  }
}

$('pay-cancel').addEventListener('click', () => {
  stopPolling();
  // The job stays unpaid and listed; a payment made on the phone later still counts (once).
  void lookup(current.code, current.pin);
});

// --- pay by card on the station's reader: authorised now, charged only once the photos are out ---

const CARD_FAILURE_TEXT = {
  declined: 'The card was declined. Try again with another card, or cancel.',
  insufficient_funds: 'Not enough funds on this card. Try again with another card, or cancel.',
  card_removed: 'The card was taken away too early. Try again and hold it until the reader beeps.',
  timeout: 'No card was presented in time. Try again when you are ready.',
  reader_offline: 'The card reader is not answering. Try again, or pay with your phone.',
  cancelled: 'The payment on the reader was cancelled. Try again, or cancel.',
};

function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `own-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

async function cardCall(method, suffix) {
  return (await call(method, `/kiosk/own/card/${encodeURIComponent(cardSale.id)}${suffix}`)).sale;
}

async function payByCard(job) {
  if (busy) return;
  busy = true;
  $('checking-title').textContent = 'Preparing the payment…';
  show('checking');
  try {
    // One key per press of "Pay by card": a double tap or a retried request finds the same payment.
    const body = await call('POST', `/kiosk/own/jobs/${encodeURIComponent(job.id)}/card`, { idempotencyKey: newKey() });
    cardSale = body.sale;
    $('card-amount').textContent = money(cardSale);
    showCard(cardSale);
    show('card');
    const giveUpAt = performance.now() + payWaitMs;
    const poll = async () => {
      if (screen !== 'card') return;
      if (performance.now() > giveUpAt) {
        await cardCall('POST', '/cancel').catch(() => {});
        showMessage({ title: 'No card was presented', text: 'Nothing was charged. Start again when you are ready.' });
        return;
      }
      try {
        const sale = await cardCall('GET', '');
        cardSale = sale;
        if (sale.state === 'authorised' || sale.state === 'printing') {
          void print(sale.jobId);
          return;
        }
        if (['voided', 'cancelled', 'expired'].includes(sale.state)) {
          showMessage({ title: 'Payment cancelled', text: 'Nothing was charged. Your photos are still waiting.' });
          return;
        }
        showCard(sale);
      } catch {
        // A missed poll is tried again; the sale is settled at the coordinator either way.
      }
      pollTimer = setTimeout(poll, pollMs);
    };
    pollTimer = setTimeout(poll, pollMs);
  } catch (message) {
    cardSale = null;
    showMessage(message);
  } finally {
    busy = false;
  }
}

function showCard(sale) {
  root.dataset.cardFailure = sale.lastFailure ?? '';
  $('card-note').textContent = sale.lastFailure
    ? CARD_FAILURE_TEXT[sale.lastFailure]
    : 'Tap, insert or swipe your card at the card reader next to this screen.';
  $('card-retry').hidden = !sale.lastFailure;
}

$('card-retry').addEventListener('click', async () => {
  try {
    showCard(await cardCall('POST', '/retry'));
  } catch (message) {
    showMessage(message);
  }
});

$('card-cancel').addEventListener('click', async () => {
  stopPolling();
  try {
    const sale = await cardCall('POST', '/cancel');
    cardSale = null;
    if (sale.state === 'authorised' || sale.state === 'printing') void print(sale.jobId);
    else void lookup(current.code, current.pin);
  } catch (message) {
    showMessage(message);
  }
});

// --- printing ---

async function print(jobId) {
  stopPolling();
  $('printing-title').textContent = 'Printing your photos';
  $('printing-count').textContent = '';
  $('printing-note').textContent = '';
  $('printing-done').hidden = true;
  $('printing-receipt').hidden = true;
  $('printing-spinner').hidden = false;
  show('printing');
  try {
    const body = await call('POST', `/kiosk/own/jobs/${encodeURIComponent(jobId)}/print`);
    follow(jobId, body.progress);
  } catch (message) {
    if (!cardSale) {
      showMessage(message);
      return;
    }
    // Paid by card and this printer cannot start: the authorisation is released, nothing is charged.
    const released = await cardCall('POST', '/cancel').catch(() => null);
    cardSale = null;
    showMessage({
      title: message?.title ?? 'Printing could not start',
      text: released
        ? 'Your card was not charged: the payment was released. Your photos are still waiting.'
        : 'Your card will not be charged unless your photos print. Staff can help.',
    });
  }
}

function follow(jobId, progress) {
  root.dataset.outcome = progress.state;
  $('printing-count').textContent = `${progress.printed} of ${progress.total} printed`;
  if (progress.state === 'done') {
    $('printing-title').textContent = 'All done!';
    $('printing-note').textContent = 'Take your prints. Your photos have been deleted from our server.';
    if (cardSale) void settleCard('done');
    finish();
    return;
  }
  if (progress.state === 'failed') {
    $('printing-title').textContent = 'Printing stopped';
    $('printing-note').textContent = cardSale
      ? 'Your card was not charged: the payment was released. Your photos are still waiting: try again here or at another printer.'
      : 'You have paid: open your photos again here or at another printer to print them. Staff can help.';
    if (cardSale) void settleCard('failed');
    finish();
    return;
  }
  pollTimer = setTimeout(async () => {
    try {
      const state = await call('GET', `/kiosk/own/jobs/${encodeURIComponent(jobId)}`);
      follow(jobId, state.progress ?? progress);
    } catch {
      follow(jobId, progress);
    }
  }, pollMs);
}

/** After the print: the coordinator captures (or voids) at this poll; the screen shows the receipt lines. */
async function settleCard(outcome) {
  try {
    const sale = await cardCall('GET', '');
    root.dataset.cardState = sale.state;
    if (outcome === 'done' && sale.card) {
      $('printing-receipt').textContent =
        `Paid ${money(sale)} by ${sale.card.brand.toUpperCase()} **** ${sale.card.last4}` +
        (sale.authorisationCode ? `, authorisation ${sale.authorisationCode}` : '');
      $('printing-receipt').hidden = false;
    }
  } catch {
    // The coordinator's sweeper settles the sale by itself.
  }
}

function finish() {
  $('printing-spinner').hidden = true;
  $('printing-done').hidden = false;
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => location.assign('/kiosk'), idleReturnMs);
}

$('printing-done').addEventListener('click', () => location.assign('/kiosk'));
$('message-ok').addEventListener('click', () => show('enter'));

// --- scans: the job QR on the phone, by camera or scanner ---

const takesScans = () => screen === 'enter' && !busy;
const onScan = (text) => {
  if (!/^PRINTJOB:/i.test(text.trim())) return;
  void lookup(text.trim());
};
listenForWedge(onScan, takesScans);
startCameraScanner($('camera-video'), onScan, takesScans).catch(() => {
  $('camera-note').hidden = false;
});
document.addEventListener('pointerdown', touched, true);
setActive('code');
show('enter');
// Scanned on the kiosk's start screen: it sent the job QR here.
const handedOver = decodeURIComponent(location.hash.slice(1));
if (/^PRINTJOB:/i.test(handedOver)) {
  history.replaceState(null, '', location.pathname);
  void lookup(handedOver);
}
