import { nextOrderState, ORDER_STATES, type OrderEvent } from '../shared/policy/order-state.ts';
import type { StoreTest } from './fixtures/store-harness.ts';
import { CLAIM_TTL_MS, orderIn, orderRecord, T0 } from './fixtures/store-records.ts';

const ORDER_EVENTS: OrderEvent[] = [
  'payment_succeeded',
  'payment_failed',
  'payment_cancelled',
  'claimed',
  'released',
  'all_printed',
];

/** The order part of the store contract: codes, the state machine, claims, confirmations. */
export function orderContract(it: StoreTest): void {
  it('orders: insert, get by id and code, id and code are unique', async (t, store) => {
    await store.insertOrder(orderRecord('o1'));
    t.deepEqual(await store.getOrder('o1'), orderRecord('o1'));
    t.deepEqual(await store.getOrderByCode('CODE-o1'), orderRecord('o1'));
    t.is(await store.getOrder('nope'), null);
    t.is(await store.getOrderByCode('nope'), null);
    await t.throwsAsync(store.insertOrder(orderRecord('o1', { code: 'OTHER' })), { code: 'store_conflict' });
    await t.throwsAsync(store.insertOrder(orderRecord('o2', { code: 'CODE-o1' })), { code: 'store_conflict' });
    t.is(await store.getOrder('o2'), null, 'a refused insert leaves nothing behind');
  });

  it('transitionOrder applies an event exactly from the states the policy allows', async (t, store) => {
    for (const event of ORDER_EVENTS) {
      for (const state of ORDER_STATES) {
        const id = `${event}-${state}`;
        await store.insertOrder(orderIn(state, id));
        const result = await store.transitionOrder(id, event);
        const expected = nextOrderState(state, event);
        t.is(result?.state ?? null, expected, `${event} from ${state}`);
        t.is((await store.getOrder(id))?.state, expected ?? state, `${event} from ${state} (stored)`);
      }
    }
    t.is(await store.transitionOrder('missing', 'payment_succeeded'), null);
  });

  it('transitionOrder applies the payment patch and only it', async (t, store) => {
    await store.insertOrder(orderIn('awaiting_payment', 'o1'));
    const patch = { paidAt: T0 + 5, paymentSessionId: 'cs_123', state: 'fulfilled', unitCount: 99 };
    const paid = await store.transitionOrder('o1', 'payment_succeeded', patch);
    t.like(paid, { state: 'paid', paidAt: T0 + 5, paymentSessionId: 'cs_123', unitCount: 3 });
    t.deepEqual(await store.getOrder('o1'), paid);
    t.is(await store.transitionOrder('o1', 'payment_succeeded', { paidAt: T0 + 9 }), null);
    t.is((await store.getOrder('o1'))?.paidAt, T0 + 5, 'a refused transition changes nothing');
  });

  it('claimOrder claims a paid order and renews for its holder, keeping claimedAt', async (t, store) => {
    await store.insertOrder(orderRecord('o1'));
    const first = await store.claimOrder('o1', 'pA', T0, CLAIM_TTL_MS);
    t.is(first.outcome, 'claimed');
    const claimed = await store.getOrder('o1');
    t.is(claimed?.state, 'redeeming');
    t.deepEqual(claimed?.claim, { printerId: 'pA', claimedAt: T0, expiresAt: T0 + CLAIM_TTL_MS });
    t.deepEqual(first.outcome === 'claimed' ? first.order : null, claimed);

    const again = await store.claimOrder('o1', 'pA', T0 + 10_000, CLAIM_TTL_MS);
    t.is(again.outcome, 'claimed');
    t.deepEqual((await store.getOrder('o1'))?.claim, {
      printerId: 'pA',
      claimedAt: T0,
      expiresAt: T0 + 10_000 + CLAIM_TTL_MS,
    });
  });

  it('claimOrder refuses other printers while the claim lives, and unclaimable orders', async (t, store) => {
    await store.insertOrder(orderRecord('o1'));
    await store.claimOrder('o1', 'pA', T0, CLAIM_TTL_MS);
    const other = await store.claimOrder('o1', 'pB', T0 + 1, CLAIM_TTL_MS);
    t.is(other.outcome, 'held_by_other');
    t.is(other.outcome === 'held_by_other' ? other.order.claim?.printerId : null, 'pA');
    const atExpiry = await store.claimOrder('o1', 'pB', T0 + CLAIM_TTL_MS, CLAIM_TTL_MS);
    t.is(atExpiry.outcome, 'held_by_other', 'the claim holds up to and including expiresAt');
    t.is((await store.getOrder('o1'))?.claim?.printerId, 'pA');

    for (const state of ['awaiting_payment', 'payment_failed', 'cancelled', 'fulfilled'] as const) {
      await store.insertOrder(orderIn(state, state));
      const outcome = await store.claimOrder(state, 'pA', T0, CLAIM_TTL_MS);
      t.is(outcome.outcome, 'not_claimable', state);
      t.is((await store.getOrder(state))?.state, state);
    }
    t.deepEqual(await store.claimOrder('missing', 'pA', T0, CLAIM_TTL_MS), { outcome: 'not_found' });
  });

  it('claimOrder is exactly-once under 200 concurrent calls from 10 printers', async (t, store) => {
    await store.insertOrder(orderRecord('o1'));
    const printers = Array.from({ length: 10 }, (_, i) => `printer-${i}`);
    const calls = Array.from({ length: 200 }, (_, i) => printers[i % printers.length]!);
    const outcomes = await Promise.all(
      calls.map(async (printerId) => ({
        printerId,
        result: await store.claimOrder('o1', printerId, T0, CLAIM_TTL_MS),
      })),
    );
    const winners = new Set(outcomes.filter((o) => o.result.outcome === 'claimed').map((o) => o.printerId));
    t.is(winners.size, 1);
    const [winner] = [...winners];
    for (const { printerId, result } of outcomes) {
      t.is(result.outcome, printerId === winner ? 'claimed' : 'held_by_other');
    }
    t.is((await store.getOrder('o1'))?.claim?.printerId, winner);
  });

  it('an expired claim can be taken over; printed units stay printed', async (t, store) => {
    await store.insertOrder(orderRecord('o1'));
    await store.claimOrder('o1', 'pA', T0, 1_000);
    t.is((await store.confirmPrinted('o1', 'pA', 0, T0 + 100, 1_000)).outcome, 'confirmed');
    const takeover = await store.claimOrder('o1', 'pB', T0 + 1_101, 1_000);
    t.is(takeover.outcome, 'claimed');
    const order = await store.getOrder('o1');
    t.deepEqual(order?.claim, { printerId: 'pB', claimedAt: T0 + 1_101, expiresAt: T0 + 2_101 });
    t.deepEqual(order?.printed, { 0: { printerId: 'pA', at: T0 + 100 } });
    t.is(order?.printedCount, 1);

    t.is((await store.confirmPrinted('o1', 'pA', 1, T0 + 1_200, 1_000)).outcome, 'not_holder');
    t.is((await store.confirmPrinted('o1', 'pA', 0, T0 + 1_200, 1_000)).outcome, 'confirmed', 'its own unit');
    t.is((await store.confirmPrinted('o1', 'pB', 1, T0 + 1_300, 1_000)).outcome, 'confirmed');
    const done = await store.confirmPrinted('o1', 'pB', 2, T0 + 1_400, 1_000);
    t.is(done.outcome === 'confirmed' ? done.order.state : null, 'fulfilled');
    t.is((await store.getOrder('o1'))?.printedCount, 3);
  });

  it('confirmPrinted records units idempotently, renews the claim and fulfils the order', async (t, store) => {
    await store.insertOrder(orderRecord('o1'));
    await store.claimOrder('o1', 'pA', T0, CLAIM_TTL_MS);
    const first = await store.confirmPrinted('o1', 'pA', 1, T0 + 500, CLAIM_TTL_MS);
    t.is(first.outcome, 'confirmed');
    const after1 = await store.getOrder('o1');
    t.like(after1, { state: 'redeeming', printedCount: 1, fulfilledAt: null });
    t.deepEqual(after1?.printed, { 1: { printerId: 'pA', at: T0 + 500 } });
    t.deepEqual(after1?.claim, { printerId: 'pA', claimedAt: T0, expiresAt: T0 + 500 + CLAIM_TTL_MS });

    const repeat = await store.confirmPrinted('o1', 'pA', 1, T0 + 600, CLAIM_TTL_MS);
    t.is(repeat.outcome, 'confirmed');
    t.is((await store.getOrder('o1'))?.printedCount, 1, 'a repeat does not count twice');
    t.deepEqual((await store.getOrder('o1'))?.printed['1'], { printerId: 'pA', at: T0 + 500 });

    await store.confirmPrinted('o1', 'pA', 0, T0 + 700, CLAIM_TTL_MS);
    const last = await store.confirmPrinted('o1', 'pA', 2, T0 + 800, CLAIM_TTL_MS);
    const fulfilled = await store.getOrder('o1');
    t.like(fulfilled, { state: 'fulfilled', fulfilledAt: T0 + 800, printedCount: 3 });
    t.deepEqual(fulfilled?.claim, { printerId: 'pA', claimedAt: T0, expiresAt: T0 + 800 + CLAIM_TTL_MS });
    t.deepEqual(last.outcome === 'confirmed' ? last.order : null, fulfilled);

    const late = await store.confirmPrinted('o1', 'pA', 2, T0 + 900, CLAIM_TTL_MS);
    t.is(late.outcome, 'confirmed', 'idempotent even after fulfilment');
    t.like(await store.getOrder('o1'), { state: 'fulfilled', fulfilledAt: T0 + 800, printedCount: 3 });
  });

  it('confirmPrinted refuses bad units, non-holders and missing orders', async (t, store) => {
    await store.insertOrder(orderRecord('o1'));
    t.is((await store.confirmPrinted('o1', 'pA', 0, T0, CLAIM_TTL_MS)).outcome, 'not_holder', 'not claimed yet');
    await store.claimOrder('o1', 'pA', T0, CLAIM_TTL_MS);
    for (const unit of [-1, 3, 1.5, Number.NaN]) {
      t.is((await store.confirmPrinted('o1', 'pA', unit, T0, CLAIM_TTL_MS)).outcome, 'bad_unit', String(unit));
    }
    const other = await store.confirmPrinted('o1', 'pB', 0, T0, CLAIM_TTL_MS);
    t.is(other.outcome, 'not_holder');
    t.is(other.outcome === 'not_holder' ? other.order.claim?.printerId : null, 'pA');
    t.like(await store.getOrder('o1'), { printedCount: 0, printed: {} });
    t.deepEqual(await store.confirmPrinted('missing', 'pA', 0, T0, CLAIM_TTL_MS), { outcome: 'not_found' });
  });

  it('concurrent confirmations count each unit once and fulfil once', async (t, store) => {
    await store.insertOrder(orderRecord('o1', { unitCount: 5 }));
    await store.claimOrder('o1', 'pA', T0, CLAIM_TTL_MS);
    const units = Array.from({ length: 50 }, (_, i) => i % 5);
    const results = await Promise.all(units.map((u) => store.confirmPrinted('o1', 'pA', u, T0 + 1, CLAIM_TTL_MS)));
    t.true(results.every((r) => r.outcome === 'confirmed'));
    const order = await store.getOrder('o1');
    t.like(order, { state: 'fulfilled', printedCount: 5, fulfilledAt: T0 + 1 });
    t.deepEqual(Object.keys(order?.printed ?? {}).sort(), ['0', '1', '2', '3', '4']);
  });

  it('releaseClaim frees a redeeming order, only for the expected holder', async (t, store) => {
    await store.insertOrder(orderRecord('o1'));
    t.is(await store.releaseClaim('o1', null), null, 'nothing to release on a paid order');
    await store.claimOrder('o1', 'pA', T0, CLAIM_TTL_MS);
    await store.confirmPrinted('o1', 'pA', 0, T0 + 1, CLAIM_TTL_MS);
    t.is(await store.releaseClaim('o1', 'pB'), null);
    t.is((await store.getOrder('o1'))?.claim?.printerId, 'pA');
    const released = await store.releaseClaim('o1', 'pA');
    t.like(released, { state: 'paid', claim: null, printedCount: 1 });
    t.deepEqual(await store.getOrder('o1'), released);
    t.is(await store.releaseClaim('o1', 'pA'), null, 'twice releases nothing');

    t.is((await store.claimOrder('o1', 'pB', T0 + 2, CLAIM_TTL_MS)).outcome, 'claimed');
    t.is(((await store.releaseClaim('o1', null)) ?? null)?.state, 'paid', 'null releases whoever holds it');
    t.is(await store.releaseClaim('missing', null), null);

    await store.insertOrder(orderRecord('o2', { unitCount: 1 }));
    await store.claimOrder('o2', 'pA', T0, CLAIM_TTL_MS);
    await store.confirmPrinted('o2', 'pA', 0, T0 + 1, CLAIM_TTL_MS);
    t.is(await store.releaseClaim('o2', null), null, 'a fulfilled order keeps its claim');
    t.is((await store.getOrder('o2'))?.state, 'fulfilled');
  });

  it('a released transition drops the claim', async (t, store) => {
    await store.insertOrder(orderRecord('o1'));
    await store.claimOrder('o1', 'pA', T0, CLAIM_TTL_MS);
    t.like(await store.transitionOrder('o1', 'released'), { state: 'paid', claim: null });
    t.is((await store.claimOrder('o1', 'pB', T0 + 1, CLAIM_TTL_MS)).outcome, 'claimed');
  });

  it('countOrdersByState reports every state', async (t, store) => {
    const zero = Object.fromEntries(ORDER_STATES.map((s) => [s, 0]));
    t.deepEqual(await store.countOrdersByState(), zero);
    await store.insertOrder(orderIn('paid', 'a'));
    await store.insertOrder(orderIn('paid', 'b'));
    await store.insertOrder(orderIn('cancelled', 'c'));
    await store.claimOrder('b', 'pA', T0, CLAIM_TTL_MS);
    t.deepEqual(await store.countOrdersByState(), { ...zero, paid: 1, redeeming: 1, cancelled: 1 });
  });

  it('salesSince sums paid orders per currency from a moment on; unpaid and older ones are left out', async (t, store) => {
    t.deepEqual(await store.salesSince(T0), []);
    await store.insertOrder(orderIn('paid', 'a'));
    await store.insertOrder(orderIn('fulfilled', 'b'));
    await store.insertOrder(orderIn('cancelled', 'c'));
    await store.insertOrder(orderIn('awaiting_payment', 'd'));
    await store.insertOrder({ ...orderIn('paid', 'e'), code: 'CODE-E', currency: 'CHF' });
    const a = orderIn('paid', 'a');
    t.deepEqual(await store.salesSince(T0), [
      { currency: 'CHF', orders: 1, prints: a.unitCount, revenueCents: a.totalCents },
      { currency: a.currency, orders: 2, prints: 2 * a.unitCount, revenueCents: 2 * a.totalCents },
    ]);
    t.deepEqual(await store.salesSince(T0 + 1001), [], 'paid before the moment');
  });

  it('recordPaymentEvent is true the first time only', async (t, store) => {
    const event = { id: 'evt_1', orderId: 'o1', type: 'checkout.session.completed', receivedAt: T0 };
    t.true(await store.recordPaymentEvent(event));
    t.false(await store.recordPaymentEvent({ ...event, receivedAt: T0 + 1 }));
    t.true(await store.recordPaymentEvent({ ...event, id: 'evt_2' }));
    const racing = await Promise.all(
      Array.from({ length: 20 }, () => store.recordPaymentEvent({ ...event, id: 'e3' })),
    );
    t.is(racing.filter(Boolean).length, 1);
  });

  it('order records are copies', async (t, store) => {
    const input = orderRecord('o1');
    await store.insertOrder(input);
    input.items[0]!.copies = 40;
    input.state = 'fulfilled';
    const read = await store.getOrder('o1');
    t.deepEqual(read, orderRecord('o1'));
    read!.printed['0'] = { printerId: 'x', at: 1 };
    read!.items.push({ imageId: 'zz', copies: 1 });
    const claim = await store.claimOrder('o1', 'pA', T0, CLAIM_TTL_MS);
    if (claim.outcome === 'claimed') claim.order.claim!.printerId = 'mallory';
    const stored = await store.getOrder('o1');
    t.deepEqual(stored?.printed, {});
    t.is(stored?.items.length, 2);
    t.is(stored?.claim?.printerId, 'pA');
  });
}
