import { fragment, refreshTimes } from './common.js';

// Live fleet table: the server streams rendered rows (Server-Sent Events); this swaps them in.

const statusEl = document.getElementById('live-status');
const rowsEl = document.getElementById('fleet-rows');
const alertsEl = document.getElementById('alerts');
const CHANGED_HIGHLIGHT_MS = 2000;

function setStatus(state, text) {
  statusEl.dataset.state = state;
  statusEl.textContent = text;
}

function updated(at) {
  setStatus('live', `Live · last change ${new Date(at).toLocaleTimeString()}`);
}

function rowOf(id) {
  for (const tr of rowsEl.children) if (tr.dataset.id === id) return tr;
  return null;
}

function highlight(tr) {
  tr.classList.add('changed');
  setTimeout(() => tr.classList.remove('changed'), CHANGED_HIGHLIGHT_MS);
}

const source = new EventSource('/api/ops/stream');

source.addEventListener('open', () => setStatus('live', 'Live'));

source.addEventListener('snapshot', (e) => {
  const data = JSON.parse(e.data);
  rowsEl.replaceChildren(fragment(data.rows.map((r) => data.html.rows[r.id]).join('')));
  alertsEl.replaceChildren(fragment(data.html.alerts));
  refreshTimes(rowsEl);
  updated(data.generatedAt);
});

source.addEventListener('update', (e) => {
  const data = JSON.parse(e.data);
  for (const id of data.removed) rowOf(id)?.remove();
  for (const row of data.changed) {
    const next = fragment(data.html.rows[row.id]).firstElementChild;
    const current = rowOf(row.id);
    if (current) current.replaceWith(next);
    else rowsEl.append(next);
    highlight(next);
  }
  data.order.forEach((id, i) => {
    const tr = rowOf(id);
    if (tr && rowsEl.children[i] !== tr) rowsEl.insertBefore(tr, rowsEl.children[i] ?? null);
  });
  alertsEl.replaceChildren(fragment(data.html.alerts));
  refreshTimes(rowsEl);
  updated(data.generatedAt);
});

source.addEventListener('signed_out', () => {
  source.close();
  location.assign('/signin?next=/ops');
});

// The server could not check the sign-in (its database is unreachable): still signed in, it retries.
source.addEventListener('unavailable', (e) => {
  setStatus('reconnecting', JSON.parse(e.data).message);
});

source.addEventListener('error', () => {
  if (source.readyState === EventSource.CLOSED) {
    // The server refused the stream (signed out, or too many dashboards): a reload shows why.
    setStatus('down', 'Live updates stopped. Reload the page.');
  } else {
    setStatus('reconnecting', 'Connection lost, reconnecting…');
  }
});
