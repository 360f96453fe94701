import test from 'ava';
import {
  FAILED_CODE_BURST,
  FAILED_CODE_REFILL_MS,
  WRONG_CODE_HOLD_MS,
} from '../coordinator/services/failed-code-limiter.ts';
import { PHOTO_OVERLAY_RINGS } from '../shared/policy/photo-overlay.ts';
import { decodeBase45, encodeBase45 } from '../shared/token/base45.ts';
import { newOrderCode } from '../shared/token/order-code.ts';
import { generateSigningKey, signRedemptionToken } from '../shared/token/redemption-token.ts';
import {
  asOperator,
  createHarness,
  HOUR_MS,
  newPrinterKeys,
  paidOrder,
  printerCall,
  seedVenue,
} from './fixtures/app-harness.ts';
import { afterHold, startHeld } from './fixtures/held-request.ts';

test('redeem: claim, print job with feed coordinates and lacking flags, confirm each unit, fulfilled', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images, printers } = await seedVenue(h, { images: 2, printers: 2 });
  const [p1] = printers;
  // Printer 1 reports it holds image 0 only: image 1 must be flagged as lacking.
  await printerCall(h, p1!, 'put', '/api/printer/holdings', { eventId: event.id, imageIds: [images[0]!.id] }).expect(
    204,
  );
  const { token, orderId } = await paidOrder(h, event.id, [
    { imageId: images[0]!.id, copies: 2 },
    { imageId: images[1]!.id, copies: 1 },
  ]);

  const job = await printerCall(h, p1!, 'post', '/api/printer/redeem', { token }).expect(200);
  t.is(job.body.order.id, orderId);
  t.is(job.body.order.state, 'redeeming');
  t.is(job.body.feed.eventId, event.id);
  t.regex(job.body.feed.encryptionKey, /^[0-9a-f]{64}$/);
  t.deepEqual(
    job.body.units.map((u: { unit: number; imageId: string; lacking: boolean; printed: boolean }) => [
      u.unit,
      u.imageId,
      u.lacking,
      u.printed,
    ]),
    [
      [0, images[0]!.id, false, false],
      [1, images[0]!.id, false, false],
      [2, images[1]!.id, true, false],
    ],
  );
  t.regex(job.body.units[0].image.sha256, /^[0-9a-f]{64}$/);

  // A retry by the same printer is idempotent.
  await printerCall(h, p1!, 'post', '/api/printer/redeem', { token }).expect(200);

  for (const unit of [0, 1]) {
    await printerCall(h, p1!, 'post', `/api/printer/orders/${orderId}/units/${unit}/printed`).expect(200);
  }
  // Confirmation retries are idempotent and do not count twice.
  const again = await printerCall(h, p1!, 'post', `/api/printer/orders/${orderId}/units/1/printed`).expect(200);
  t.is(again.body.order.printedCount, 2);
  t.is(again.body.order.state, 'redeeming');
  const bad = await printerCall(h, p1!, 'post', `/api/printer/orders/${orderId}/units/9/printed`);
  t.is(bad.status, 422);
  const last = await printerCall(h, p1!, 'post', `/api/printer/orders/${orderId}/units/2/printed`).expect(200);
  t.is(last.body.order.state, 'fulfilled');

  const reuse = await printerCall(h, printers[1]!, 'post', '/api/printer/redeem', { token });
  t.is(reuse.status, 409);
  t.is(reuse.body.error.code, 'order_already_printed');
  t.is(reuse.body.error.details.printerName, 'Printer 1');
});

