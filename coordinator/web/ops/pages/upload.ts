import { html, type SafeHtml } from '../../../../shared/web/html.ts';
import type { EventRecord } from '../../../store/records.ts';
import { formatBytes } from '../format.ts';

export function uploadBody(events: EventRecord[], selected: string | null, maxUploadBytes: number): SafeHtml {
  return html`<h1>Upload photos</h1>
${
  events.length === 0
    ? html`<p>There is no event to upload to yet: an operator creates it first.</p>`
    : html`<form id="upload" class="stack" novalidate data-max-bytes="${maxUploadBytes}">
  <label for="upload-event">Event</label>
  <select id="upload-event" name="eventId" required>${events.map(
    (e) => html`<option value="${e.id}"${e.id === selected ? html` selected` : ''}>${e.name}</option>`,
  )}</select>
  <div id="drop-zone" class="drop-zone">
    <p><strong>Drop photos here</strong>, or</p>
    <label for="upload-files" class="button">Choose photos…</label>
    <input id="upload-files" class="visually-hidden" type="file" accept="image/jpeg,image/png" multiple>
    <p class="small">JPEG or PNG, up to ${formatBytes(maxUploadBytes)} each. Each photo is sent on its own; a photo uploaded twice is kept once.</p>
  </div>
  <p id="upload-summary" role="status" aria-live="polite"></p>
  <ol id="upload-list" class="plain uploads"></ol>
</form>`
}`;
}
