// Shared by every staff page: JSON calls with readable errors, relative times, local date-times.

/** An API refusal: `message` is for people, `issues` name the fields a 400 found wrong. */
export class ApiError extends Error {
  constructor(status, code, message, issues) {
    super(message);
    this.status = status;
    this.code = code;
    this.issues = issues;
  }
}

/** A JSON call with the sign-in cookie; a lost sign-in goes back to the sign-in page. */
export async function api(method, url, body) {
  const init = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch {
    throw new ApiError(0, 'network', 'The coordinator cannot be reached: check the connection and try again.', []);
  }
  const data = await res.json().catch(() => null);
  if (res.status === 401) {
    location.assign(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`);
  }
  if (!res.ok) {
    const error = data?.error ?? {};
    throw new ApiError(
      res.status,
      error.code ?? 'error',
      error.message ?? `Failed (${res.status}).`,
      error.details?.issues ?? [],
    );
  }
  return data;
}

/** "8", "8.5", "8,50" → 850 cents; NaN when it is not an amount. */
export function parseMoney(text) {
  const t = String(text).trim().replace(',', '.');
  if (!/^\d{1,7}(\.\d{1,2})?$/.test(t)) return Number.NaN;
  return Math.round(Number(t) * 100);
}

/**
 * Shows an error under a form and marks the inputs it names. `fields` maps an API field path
 * (e.g. "priceList.unitPriceCents") to its input, so the message uses the label people see.
 */
export function showError(form, err, fields = {}) {
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  const lines = [];
  let first = null;
  for (const issue of err.issues ?? []) {
    const input = fields[issue.field];
    const label = input?.labels?.[0]?.textContent?.trim() || issue.field;
    lines.push(`${label}: ${issue.message}`);
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      first ??= input;
    }
  }
  showMessage(form.querySelector('.form-message'), lines.length ? lines.join(' · ') : err.message, 'error');
  first?.focus();
}

export function showMessage(el, text, kind = 'ok') {
  if (!el) return;
  el.textContent = text;
  el.dataset.kind = kind;
}

export function clearErrors(form) {
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  showMessage(form.querySelector('.form-message'), '');
}

function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.floor(h / 24)} d`;
}

/** Rewrites every <time data-ago> as "… ago" (or "in …" for future moments) against the clock. */
export function refreshTimes(root = document) {
  const now = Date.now();
  for (const el of root.querySelectorAll('time[data-ago]')) {
    const at = Number(el.dataset.ago);
    const ms = now - at;
    el.textContent = ms >= 0 ? (ms < 5000 ? 'just now' : `${duration(ms)} ago`) : `in ${duration(-ms)}`;
  }
  for (const el of root.querySelectorAll('time[data-local]:not([data-done])')) {
    const d = new Date(el.getAttribute('datetime'));
    if (!Number.isNaN(d.getTime())) {
      el.textContent = d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
      el.dataset.done = '';
    }
  }
}

/** Parses one trusted fragment from the server (a row, a list item) into an element. */
export function fragment(html) {
  const template = document.createElement('template');
  template.innerHTML = html.trim();
  return template.content;
}

refreshTimes();
setInterval(refreshTimes, 5000);