test('another printer gets 409 with who holds the claim; after the claim expires it resumes only unprinted units', async (t) => {
  const h = await createHarness({ claimTtlMs: 60_000 });
  t.teardown(() => h.close());
  const { event, images, printers } = await seedVenue(h, { images: 1, printers: 2 });
  const [p1, p2] = printers;
  const { token, orderId } = await paidOrder(h, event.id, [{ imageId: images[0]!.id, copies: 3 }]);
  await printerCall(h, p1!, 'post', '/api/printer/redeem', { token }).expect(200);
  await printerCall(h, p1!, 'post', `/api/printer/orders/${orderId}/units/0/printed`).expect(200);

  const held = await printerCall(h, p2!, 'post', '/api/printer/redeem', { token });
  t.is(held.status, 409);
  t.is(held.body.error.code, 'order_claimed_elsewhere');
  t.is(held.body.error.details.printerId, p1!.id);
  t.is(held.body.error.details.printerName, 'Printer 1');
  t.is((await printerCall(h, p2!, 'post', `/api/printer/orders/${orderId}/units/1/printed`)).status, 409);

  // Printer 1 goes silent: after the claim TTL printer 2 takes over.
  h.clock.advance(61_000);
  const resumed = await printerCall(h, p2!, 'post', '/api/printer/redeem', { token }).expect(200);
  t.deepEqual(
    resumed.body.units.map((u: { printed: boolean }) => u.printed),
    [true, false, false],
  );
  t.is(
    (await printerCall(h, p1!, 'post', `/api/printer/orders/${orderId}/units/1/printed`)).status,
    409,
    'the old holder lost the claim',
  );
  await printerCall(h, p2!, 'post', `/api/printer/orders/${orderId}/units/1/printed`).expect(200);
  const done = await printerCall(h, p2!, 'post', `/api/printer/orders/${orderId}/units/2/printed`).expect(200);
  t.is(done.body.order.state, 'fulfilled');
  t.is(done.body.order.printedCount, 3);
});

test('an operator releases a claim so another printer can finish', async (t) => {
  const h = await createHarness({ claimTtlMs: 3_600_000 });
  t.teardown(() => h.close());
  const { event, images, printers } = await seedVenue(h, { images: 1, printers: 2 });
  const { token, orderId } = await paidOrder(h, event.id, [{ imageId: images[0]!.id, copies: 1 }]);
  await printerCall(h, printers[0]!, 'post', '/api/printer/redeem', { token }).expect(200);
  t.is((await printerCall(h, printers[1]!, 'post', '/api/printer/redeem', { token })).status, 409);
  t.is((await h.http.post(`/api/orders/${orderId}/release`)).status, 401);
  const released = await h.http.post(`/api/orders/${orderId}/release`).set(asOperator).expect(200);
  t.is(released.body.order.state, 'paid');
  t.is((await h.http.post(`/api/orders/${orderId}/release`).set(asOperator)).status, 409);
  await printerCall(h, printers[1]!, 'post', '/api/printer/redeem', { token }).expect(200);
});

test('200 concurrent redemptions of one token from 10 printers: exactly one claim', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images, printers } = await seedVenue(h, { images: 1, printers: 10 });
  const { token, orderId } = await paidOrder(h, event.id, [{ imageId: images[0]!.id, copies: 1 }]);
  const results = await Promise.all(
    Array.from({ length: 200 }, (_, i) => {
      const p = printers[i % 10]!;
      return printerCall(h, p, 'post', '/api/printer/redeem', { token }).then((r) => ({
        printer: p.id,
        status: r.status,
      }));
    }),
  );
  const winners = new Set(results.filter((r) => r.status === 200).map((r) => r.printer));
  t.is(winners.size, 1, 'one printer holds the order');
  const winner = [...winners][0]!;
  t.true(results.filter((r) => r.printer !== winner).every((r) => r.status === 409));
  t.true(results.filter((r) => r.printer === winner).every((r) => r.status === 200));
  const order = await h.store.getOrder(orderId);
  t.is(order?.claim?.printerId, winner);
  t.is(order?.state, 'redeeming');
});

