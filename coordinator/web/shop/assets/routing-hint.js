// Order page: "Go to Printer 3 (about 20 s)" (issue #16), for the printers that hold this order's
// photos, from the queues the printers report. Asked again every few seconds until the order is
// printed or cancelled; hidden while there is nothing to say.
import { $, api } from './common.js';

const ROUTING_POLL_MS = 5_000;
const main = $('#main');
const section = $('#routing');
const orderId = main?.dataset.orderId;

function eta(seconds) {
  const s = Math.max(1, Math.round(seconds));
  return s < 90 ? `about ${s} s` : `about ${Math.round(s / 60)} min`;
}

function render(view) {
  section.hidden = !view.active || !view.text;
  $('#routing-text').textContent = view.text ?? '';
  const list = $('#routing-list');
  list.replaceChildren(
    ...view.stations.slice(1).map((s) => {
      const li = document.createElement('li');
      li.textContent = `${s.name}: ${eta(s.etaSeconds)}${s.holdsPhotos ? '' : ' (your photos are still on their way there)'}`;
      return li;
    }),
  );
  list.hidden = view.stations.length < 2;
}

/** States after which nothing will print any more (order.js keeps main.dataset.state current). */
const DONE_STATES = new Set(['fulfilled', 'cancelled']);

async function refresh() {
  try {
    render(await api(`/api/orders/${encodeURIComponent(orderId)}/routing`));
  } catch {
    // Offline for a moment: the next poll tries again.
  }
  // An unpaid order may be paid on this page: keep asking until nothing is left to print.
  if (!DONE_STATES.has(main.dataset.state)) setTimeout(refresh, ROUTING_POLL_MS);
  else section.hidden = true;
}

if (section && orderId) refresh();
