import type { DetourStats } from '../../../shared/protocol/photo-detour.ts';
import { html, type SafeHtml } from '../../../shared/web/html.ts';
import type { Alert } from '../../services/alerts.ts';
import type { OpsSnapshot } from '../../services/ops-monitor.ts';
import type { EventProgress, PrinterRow } from '../../services/printer-rows.ts';
import type { SalesLine } from '../../store/port.ts';
import { formatAgo, formatBytes, formatDateTime, formatDuration } from './format.ts';
import { photoPrintersHtml } from './station-view.ts';

/**
 * The dashboard's markup, rendered here only: the page renders it once and the live stream sends the
 * same fragments for the rows that changed, so the browser script just swaps them in.
 */

export function timeAgo(at: number | null, now: number, never = 'never'): SafeHtml {
  if (at === null) return html`<span class="muted">${never}</span>`;
  return html`<time datetime="${new Date(at).toISOString()}" data-ago="${at}" title="${formatDateTime(at)}">${formatAgo(at, now)}</time>`;
}

/** A date-time the page shows in the viewer's time zone (UTC until the script runs). */
export function localTime(at: number): SafeHtml {
  return html`<time data-local datetime="${new Date(at).toISOString()}">${formatDateTime(at)}</time>`;
}

const STATE_LABEL: Readonly<Record<string, string>> = {
  ready: 'Ready',
  printing: 'Printing',
  paper_out: 'Out of paper',
  cover_open: 'Cover open',
  offline: 'Printer offline',
  error: 'Error',
};

function connection(row: PrinterRow, now: number): SafeHtml {
  if (row.revoked) return html`<span class="badge badge-muted">Revoked</span>`;
  const badge = row.online
    ? html`<span class="badge badge-ok">Online</span>`
    : html`<span class="badge badge-bad">Offline</span>`;
  const seen = row.lastSeenAt === null ? 'never connected' : html`seen ${timeAgo(row.lastSeenAt, now)}`;
  return html`${badge}<br><span class="small">${seen}</span>`;
}

function printerState(row: PrinterRow): SafeHtml {
  if (row.printerState === null) return html`<span class="muted">no report yet</span>`;
  const tone = row.printerState === 'ready' || row.printerState === 'printing' ? 'ok' : 'bad';
  const label = STATE_LABEL[row.printerState] ?? row.printerState;
  // A detail that only repeats the state ("Ready" and "Ready.") is left out.
  const detail = row.printerDetail && !sameWords(row.printerDetail, label) ? row.printerDetail : '';
  return html`<span class="badge badge-${tone}">${label}</span>
<span class="small">${detail}</span>
${photoPrintersHtml(row.photoPrinters ?? [])}
${row.lastError ? html`<span class="small error-text"><span class="visually-hidden">Last error: </span>⚠ ${row.lastError}</span>` : ''}`;
}

function sameWords(a: string, b: string): boolean {
  const words = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, ' ')
      .trim();
  return words(a) === words(b);
}

function eventProgress(e: EventProgress): SafeHtml {
  const lag = e.lagMs === null ? 'up to date' : `${formatDuration(e.lagMs)} behind`;
  return html`<li>
  <span class="event-name">${e.eventName}</span>
  <progress max="${Math.max(1, e.imagesTotal)}" value="${Math.min(e.imagesHeld, e.imagesTotal)}" aria-label="${e.eventName}: ${e.percent} percent of photos held"></progress>
  <span class="small">${e.percent} % · ${e.imagesHeld}/${e.imagesTotal} · ${formatBytes(e.bytesNeeded)} to fetch · ${lag}</span>
</li>`;
}

/**
 * A printer's detours under its LAN bytes, once it has any: how many it asked of printers off its
 * photo overlay for fans' photos (one per holder asked), how many it opened for others, and how many
 * requests it turned down at its limit (that fan's photo then came from the next holder or the cloud).
 */
function detoursHtml(d: DetourStats | undefined): SafeHtml | null {
  if (!d || d.asked + d.served + d.declined + d.serving + d.rejectedMessages === 0) return null;
  const parts = [`asked ${d.asked}`, `served ${d.served}${d.serving > 0 ? ` (${d.serving} now)` : ''}`];
  if (d.declined > 0) parts.push(`declined ${d.declined}`);
  if (d.rejectedMessages > 0) parts.push(`${d.rejectedMessages} malformed ignored`);
  return html`<br><span class="small detours" title="Detours: links to printers off this one's photo overlay, for fans' photos only they held">detours: ${parts.join(' · ')}</span>`;
}

