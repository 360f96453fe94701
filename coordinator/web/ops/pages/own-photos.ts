import type { OwnPhotoJobRecord, OwnPhotoJobState } from '../../../../shared/policy/own-photo-job.ts';
import { html, type SafeHtml } from '../../../../shared/web/html.ts';
import type { OwnPhotoSalesLine } from '../../../services/own-photo-view.ts';
import type { PrinterRecord } from '../../../store/records.ts';
import { localTime } from '../dashboard-view.ts';

const STATE_LABEL: Readonly<Record<OwnPhotoJobState, string>> = {
  uploaded: 'Waiting (unpaid)',
  awaiting_payment: 'Paying at a kiosk',
  paid: 'Paid, not printed',
  released: 'Printing',
  printed: 'Printed',
  expired: 'Expired',
};

export interface OwnPhotosPageData {
  jobs: readonly OwnPhotoJobRecord[];
  /** Paid in the last 24 hours, per currency. */
  sales: readonly OwnPhotoSalesLine[];
  printers: readonly PrinterRecord[];
  retentionHours: number;
  limit: number;
  now: number;
}

function money(fee: OwnPhotoJobRecord['quote']): string {
  return fee ? `${(fee.totalCents / 100).toFixed(2)} ${fee.currency}` : '–';
}

function retention(job: OwnPhotoJobRecord, now: number): SafeHtml {
  if (job.imagesDeletedAt !== null) return html`photos deleted ${localTime(job.imagesDeletedAt)}`;
  if (job.state === 'paid' || job.state === 'released') {
    return html`kept until printed${job.expiresAt < now ? html` <span class="badge badge-warn">past retention</span>` : ''}`;
  }
  return html`deleted at ${localTime(job.expiresAt)}`;
}

/**
 * Own-photo print jobs for operators (issue #13 item 3): each job's state, fee, where it printed or
 * is printing, and when its photos are (or were) deleted. Paid jobs are never expired by the
 * sweeper, so a paid job past the retention time is flagged: print it or refund it.
 */
export function ownPhotosBody(d: OwnPhotosPageData): SafeHtml {
  const names = new Map(d.printers.map((p) => [p.id, p.name]));
  const printer = (id: string | null) => (id ? (names.get(id) ?? `${id.slice(0, 8)}…`) : '–');
  return html`<h1>Own photos</h1>
<p>Print jobs fans uploaded from their phones. Unpaid jobs and their photos are deleted ${d.retentionHours} hours after upload; printed jobs' photos at once.</p>
<p id="own-photos-sales">Sales in the last 24 hours: ${
    d.sales.length === 0
      ? 'none'
      : d.sales
          .map((l) => `${l.jobs} job(s), ${l.prints} print(s), ${(l.revenueCents / 100).toFixed(2)} ${l.currency}`)
          .join('; ')
  }</p>
${
  d.jobs.length === 0
    ? html`<p class="muted" id="own-photos-empty">No own-photo jobs yet.</p>`
    : html`<div class="table-wrap"><table class="own-photos" id="own-photos-table">
<thead><tr><th>Code</th><th>State</th><th>Photos</th><th>Uploaded</th><th>Fee</th><th>Printer</th><th>Retention</th></tr></thead>
<tbody>${d.jobs.map(
        (j) => html`<tr data-job="${j.id}" data-state="${j.state}">
<td><code>${j.code}</code></td>
<td>${STATE_LABEL[j.state]}${j.failures.length ? html`<span class="small block">${j.failures.length} failed attempt(s)</span>` : ''}</td>
<td>${j.images.length}</td>
<td>${localTime(j.createdAt)}</td>
<td>${money(j.quote)}</td>
<td>${printer(j.printedBy ?? j.release?.printerId ?? j.payingPrinterId)}</td>
<td class="own-retention">${retention(j, d.now)}</td>
</tr>`,
      )}</tbody></table></div>
<p class="small muted">The newest ${d.limit} jobs are listed.</p>`
}`;
}
