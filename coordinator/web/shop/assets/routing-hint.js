// Order page: "Go to Printer 3 (about 20 s)" (issue #16), for the printers that hold this order's
// photos, from the queues the printers report. Asked again every few seconds while there is
// something left to print; hidden once there is not.
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

async function refresh() {
  let active = true;
  try {
    const view = await api(`/api/orders/${encodeURIComponent(orderId)}/routing`);
    render(view);
    active = view.active;
  } catch {
    // Offline for a moment: the next poll tries again.
  }
  if (active) setTimeout(refresh, ROUTING_POLL_MS);
}

if (section && orderId) refresh();