export function printerRowHtml(row: PrinterRow, now: number): SafeHtml {
  const fmt = (n: number | null) => (n === null ? html`<span class="muted">–</span>` : formatBytes(n));
  return html`<tr data-id="${row.id}" class="${row.revoked ? 'revoked' : row.online ? '' : 'offline'}">
  <th scope="row"><span class="printer-name">${row.name}</span><br><span class="small">${row.venueName}${row.version ? ` · v${row.version}` : ''}</span></th>
  <td>${connection(row, now)}</td>
  <td>${printerState(row)}</td>
  <td class="num">${row.queue ?? html`<span class="muted">–</span>`}</td>
  <td>${row.events.length ? html`<ul class="plain events">${row.events.map(eventProgress)}</ul>` : html`<span class="muted">no events</span>`}</td>
  <td class="num">${fmt(row.bytesFromLan)}${detoursHtml(row.photoDetours)}</td>
  <td class="num">${fmt(row.bytesFromCloud)}</td>
  <td class="num">${row.throughputBytesPerSec === null ? html`<span class="muted">–</span>` : `${formatBytes(row.throughputBytesPerSec)}/s`}</td>
</tr>`;
}

export function alertsHtml(alerts: readonly Alert[]): SafeHtml {
  if (alerts.length === 0)
    return html`<li class="alert alert-none">No alerts: every printer is online and keeping up, and no offline conflict is waiting.</li>`;
  return html`${alerts.map(
    (a) => html`<li class="alert alert-${a.severity}" data-kind="${a.kind}">
  <strong>${a.severity === 'critical' ? 'Critical' : 'Warning'}:</strong> ${a.message}${a.href ? html` <a href="${a.href}">Review</a>` : ''}
</li>`,
  )}`;
}

/** Paid orders in the last day, per currency; shown when the page loads (not live). */
export function salesHtml(sales: readonly SalesLine[]): SafeHtml {
  const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  const lines = sales.length
    ? sales.map(
        (s) =>
          html`<li>${plural(s.orders, 'order')} · ${plural(s.prints, 'print')} · <strong>${(s.revenueCents / 100).toFixed(2)} ${s.currency}</strong></li>`,
      )
    : [html`<li class="muted">No paid orders yet.</li>`];
  return html`<section aria-labelledby="sales-heading">
  <h2 id="sales-heading">Sales in the last 24 hours</h2>
  <ul id="sales-summary" class="plain">${lines}</ul>
</section>`;
}

export function dashboardBody(snapshot: OpsSnapshot, sales?: readonly SalesLine[]): SafeHtml {
  const now = snapshot.generatedAt;
  const t = snapshot.thresholds;
  return html`<h1>Dashboard</h1>
<p id="live-status" class="live" role="status" data-state="connecting">Connecting to live updates…</p>
${sales ? salesHtml(sales) : ''}
<section aria-labelledby="alerts-heading">
  <h2 id="alerts-heading">Alerts</h2>
  <p class="small">Offline after ${formatDuration(t.offlineAlertMs)} without contact; lagging when the oldest missing photo is older than ${formatDuration(t.lagAlertMs)}.</p>
  <ul id="alerts" class="plain alerts" aria-live="polite">${alertsHtml(snapshot.alerts)}</ul>
</section>
<section aria-labelledby="printers-heading">
  <h2 id="printers-heading">Printers</h2>
  <p class="small">Updated live: a row flashes yellow for a moment when something in it changes.</p>
  ${
    snapshot.rows.length === 0
      ? html`<p>No printers are paired yet. <a href="/ops/printers">Pair a printer</a>.</p>`
      : ''
  }
  <div class="table-wrap">
  <table class="fleet">
    <caption class="visually-hidden">One row per printer, updated live</caption>
    <thead><tr>
      <th scope="col">Printer</th><th scope="col">Connection</th><th scope="col">Printer state</th>
      <th scope="col" class="num">Queue</th><th scope="col">Replication per event</th>
      <th scope="col" class="num">From LAN</th><th scope="col" class="num">From cloud</th><th scope="col" class="num">Throughput</th>
    </tr></thead>
    <tbody id="fleet-rows">${snapshot.rows.map((r) => printerRowHtml(r, now))}</tbody>
  </table>
  </div>
</section>`;
}
