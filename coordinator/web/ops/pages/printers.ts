import { html, type SafeHtml } from '../../../../shared/web/html.ts';
import type { PrinterRecord, VenueRecord } from '../../../store/records.ts';
import { localTime, timeAgo } from '../dashboard-view.ts';

export function printersBody(printers: PrinterRecord[], venues: VenueRecord[], now: number): SafeHtml {
  const venueName = new Map(venues.map((v) => [v.id, v.name]));
  return html`<h1>Printers</h1>
<div class="columns">
<section aria-labelledby="pair-heading" class="card">
  <h2 id="pair-heading">Pair a printer</h2>
  ${
    venues.length === 0
      ? html`<p>Create a venue first, on the <a href="/ops/events">events page</a>.</p>`
      : html`<p>A new printer shows its pairing code on its screen and as a QR code. Type or paste the code, or read it from a photo of the QR code.</p>
  <form id="pair" class="stack" novalidate>
    <label for="pair-venue">Venue</label>
    <select id="pair-venue" name="venueId" required>${venues.map((v) => html`<option value="${v.id}">${v.name}</option>`)}</select>
    <label for="pair-code">Pairing code</label>
    <textarea id="pair-code" name="publicKey" rows="2" required spellcheck="false" autocomplete="off" aria-describedby="pair-code-hint"></textarea>
    <span id="pair-code-hint" class="small">64 characters, 0–9 and a–f; spaces are ignored.</span>
    <label for="pair-qr">…or a photo of the pairing QR code</label>
    <input id="pair-qr" type="file" accept="image/*" capture="environment">
    <p id="pair-qr-status" class="small" role="status"></p>
    <label for="pair-name">Name</label>
    <input id="pair-name" name="name" required maxlength="100" placeholder="e.g. Gate B left">
    <label for="pair-reader">Card reader (optional)</label>
    <input id="pair-reader" name="cardReaderId" maxlength="100" spellcheck="false" autocomplete="off" placeholder="e.g. tmr_…" aria-describedby="pair-reader-hint">
    <span id="pair-reader-hint" class="small">The payment provider's id of the card reader at this station. Its kiosk takes cards only on this reader; without one it offers phone payment only.</span>
    <button type="submit">Pair printer</button>
    <p class="form-message" role="alert" aria-live="assertive"></p>
  </form>`
  }
</section>
<section aria-labelledby="paired-heading" class="card wide">
  <h2 id="paired-heading">Paired printers</h2>
  ${
    printers.length === 0
      ? html`<p class="muted">None yet.</p>`
      : html`<div class="table-wrap"><table>
    <caption class="visually-hidden">Paired printers</caption>
    <thead><tr><th scope="col">Name</th><th scope="col">Venue</th><th scope="col">Paired</th><th scope="col">Last seen</th><th scope="col">Card reader</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
    <tbody>${printers.map(
      (p) => html`<tr class="${p.revokedAt !== null ? 'revoked' : ''}">
      <th scope="row">${p.name}<br><code class="small key" title="${p.id}">${p.id.slice(0, 16)}…</code></th>
      <td>${venueName.get(p.venueId) ?? p.venueId}</td>
      <td>${localTime(p.pairedAt)}</td>
      <td>${timeAgo(p.lastSeenAt, now)}</td>
      <td>${cardReaderCell(p)}</td>
      <td>${
        p.revokedAt !== null
          ? html`<span class="badge badge-muted">Revoked</span>`
          : html`<button type="button" class="danger" data-revoke-printer="${p.id}" data-name="${p.name}">Revoke</button>`
      }</td>
    </tr>`,
    )}</tbody></table></div>`
  }
  <p class="form-message" id="printers-message" role="alert" aria-live="assertive"></p>
</section>
</div>`;
}

/** The station's card reader, editable while the printer is paired (empty: none, phone payment only). */
function cardReaderCell(p: PrinterRecord): SafeHtml {
  if (p.revokedAt !== null) return html`<span class="muted">—</span>`;
  return html`<form class="inline" data-card-reader-form="${p.id}" novalidate>
        <input name="cardReaderId" value="${p.cardReaderId ?? ''}" maxlength="100" spellcheck="false" autocomplete="off" placeholder="none" aria-label="Card reader of ${p.name}">
        <button type="submit" class="secondary">Save</button>
      </form>`;
}
