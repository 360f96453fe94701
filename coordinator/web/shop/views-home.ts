import { html, type SafeHtml } from '../../../shared/web/html.ts';
import type { EventRecord } from '../../store/records.ts';
import type { AssetTable } from './assets.ts';
import { timeTag } from './format.ts';
import { shopPage } from './layout.ts';

/** Events that ended longer ago than this are no longer listed (their pages still work). */
export const PAST_EVENTS_LISTED_MS = 30 * 24 * 3_600_000;
export const MAX_EVENTS_LISTED = 60;

export function groupEvents(events: readonly EventRecord[], now: number) {
  const live = events.filter((e) => e.startsAt <= now && now < e.endsAt);
  const upcoming = events.filter((e) => e.startsAt > now).sort((a, b) => a.startsAt - b.startsAt);
  const past = events.filter((e) => e.endsAt <= now && now - e.endsAt < PAST_EVENTS_LISTED_MS);
  past.sort((a, b) => b.endsAt - a.endsAt);
  let room = MAX_EVENTS_LISTED;
  const take = (list: EventRecord[]) => {
    const kept = list.slice(0, Math.max(0, room));
    room -= kept.length;
    return kept;
  };
  return { live: take(live), upcoming: take(upcoming), past: take(past) };
}

function eventList(events: readonly EventRecord[], badge: string | null): SafeHtml {
  return html`<ul class="events">${events.map(
    (e) => html`<li><a class="event" href="/e/${encodeURIComponent(e.id)}"><span class="event-name">${e.name}</span>
<span class="event-when">${timeTag(e.startsAt, 'datetime')} – ${timeTag(e.endsAt, 'time')}</span>${
      badge ? html` <span class="badge">${badge}</span>` : ''
    }</a></li>`,
  )}</ul>`;
}

function section(id: string, title: string, events: readonly EventRecord[], badge: string | null): SafeHtml {
  if (events.length === 0) return html``;
  return html`<section aria-labelledby="${id}"><h2 id="${id}">${title}</h2>${eventList(events, badge)}</section>`;
}

export function homePage(assets: AssetTable, events: readonly EventRecord[], now: number): string {
  const { live, upcoming, past } = groupEvents(events, now);
  const none = live.length + upcoming.length + past.length === 0;
  return shopPage(assets, {
    title: 'Events',
    script: 'home.js',
    main: html`<h1>Find your photos</h1>
<section id="my-orders" class="my-orders" aria-labelledby="my-orders-title" hidden>
<h2 id="my-orders-title">Your orders on this phone</h2>
<ul id="my-orders-list"></ul>
</section>
${section('live-title', 'On now', live, 'Live')}
${section('upcoming-title', 'Coming up', upcoming, null)}
${section('past-title', 'Earlier', past, null)}
${none ? html`<p>No events right now. Photos appear here as soon as an event starts.</p>` : ''}
<p id="own-photos-link"><a href="/own-photos">Print your own photos</a> from this phone at a photo kiosk.</p>`,
  });
}