test('tampered, expired, foreign, unpaid and other-venue codes are refused with a clear reason and change nothing', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images, printers } = await seedVenue(h, { images: 1, printers: 1 });
  const p = printers[0]!;
  const { token, orderId } = await paidOrder(h, event.id, [{ imageId: images[0]!.id, copies: 1 }]);

  const bytes = decodeBase45(token)!;
  bytes[6]! ^= 1;
  const tampered = await printerCall(h, p, 'post', '/api/printer/redeem', { token: encodeBase45(bytes) });
  t.is(tampered.status, 400);
  t.is(tampered.body.error.code, 'token_bad_signature');

  const foreign = signRedemptionToken(
    (await h.store.getOrder(orderId))!.code,
    h.clock.now() + HOUR_MS,
    generateSigningKey(1),
  );
  t.is(
    (await printerCall(h, p, 'post', '/api/printer/redeem', { token: foreign })).body.error.code,
    'token_bad_signature',
  );
  const unknownKey = signRedemptionToken(
    (await h.store.getOrder(orderId))!.code,
    h.clock.now() + HOUR_MS,
    generateSigningKey(9),
  );
  t.is(
    (await printerCall(h, p, 'post', '/api/printer/redeem', { token: unknownKey })).body.error.code,
    'token_unknown_key',
  );
  t.is((await printerCall(h, p, 'post', '/api/printer/redeem', { token: 'HELLO' })).body.error.code, 'token_malformed');
  t.is((await printerCall(h, p, 'post', '/api/printer/redeem', { nope: 1 })).status, 400);

  // Unpaid order with a genuine code.
  const unpaid = await h.http
    .post('/api/orders')
    .send({ eventId: event.id, items: [{ imageId: images[0]!.id, copies: 1 }] });
  const unpaidCode = (await h.store.getOrder(unpaid.body.order.id))!.code;
  const unpaidToken = signRedemptionToken(unpaidCode, h.clock.now() + HOUR_MS, h.tokenKeys.current);
  const notPaid = await printerCall(h, p, 'post', '/api/printer/redeem', { token: unpaidToken });
  t.is(notPaid.status, 409);
  t.is(notPaid.body.error.code, 'order_not_paid');

  // A printer of another venue.
  const other = await seedVenue(h, { images: 0, printers: 1 });
  const otherVenue = await printerCall(h, other.printers[0]!, 'post', '/api/printer/redeem', { token });
  t.is(otherVenue.status, 403);
  t.is(otherVenue.body.error.code, 'order_other_venue');

  // Expired: the window ends 7 days after the event's end.
  h.clock.advance(8 * 24 * HOUR_MS);
  const expired = await printerCall(h, p, 'post', '/api/printer/redeem', { token });
  t.is(expired.status, 410);
  t.is(expired.body.error.code, 'token_expired');

  const order = await h.store.getOrder(orderId);
  t.is(order!.state, 'paid');
  t.is(order!.claim, null);
});

test('unknown and revoked printers get 401/403 and change nothing', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images, printers, venue } = await seedVenue(h, { images: 1, printers: 1 });
  const { token, orderId } = await paidOrder(h, event.id, [{ imageId: images[0]!.id, copies: 1 }]);
  const stranger = newPrinterKeys();
  const unknown = await printerCall(h, stranger, 'post', '/api/printer/redeem', { token });
  t.is(unknown.status, 403);
  t.is(unknown.body.error.code, 'printer_not_paired');
  t.is((await h.http.post('/api/printer/redeem').send({ token })).status, 401);
  t.is((await h.http.get('/api/printer/me')).status, 401);

  await h.http.post(`/api/printers/${printers[0]!.id}/revoke`).set(asOperator).expect(200);
  const revoked = await printerCall(h, printers[0]!, 'post', '/api/printer/redeem', { token });
  t.is(revoked.status, 403);
  t.is(revoked.body.error.code, 'printer_revoked');
  t.is((await printerCall(h, printers[0]!, 'get', '/api/printer/me')).status, 403);
  t.is(
    (
      await printerCall(h, printers[0]!, 'put', '/api/printer/holdings', {
        eventId: event.id,
        imageIds: [images[0]!.id],
      })
    ).status,
    403,
  );
  t.is(await h.store.getHoldings(printers[0]!.id, event.id), null);
  t.is((await h.store.getOrder(orderId))!.claim, null);
  // Re-pairing a revoked key is refused until an operator deals with it explicitly.
  t.is(
    (
      await h.http
        .post(`/api/venues/${venue.id}/printers`)
        .set(asOperator)
        .send({ publicKey: printers[0]!.id, name: 'again' })
    ).status,
    409,
  );
});

