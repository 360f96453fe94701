import { html, type SafeHtml } from '../../../../shared/web/html.ts';
import type { EventRecord, VenueRecord } from '../../../store/records.ts';
import { localTime } from '../dashboard-view.ts';
import { formatMoney } from '../format.ts';

export function eventsBody(events: EventRecord[], venues: VenueRecord[]): SafeHtml {
  const venueName = new Map(venues.map((v) => [v.id, v.name]));
  return html`<h1>Events</h1>
${
  events.length === 0
    ? html`<p>No events yet: create the venue, then the event, below.</p>`
    : html`<div class="table-wrap"><table>
  <caption class="visually-hidden">Events, newest first</caption>
  <thead><tr><th scope="col">Event</th><th scope="col">Venue</th><th scope="col">Starts</th><th scope="col">Ends</th><th scope="col">Single print</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
  <tbody>${events.map(
    (e) => html`<tr>
    <th scope="row"><a href="/ops/events/${e.id}">${e.name}</a></th>
    <td>${venueName.get(e.venueId) ?? e.venueId}</td>
    <td>${localTime(e.startsAt)}</td>
    <td>${localTime(e.endsAt)}</td>
    <td>${formatMoney(e.priceList.unitPriceCents, e.priceList.currency)}${e.priceList.bundles.length ? html` <span class="small">+ ${e.priceList.bundles.length} bundle${e.priceList.bundles.length > 1 ? 's' : ''}</span>` : ''}</td>
    <td><a href="/ops/events/${e.id}/prices">Prices</a> · <a href="/ops/upload?event=${e.id}">Upload</a> · <a href="/ops/events/${e.id}/after-event">After the event</a></td>
  </tr>`,
  )}</tbody></table></div>`
}

<div class="columns">
<section aria-labelledby="new-event-heading" class="card">
  <h2 id="new-event-heading">New event</h2>
  ${
    venues.length === 0
      ? html`<p>Create a venue first.</p>`
      : html`<form id="new-event" class="stack" novalidate>
    <label for="ev-venue">Venue</label>
    <select id="ev-venue" name="venueId" required>${venues.map((v) => html`<option value="${v.id}">${v.name}</option>`)}</select>
    <label for="ev-name">Name</label>
    <input id="ev-name" name="name" required maxlength="200">
    <label for="ev-starts">Starts (your local time)</label>
    <input id="ev-starts" name="startsAt" type="datetime-local" required>
    <label for="ev-ends">Ends</label>
    <input id="ev-ends" name="endsAt" type="datetime-local" required>
    <div class="row">
      <div class="stack"><label for="ev-currency">Currency</label>
      <input id="ev-currency" name="currency" value="EUR" required pattern="[A-Z]{3}" maxlength="3" size="4"></div>
      <div class="stack"><label for="ev-unit">Price of one print</label>
      <input id="ev-unit" name="unitPrice" inputmode="decimal" required value="5.00" size="8"></div>
    </div>
    <p class="small">Bundles ("3 prints for 12.00") are set on the event's price page.</p>
    <button type="submit">Create event</button>
    <p class="form-message" role="alert" aria-live="assertive"></p>
  </form>`
  }
</section>
<section aria-labelledby="new-venue-heading" class="card">
  <h2 id="new-venue-heading">New venue</h2>
  <form id="new-venue" class="stack" novalidate>
    <label for="venue-name">Name</label>
    <input id="venue-name" name="name" required maxlength="200">
    <button type="submit">Create venue</button>
    <p class="form-message" role="alert" aria-live="assertive"></p>
  </form>
  ${venues.length ? html`<p class="small">Venues: ${venues.map((v) => v.name).join(', ')}</p>` : ''}
</section>
</div>`;
}
