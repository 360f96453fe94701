import type { OwnPhotoJobRecord } from '../../../shared/policy/own-photo-job.ts';
import { html, type SafeHtml } from '../../../shared/web/html.ts';
import type { AssetTable } from './assets.ts';
import { timeTag } from './format.ts';
import { shopPage } from './layout.ts';
import { QR_DISPLAY_PIXELS } from './views-order.ts';

export const OWN_PHOTOS_PATH = '/own-photos';

export interface OwnPhotosPageModel {
  /** The phone's code and PIN, once it uploaded something still kept. */
  ticket: { code: string; pin: string } | null;
  jobs: OwnPhotoJobRecord[];
  retentionHours: number;
  maxPhotosPerJob: number;
  maxUploadMegabytes: number;
  /** A refusal of the last upload, in words a fan can act on. */
  error: string | null;
  now: number;
}

const STATE_WORDS: Readonly<Record<OwnPhotoJobRecord['state'], string>> = {
  uploaded: 'Waiting at the printers: pay and print at any kiosk',
  awaiting_payment: 'Payment started at a kiosk',
  paid: 'Paid: printing at the kiosk',
  released: 'Printing now',
  printed: 'Printed: the photos are deleted',
  expired: 'Expired: the photos are deleted',
};

function ticket(t: { code: string; pin: string }): SafeHtml {
  return html`<section id="own-ticket" class="ticket" aria-labelledby="own-ticket-title">
<h2 id="own-ticket-title">Your print code</h2>
<div class="qr-box"><img id="own-qr" class="qr" src="${OWN_PHOTOS_PATH}/qr.svg" width="${QR_DISPLAY_PIXELS}" height="${QR_DISPLAY_PIXELS}" alt="QR code of your print jobs, to scan at a photo kiosk"></div>
<p class="code-label">At any photo kiosk, scan this QR code, or tap "Print your own photos" and type:</p>
<p class="code" id="own-code">Code <span id="own-code-value">${t.code}</span></p>
<p class="code" id="own-pin">PIN <span id="own-pin-value">${t.pin}</span></p>
<p class="code-expiry">Keep this page open or take a screenshot. Do not share the PIN.</p>
</section>`;
}

function jobList(jobs: OwnPhotoJobRecord[]): SafeHtml {
  if (jobs.length === 0) return html``;
  return html`<section aria-labelledby="own-jobs-title"><h2 id="own-jobs-title">Your print jobs</h2>
<ol id="own-jobs" class="order-items">${jobs.map(
    (j) => html`<li class="own-job" data-job="${j.id}" data-state="${j.state}">
<p><strong>${j.images.length} photo(s)</strong>, uploaded ${timeTag(j.createdAt, 'time')}: <span class="own-job-state">${STATE_WORDS[j.state]}</span></p>
${
  j.imagesDeletedAt === null && j.state !== 'printed' && j.state !== 'expired'
    ? html`<p class="code-expiry">Deleted at ${timeTag(j.expiresAt, 'datetime')} unless printed before.</p>
<p>${j.images.map(
        (i) =>
          html`<img class="own-thumb" src="${OWN_PHOTOS_PATH}/jobs/${j.id}/${i.n}/thumb.jpg" width="96" height="96" alt="Photo ${i.n + 1}">`,
      )}</p>`
    : ''
}
</li>`,
  )}</ol></section>`;
}

/** The phone page: upload, then the code, PIN and QR to use at a kiosk, and this phone's jobs. */
export function ownPhotosPage(assets: AssetTable, m: OwnPhotosPageModel): string {
  const main = html`<h1>Print your own photos</h1>
<p class="lead">Upload photos from this phone, then pay and print them at any photo kiosk of the venue.</p>
${m.error ? html`<p id="own-error" class="error" role="alert">${m.error}</p>` : ''}
${m.ticket ? ticket(m.ticket) : ''}
<form id="own-upload" class="field" method="post" action="${OWN_PHOTOS_PATH}/upload" enctype="multipart/form-data">
<label for="own-files">${m.ticket ? 'Add more photos' : 'Choose photos'} (JPEG or PNG, up to ${m.maxPhotosPerJob} at a time, each up to ${m.maxUploadMegabytes} MB)</label>
<input id="own-files" name="photos" type="file" accept="image/jpeg,image/png" multiple required>
<button id="own-submit" class="button" type="submit">Upload</button>
</form>
<p id="own-retention" class="notice">Your photos are kept for at most ${m.retentionHours} hours and deleted as soon as they are printed. They are not shown to anyone else and never put in the event gallery.</p>
${jobList(m.jobs)}`;
  return shopPage(assets, { title: 'Print your own photos', main, script: 'own-photos.js' });
}