test('a paired printer learns its venue topic, token keys and feed keys; delivery status is served to operators', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images, printers } = await seedVenue(h, { images: 2, printers: 2 });
  const me = await printerCall(h, printers[0]!, 'get', '/api/printer/me').expect(200);
  t.regex(me.body.venue.topic, /^[0-9a-f]{64}$/);
  t.is(me.body.venue.photoOverlayRings, PHOTO_OVERLAY_RINGS, 'the venue’s photo overlay, the same for every printer');
  t.deepEqual(me.body.tokenKeys, [{ keyId: 1, publicKey: Buffer.from(h.tokenKeys.current.publicKey).toString('hex') }]);
  t.is(me.body.feeds.length, 1);
  t.is(me.body.feeds[0].blobsKey, (await h.store.getEvent(event.id))!.blobsKey);
  t.false(JSON.stringify(me.body).includes((await h.store.getEvent(event.id))!.feedSeed), 'the feed seed never leaves');
  t.deepEqual(
    me.body.peers.printers,
    [{ id: printers[1]!.id, name: 'Printer 2', lastSeenAt: null }],
    'the other paired printers of the venue',
  );
  t.deepEqual(me.body.feeds[0].head, { blobsLength: 0, catalogLength: 0 });
  t.deepEqual(me.body.peers.coordinators, []);

  // Status reports: validated, stored, shown to operators.
  const report = {
    version: '0.1.0',
    uptimeMs: 1000,
    events: [{ eventId: event.id, imagesHeld: 1, imagesTotal: 2, bytesNeeded: 5000, oldestMissingAgeMs: 30_000 }],
    bytesFromLan: 10,
    bytesFromCloud: 20,
    bytesToLan: 5,
    lanPeers: 1,
    blockedPeers: 0,
    cloudConnected: false,
    queue: 0,
    printer: { state: 'paper_out', detail: 'Paper roll empty' },
    lastError: null,
  };
  await printerCall(h, printers[0]!, 'put', '/api/printer/status', report).expect(204);
  const bad = await printerCall(h, printers[0]!, 'put', '/api/printer/status', { ...report, queue: -1 });
  t.is(bad.status, 400);
  t.regex(bad.body.error.message, /queue/);
  const statuses = await h.http.get('/api/printers/status').set(asOperator).expect(200);
  const row = statuses.body.printers.find((r: { printer: { id: string } }) => r.printer.id === printers[0]!.id);
  t.deepEqual(row.report, report);
  t.is(statuses.body.printers.find((r: { printer: { id: string } }) => r.printer.id === printers[1]!.id).report, null);

  // Fans never see secrets either.
  const pub = await h.http.get(`/api/events/${event.id}`).expect(200);
  t.is(pub.body.event.feedSeed, undefined);
  t.is(pub.body.event.blobsKey, undefined);

  await printerCall(h, printers[0]!, 'put', '/api/printer/holdings', {
    eventId: event.id,
    imageIds: images.map((i) => i.id),
  }).expect(204);
  await printerCall(h, printers[1]!, 'put', '/api/printer/holdings', {
    eventId: event.id,
    imageIds: [images[1]!.id],
  }).expect(204);
  const delivery = await h.http.get(`/api/events/${event.id}/delivery`).set(asOperator).expect(200);
  const rows = new Map(
    delivery.body.printers.map((r: { printer: { id: string }; holds: boolean[] }) => [r.printer.id, r]),
  );
  const ids: string[] = delivery.body.images.map((i: { id: string }) => i.id);
  const expect0 = ids.map(() => true);
  const expect1 = ids.map((id) => id === images[1]!.id);
  t.deepEqual((rows.get(printers[0]!.id) as { holds: boolean[] }).holds, expect0);
  t.deepEqual((rows.get(printers[1]!.id) as { holds: boolean[] }).holds, expect1);
  t.is((rows.get(printers[0]!.id) as { bytesNeeded: number }).bytesNeeded, 0);
  t.true((rows.get(printers[1]!.id) as { bytesNeeded: number }).bytesNeeded > 0);
  t.is((await h.http.get(`/api/events/${event.id}/delivery`)).status, 401);
});

