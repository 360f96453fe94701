import test from 'ava';
import {
  FAILED_CODE_BURST,
  MAX_HELD_WRONG_CODES_PER_VENUE,
  VENUE_FAILED_CODE_BURST,
  VENUE_FAILED_CODE_REFILL_MS,
  WRONG_CODE_HOLD_MS,
} from '../coordinator/services/failed-code-limiter.ts';
import { newOrderCode } from '../shared/token/order-code.ts';
import { createHarness, paidOrder, printerCall, seedVenue } from './fixtures/app-harness.ts';
import { afterHold, startHeld } from './fixtures/held-request.ts';

test('a venue-wide budget of wrong codes: spread over many printers, guesses are still slowed; right codes pass', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const printerCount = VENUE_FAILED_CODE_BURST / FAILED_CODE_BURST + 1 + MAX_HELD_WRONG_CODES_PER_VENUE;
  const { event, images, printers } = await seedVenue(h, { images: 1, printers: printerCount });
  const orders = await Promise.all([0, 1].map(() => paidOrder(h, event.id, [{ imageId: images[0]!.id, copies: 1 }])));
  const redeem = (i: number, code: string) => () =>
    printerCall(h, printers[i]!, 'post', '/api/printer/redeem', { code });

  // Each of these printers stays within its own burst; together they spend the venue's.
  for (let p = 0; p < VENUE_FAILED_CODE_BURST / FAILED_CODE_BURST; p++) {
    for (let i = 0; i < FAILED_CODE_BURST; i++) t.is((await redeem(p, newOrderCode())()).status, 404);
  }
  const fresh = VENUE_FAILED_CODE_BURST / FAILED_CODE_BURST;

  // Past the venue's budget a wrong code at a printer with its own budget untouched is held, and at
  // most MAX_HELD_WRONG_CODES_PER_VENUE are held at a time: then the venue's printers are refused
  // before the lookup, right code or not (guessing in parallel gains nothing).
  const held = [];
  for (let i = 0; i < MAX_HELD_WRONG_CODES_PER_VENUE; i++) {
    held.push(await startHeld(h.clock, redeem(fresh + i, newOrderCode())));
  }
  const refused = await redeem(0, orders[1]!.order.code)();
  t.is(refused.status, 429);
  t.is((await h.store.getOrder(orders[1]!.orderId))!.claim, null, 'refused before the lookup');
  await h.clock.tick(WRONG_CODE_HOLD_MS);
  for (const { answer } of held) {
    const res = await answer;
    t.is(res.status, 429);
    t.is(res.body.error.code, 'too_many_code_attempts');
    t.true(Number(res.headers['retry-after']) >= 1);
  }

  // A right code goes through at once, at a printer that was just refused and one that was held.
  t.is((await redeem(0, orders[1]!.order.code)()).status, 200);
  t.is((await redeem(fresh, orders[0]!.order.code)()).status, 200);
  // The venue's budget refilled by one wrong code (and a part) during the hold; spent, the next is held.
  t.is(Math.floor(WRONG_CODE_HOLD_MS / VENUE_FAILED_CODE_REFILL_MS), 1);
  t.is((await redeem(printerCount - 1, newOrderCode())()).status, 404);
  const last = await afterHold(h.clock, WRONG_CODE_HOLD_MS, redeem(printerCount - 1, newOrderCode()));
  t.is(last.status, 429);
});
