import { startCameraScanner } from '/kiosk/assets/camera-scanner.js';
import { listenForWedge } from '/kiosk/assets/wedge-listener.js';
import { initEntry } from './own-photo-entry.js';
import { initPayment } from './own-photo-payment.js';
import { initPrinting } from './own-photo-printing.js';

/**
 * The kiosk's "Print your own photos" screens: enter (camera, scanner or code + PIN on the touch
 * keypad), jobs (the fan's jobs with thumbnails and fees), pay (the provider's checkout as a QR for
 * the phone), printing. Any screen left alone goes back to the kiosk's start page. This module shows
 * the screens and the jobs; entry, payment and printing are modules of their own (own-photo-*.js).
 */
const root = document.getElementById('kiosk');
const idleReturnMs = Number(root.dataset.idleReturnMs);
const payWaitMs = Number(root.dataset.payWaitMs);
const pollMs = Number(root.dataset.pollMs);
const $ = (id) => document.getElementById(id);
const SCREENS = ['enter', 'checking', 'jobs', 'pay', 'card', 'printing', 'message'];

/** What the screens share: `cardSale` is the card sale of the job being paid or printed here, if paid by card. */
const session = { screen: 'enter', busy: false, idleTimer: 0, pollTimer: 0, cardSale: null };
let current = { code: '', pin: '' };
/** Whether this station's card reader takes payments now (asked at each look-up). */
let cardReady = false;

function show(name) {
  // The entry screen always starts empty: a code left from a look-up must not catch the next keys.
  if (name === 'enter' && session.screen !== 'enter') entry.clearEntry();
  session.screen = name;
  root.dataset.screen = name;
  for (const s of SCREENS) $(`screen-${s}`).hidden = s !== name;
  touched();
}

/** Any touch restarts the countdown back to the kiosk's start page. */
function touched() {
  clearTimeout(session.idleTimer);
  if (session.screen === 'printing' || session.screen === 'pay' || session.screen === 'card') return;
  session.idleTimer = setTimeout(() => location.assign('/kiosk'), idleReturnMs);
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

function stopPolling() {
  clearTimeout(session.pollTimer);
  session.pollTimer = 0;
}

const ui = { $, root, session, show, touched, showMessage, call, money, stopPolling, idleReturnMs, payWaitMs, pollMs };
const entry = initEntry(ui, { lookup });
// Printing settles a card sale through payment's cardCall, so it comes second and payment reaches it lazily.
const payment = initPayment(ui, {
  print: (jobId) => printing.print(jobId),
  reopen: () => lookup(current.code, current.pin),
});
const printing = initPrinting(ui, { cardCall: payment.cardCall });

async function lookup(code, pin) {
  if (session.busy) return;
  session.busy = true;
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
    session.busy = false;
    $('own-pin').value = '';
    entry.refreshSubmit();
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
    button.addEventListener('click', () => void (paid ? printing.print(job.id) : payment.pay(job)));
    info.append(title, kept);
    if (byCard) {
      const card = document.createElement('button');
      card.type = 'button';
      card.className = 'button own-job-card';
      card.textContent = `Pay ${money(job.fee)} by card`;
      card.addEventListener('click', () => void payment.payByCard(job));
      info.append(card);
    }
    info.append(button);
    li.append(thumbs, info);
    list.append(li);
  }
  show('jobs');
}

$('jobs-back').addEventListener('click', () => show('enter'));
$('message-ok').addEventListener('click', () => show('enter'));

// --- scans: the job QR on the phone, by camera or scanner ---

const takesScans = () => session.screen === 'enter' && !session.busy;
const onScan = (text) => {
  if (!/^PRINTJOB:/i.test(text.trim())) return;
  void lookup(text.trim());
};
listenForWedge(onScan, takesScans);
startCameraScanner($('camera-video'), onScan, takesScans).catch(() => {
  $('camera-note').hidden = false;
});
document.addEventListener('pointerdown', touched, true);
entry.setActive('code');
show('enter');
// Scanned on the kiosk's start screen: it sent the job QR here.
const handedOver = decodeURIComponent(location.hash.slice(1));
if (/^PRINTJOB:/i.test(handedOver)) {
  history.replaceState(null, '', location.pathname);
  void lookup(handedOver);
}