/** How a person might type `code`: lower case, a dash in the middle, O for 0 and l for 1. */
function asTyped(code: string): string {
  const sloppy = code.replaceAll('0', 'O').replaceAll('1', 'l').toLowerCase();
  return `${sloppy.slice(0, 4)}-${sloppy.slice(4)}`;
}

test('a typed order code redeems like its token: normalised, same claim rules, same answer carrying the token', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images, printers } = await seedVenue(h, { images: 1, printers: 2 });
  const [p1, p2] = printers;
  const { token, orderId, order } = await paidOrder(h, event.id, [{ imageId: images[0]!.id, copies: 2 }]);
  const code = order.code as string;

  const bad = async (body: unknown, field: RegExp) => {
    const res = await printerCall(h, p1!, 'post', '/api/printer/redeem', body);
    t.is(res.status, 400, JSON.stringify(body));
    t.is(res.body.error.code, 'invalid_input');
    t.regex(res.body.error.message, field, JSON.stringify(body));
  };
  await bad({ token, code }, /code: .*not both/);
  await bad({}, /token: .*"code"/);
  await bad({ code: code.slice(0, 7) }, /code: .*8-character/);
  await bad({ code: `${code.slice(0, 7)}U` }, /code: .*8-character/);
  await bad({ code: 'X'.repeat(41) }, /code/);
  t.is((await h.store.getOrder(orderId))!.claim, null, 'a refused input claims nothing');

  const job = await printerCall(h, p1!, 'post', '/api/printer/redeem', { code: asTyped(code) }).expect(200);
  t.is(job.body.order.id, orderId);
  t.is(job.body.order.state, 'redeeming');
  t.is(job.body.feed.eventId, event.id);
  t.is(job.body.units.length, 2);
  t.is(job.body.token, token, 'the answer carries the token of the fan’s QR code');
  const byToken = await printerCall(h, p1!, 'post', '/api/printer/redeem', { token: job.body.token }).expect(200);
  t.is(byToken.body.token, token, 'a scanned token is answered with itself');
  t.deepEqual(byToken.body.units, job.body.units, 'retried by token, the same job');

  const held = await printerCall(h, p2!, 'post', '/api/printer/redeem', { code });
  t.is(held.status, 409);
  t.is(held.body.error.code, 'order_claimed_elsewhere');
  t.is(held.body.error.details.printerName, 'Printer 1');
  for (const unit of [0, 1]) {
    await printerCall(h, p1!, 'post', `/api/printer/orders/${orderId}/units/${unit}/printed`).expect(200);
  }
  const again = await printerCall(h, p2!, 'post', '/api/printer/redeem', {
    code: ` ${code.slice(0, 4)} ${code.slice(4)} `,
  });
  t.is(again.status, 409);
  t.is(again.body.error.code, 'order_already_printed');

  const unpaid = await h.http
    .post('/api/orders')
    .send({ eventId: event.id, items: [{ imageId: images[0]!.id, copies: 1 }] })
    .expect(201);
  const notPaid = await printerCall(h, p2!, 'post', '/api/printer/redeem', { code: unpaid.body.order.code });
  t.is(notPaid.status, 409);
  t.is(notPaid.body.error.code, 'order_not_paid');

  const late = await paidOrder(h, event.id, [{ imageId: images[0]!.id, copies: 1 }]);
  h.clock.advance(8 * 24 * HOUR_MS);
  const expired = await printerCall(h, p2!, 'post', '/api/printer/redeem', { code: late.order.code });
  t.is(expired.status, 410);
  t.is(expired.body.error.code, 'token_expired');
  t.is((await h.store.getOrder(late.orderId))!.claim, null);
});

