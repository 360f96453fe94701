import test from 'ava';
import { defaultUploadEvent, eventTiming } from '../coordinator/web/ops/pages/upload.ts';
import { asOperator, createEvent, createHarness, HOUR_MS, OPERATOR_TOKEN, seedEvent } from './fixtures/app-harness.ts';
import { signIn } from './fixtures/staff-session.ts';

const DAY_MS = 24 * HOUR_MS;

test('the upload page preselects the event on now, not the earliest, and groups events as on now / coming up / past', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const now = h.clock.now();
  // Created oldest first: the old default picked "Last week" for today's photos.
  const { venue } = await seedEvent(h, {
    name: 'Last week',
    startsAt: now - 7 * DAY_MS,
    endsAt: now - 7 * DAY_MS + HOUR_MS,
  });
  const live = await createEvent(h, venue.id, { name: 'Tonight', startsAt: now - HOUR_MS, endsAt: now + HOUR_MS });
  await createEvent(h, venue.id, { name: 'Next week', startsAt: now + 7 * DAY_MS });
  const { cookie } = await signIn(h, OPERATOR_TOKEN);
  const page = await h.http.get('/ops/upload').set('cookie', cookie).expect(200);
  const selected = /<option value="([^"]+)"[^>]*selected/.exec(page.text);
  t.is(selected?.[1], live.id);
  t.regex(page.text, /<optgroup label="On now">.*Tonight \(on now\).*<\/optgroup>/s);
  t.regex(page.text, /<optgroup label="Coming up">.*Next week \(next\)/s);
  t.regex(page.text, /<optgroup label="Past">.*Last week \(past\)/s);
  // An explicit choice in the link still wins.
  const events = (await h.http.get('/api/events').set(asOperator).expect(200)).body.events as Array<{
    id: string;
    name: string;
  }>;
  const past = events.find((e) => e.name === 'Last week')!;
  const chosen = await h.http.get(`/ops/upload?event=${past.id}`).set('cookie', cookie).expect(200);
  t.is(/<option value="([^"]+)"[^>]*selected/.exec(chosen.text)?.[1], past.id);
});

test('default upload event: live (latest started) > next (soonest) > last ended', (t) => {
  const ev = (id: string, startsAt: number, endsAt: number) =>
    ({ id, startsAt, endsAt }) as Parameters<typeof defaultUploadEvent>[0][number];
  const now = 1_000_000;
  t.is(eventTiming(ev('a', 0, now), now), 'past', 'an event is over at its end');
  t.is(defaultUploadEvent([ev('old', 0, 10), ev('live1', 100, now + 5), ev('live2', 200, now + 5)], now)?.id, 'live2');
  t.is(
    defaultUploadEvent([ev('old', 0, 10), ev('far', now + 500, now + 900), ev('soon', now + 100, now + 900)], now)?.id,
    'soon',
  );
  t.is(defaultUploadEvent([ev('older', 0, 10), ev('newer', 20, 30)], now)?.id, 'newer');
  t.is(defaultUploadEvent([], now), null);
});
