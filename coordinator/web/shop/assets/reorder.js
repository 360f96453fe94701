// A reorder's page: local times, and a reload when the lab moves the order on (sent to the lab,
// printing, shipped with its tracking number). Polls only while the page is visible, stops once
// nothing more can happen.
import { $, localizeTimes } from './common.js';

const POLL_MS = 3000;
const FINAL = new Set(['delivered', 'refunded', 'cancelled']);
const status = $('#status');
const reorderId = $('#main').dataset.reorderId;
let shown = status?.dataset.state;

localizeTimes();

async function check() {
  if (document.visibilityState !== 'visible' || FINAL.has(shown)) return;
  try {
    const res = await fetch(`/api/reorders/${encodeURIComponent(reorderId)}`, { cache: 'no-store' });
    if (!res.ok) return;
    const { reorder } = await res.json();
    if (reorder.state !== shown) {
      shown = reorder.state;
      location.reload();
    }
  } catch {
    // Offline for a moment: the next poll tries again.
  }
}

if (reorderId && status) setInterval(check, POLL_MS);
