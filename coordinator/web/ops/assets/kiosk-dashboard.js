// The dashboard's "Sales per channel and station" section: refreshed every few seconds, so a station's
// card reader going busy or offline shows without reloading (the printer rows have their own stream).

const REFRESH_MS = 5_000;

async function refresh() {
  const current = document.getElementById('kiosk-sales-section');
  if (!current) return;
  try {
    const res = await fetch('/ops/kiosk-stations', { credentials: 'same-origin', cache: 'no-store' });
    if (res.ok) {
      const template = document.createElement('template');
      template.innerHTML = (await res.text()).trim();
      const fresh = template.content.firstElementChild;
      if (fresh && fresh.id === 'kiosk-sales-section') current.replaceWith(fresh);
    }
  } catch {
    // The coordinator is briefly unreachable: the next round tries again, the section keeps its rows.
  }
  setTimeout(refresh, REFRESH_MS);
}

setTimeout(refresh, REFRESH_MS);
