import { refreshTimes } from './common.js';

// The delivery heat map and orders in flight refresh themselves while the page is visible.

const EVENT_REFRESH_MS = 5000;
const live = document.getElementById('event-live');

async function refresh() {
  if (document.hidden) return;
  try {
    const res = await fetch(live.dataset.src, { credentials: 'same-origin' });
    if (res.redirected) {
      location.assign(res.url);
      return;
    }
    if (!res.ok) return;
    live.innerHTML = await res.text();
    refreshTimes(live);
  } catch {
    // Offline for a moment: the next refresh tries again, the page keeps what it shows.
  }
}

setInterval(refresh, EVENT_REFRESH_MS);
document.addEventListener('visibilitychange', refresh);