test('typed codes: wrong ones (unknown, or another venue’s) count against the printer; past the burst they are held, then 429 with Retry-After; a right code always goes through', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images, printers } = await seedVenue(h, { images: 1, printers: 2 });
  const [p1, p2] = printers;
  const other = await seedVenue(h, { images: 1, printers: 0 });
  const elsewhere = await paidOrder(h, other.event.id, [{ imageId: other.images[0]!.id, copies: 1 }]);
  const mine = await paidOrder(h, event.id, [{ imageId: images[0]!.id, copies: 1 }]);
  const next = await paidOrder(h, event.id, [{ imageId: images[0]!.id, copies: 1 }]);
  const redeem = (p: typeof p1, code: string) => () => printerCall(h, p!, 'post', '/api/printer/redeem', { code });

  const foreign = await redeem(p1, elsewhere.order.code)();
  t.is(foreign.status, 404, 'another venue’s order is not even confirmed to exist');
  t.is(foreign.body.error.code, 'order_not_found');
  for (let i = 1; i < FAILED_CODE_BURST; i++) {
    const res = await redeem(p1, newOrderCode())();
    t.is(res.status, 404);
    t.is(res.body.error.code, 'order_not_found');
  }
  // Past the burst a wrong code is answered only after the hold, with the wait left.
  const limited = await afterHold(h.clock, WRONG_CODE_HOLD_MS, redeem(p1, newOrderCode()));
  t.is(limited.status, 429);
  t.is(limited.body.error.code, 'too_many_code_attempts');
  t.regex(limited.body.error.message, /scan the QR code/);
  const left = (FAILED_CODE_REFILL_MS - WRONG_CODE_HOLD_MS) / 1000;
  t.is(limited.headers['retry-after'], String(left));
  t.is(limited.body.error.details.retryAfterSeconds, left);
  t.is((await h.store.getOrder(elsewhere.orderId))!.claim, null);

  // The fan's right code is not caught by the typos before it.
  const right = await redeem(p1, mine.order.code)().expect(200);
  t.is(right.body.order.id, mine.orderId);
  t.is((await h.store.getOrder(mine.orderId))!.claim?.printerId, p1!.id);

  // While a wrong code is held, the same printer's next code is refused before it is looked up.
  const held = await startHeld(h.clock, redeem(p1, newOrderCode()));
  const busy = await redeem(p1, next.order.code)();
  t.is(busy.status, 429);
  t.is(busy.headers['retry-after'], String(WRONG_CODE_HOLD_MS / 1000));
  t.is((await h.store.getOrder(next.orderId))!.claim, null, 'refused before the lookup: nothing claimed');
  // Signed tokens are not guessable, so they are not limited; other printers keep their own budget.
  await printerCall(h, p1!, 'post', '/api/printer/redeem', { token: next.token }).expect(200);
  t.is((await redeem(p2, newOrderCode())()).status, 404);
  await h.clock.tick(WRONG_CODE_HOLD_MS);
  t.is((await held.answer).status, 429);

  // Once a wrong code's worth has refilled, a wrong code is answered at once again.
  h.clock.advance(FAILED_CODE_REFILL_MS);
  t.is((await redeem(p1, newOrderCode())()).status, 404);
});

test('the orders feed hears of a new holder, not of every renewal by the same printer', async (t) => {
  const h = await createHarness({ claimTtlMs: 60_000 });
  t.teardown(() => h.close());
  const { event, images, printers } = await seedVenue(h, { images: 1, printers: 2 });
  const { token, orderId } = await paidOrder(h, event.id, [{ imageId: images[0]!.id, copies: 1 }]);
  const queued = async () =>
    (await h.store.listQueuedOrders(event.venueId, 100)).find((e) => e.orderId === orderId)?.token;

  await printerCall(h, printers[0]!, 'post', '/api/printer/redeem', { token }).expect(200);
  const afterClaim = await queued();
  t.truthy(afterClaim, 'a claim is queued for the orders feed');
  h.clock.advance(1_000);
  await printerCall(h, printers[0]!, 'post', '/api/printer/redeem', { token }).expect(200);
  t.is(await queued(), afterClaim, 'a renewal by the holder queues nothing');

  h.clock.advance(120_000);
  await printerCall(h, printers[1]!, 'post', '/api/printer/redeem', { token }).expect(200);
  const afterTakeover = await queued();
  t.truthy(afterTakeover);
  t.not(afterTakeover, afterClaim, 'a takeover by another printer is queued again');
});
