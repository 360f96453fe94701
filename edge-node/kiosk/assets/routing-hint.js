/**
 * The attract screen's routing line (issue #16): how long a print takes here and, when the queue is
 * long, a nearby printer with a shorter one; when this printer cannot print, the nearest one that
 * can. Asks GET /kiosk/routing as often as the screen asks for the printer's state.
 */
const root = document.getElementById('kiosk');
const hint = document.getElementById('routing-hint');
const pollMs = Number(root?.dataset.printerPollMs) || 5_000;

async function refresh() {
  try {
    const res = await fetch('/kiosk/routing', { cache: 'no-store' });
    if (res.ok) {
      const { routing } = await res.json();
      const text = routing?.text ?? '';
      if (hint.textContent !== text) hint.textContent = text;
      hint.hidden = !text;
      hint.dataset.kind = !routing
        ? ''
        : routing.nearestWorking
          ? 'down'
          : routing.suggestion
            ? 'suggest'
            : routing.here.unitsWaiting > 0
              ? 'eta'
              : '';
    }
  } catch {
    // The printer's own banner says when the node does not answer.
  }
  setTimeout(refresh, pollMs);
}

if (hint) refresh();
