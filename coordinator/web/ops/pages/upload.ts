import { html, type SafeHtml } from '../../../../shared/web/html.ts';
import type { EventRecord } from '../../../store/records.ts';
import { formatBytes } from '../format.ts';

export type EventTiming = 'live' | 'next' | 'past';

export function eventTiming(event: Pick<EventRecord, 'startsAt' | 'endsAt'>, now: number): EventTiming {
  if (now >= event.endsAt) return 'past';
  return now >= event.startsAt ? 'live' : 'next';
}

/**
 * The event an upload goes to unless the photographer picks another: the one on now (the latest
 * started, if several), else the next to start, else the last to end. Never silently the oldest.
 */
export function defaultUploadEvent(events: readonly EventRecord[], now: number): EventRecord | null {
  const live = events.filter((e) => eventTiming(e, now) === 'live').sort((a, b) => b.startsAt - a.startsAt);
  const next = events.filter((e) => eventTiming(e, now) === 'next').sort((a, b) => a.startsAt - b.startsAt);
  const past = events.filter((e) => eventTiming(e, now) === 'past').sort((a, b) => b.endsAt - a.endsAt);
  return live[0] ?? next[0] ?? past[0] ?? null;
}

const TIMING_GROUPS: ReadonlyArray<{ timing: EventTiming; label: string }> = [
  { timing: 'live', label: 'On now' },
  { timing: 'next', label: 'Coming up' },
  { timing: 'past', label: 'Past' },
];

function eventOptions(events: readonly EventRecord[], selected: string | null, now: number): SafeHtml[] {
  return TIMING_GROUPS.flatMap(({ timing, label }) => {
    const group = events.filter((e) => eventTiming(e, now) === timing);
    if (group.length === 0) return [];
    return [
      html`<optgroup label="${label}">${group.map(
        (e) =>
          html`<option value="${e.id}" data-timing="${timing}"${e.id === selected ? html` selected` : ''}>${e.name}${timing === 'live' ? ' (on now)' : timing === 'past' ? ' (past)' : ' (next)'}</option>`,
      )}</optgroup>`,
    ];
  });
}

export function uploadBody(
  events: EventRecord[],
  selected: string | null,
  maxUploadBytes: number,
  now: number,
): SafeHtml {
  return html`<h1>Upload photos</h1>
${
  events.length === 0
    ? html`<p>There is no event to upload to yet: an operator creates it first.</p>`
    : html`<form id="upload" class="stack" novalidate data-max-bytes="${maxUploadBytes}">
  <label for="upload-event">Event</label>
  <select id="upload-event" name="eventId" required>${eventOptions(events, selected, now)}</select>
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
