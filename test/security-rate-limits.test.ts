import test from 'ava';
import {
  ORDER_BURST,
  ORDER_REFILL_MS,
  SIGNIN_FAILURE_BURST,
  SIGNIN_FAILURE_REFILL_MS,
} from '../coordinator/http/client-rate-limiter.ts';
import { createHarness, OPERATOR_TOKEN, seedVenue } from './fixtures/app-harness.ts';
import { SAME_ORIGIN } from './fixtures/staff-session.ts';

test('anonymous order creation is limited per client: past the burst 429 with Retry-After, then it refills', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images } = await seedVenue(h, { images: 1, printers: 0 });
  const valid = { eventId: event.id, items: [{ imageId: images[0]!.id, copies: 1 }] };
  // Cheap requests spend the budget just as well as real ones (the limit is on attempts).
  for (let i = 0; i < ORDER_BURST - 1; i++) {
    t.is((await h.http.post('/api/orders').send({ eventId: event.id, items: [] })).status, 400);
  }
  await h.http.post('/api/orders').send(valid).expect(201);
  const limited = await h.http.post('/api/orders').send(valid);
  t.is(limited.status, 429);
  t.is(limited.body.error.code, 'too_many_orders');
  t.is(limited.headers['retry-after'], String(Math.ceil(ORDER_REFILL_MS / 1000)));
  const counts = await h.store.countOrdersByState();
  t.is(counts.awaiting_payment, 1, 'the refused order was not stored');
  h.clock.advance(ORDER_REFILL_MS);
  await h.http.post('/api/orders').send(valid).expect(201);
  t.is((await h.http.post('/api/orders').send(valid)).status, 429);
});

test('sign-in: wrong tokens from one client are slowed; a right token always signs in', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const attempt = (token: string) =>
    h.http.post('/signin').set(SAME_ORIGIN).type('form').send({ token, name: '', next: '/ops' });
  for (let i = 0; i < SIGNIN_FAILURE_BURST; i++) {
    t.is((await attempt(`wrong-token-${i}-0123456789`)).status, 401);
  }
  const limited = await attempt('wrong-token-again-0123456789');
  t.is(limited.status, 429);
  t.is(limited.headers['retry-after'], String(SIGNIN_FAILURE_REFILL_MS / 1000));
  t.regex(limited.text, /Too many wrong tokens/);
  t.is((await attempt(OPERATOR_TOKEN)).status, 303, 'the right token is not caught by the wrong ones');
  h.clock.advance(SIGNIN_FAILURE_REFILL_MS);
  t.is((await attempt('wrong-token-later-0123456789')).status, 401);
});
