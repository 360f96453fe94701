import test from 'ava';
import type { KioskSaleRecord, KioskSaleStore } from '../coordinator/store/kiosk-sale-store.ts';

export type MakeKioskSaleStore = () => Promise<{ store: KioskSaleStore; cleanup(): Promise<void> }>;

const T0 = 1_750_000_000_000;

export function saleRecord(over: Partial<KioskSaleRecord> = {}): KioskSaleRecord {
  const id = over.id ?? `sale-${Math.random().toString(36).slice(2, 10)}`;
  return {
    id,
    idempotencyKey: `key-${id}`,
    printerId: 'printer-1',
    venueId: 'venue-1',
    eventId: 'event-1',
    channel: 'kiosk-card',
    items: [{ imageId: 'img-1', copies: 2 }],
    unitCount: 2,
    totalCents: 1000,
    currency: 'EUR',
    taxCents: 160,
    taxRatePercent: 19,
    orderId: `order-${id}`,
    state: 'created',
    readerId: 'tmr_1',
    paymentId: null,
    attempts: 0,
    lastFailure: null,
    card: null,
    authorisationCode: null,
    checkoutUrl: null,
    createdAt: T0,
    updatedAt: T0,
    authorisedAt: null,
    capturedAt: null,
    voidedAt: null,
    refundId: null,
    ...over,
  };
}

/** One suite for every kiosk sale store adapter (SQLite in the fast tier, MongoDB in the mongo tier). */
export function kioskSaleStoreContract(name: string, make: MakeKioskSaleStore): void {
  const withStore = async (t: { teardown(fn: () => Promise<void>): void }) => {
    const { store, cleanup } = await make();
    await store.ready();
    t.teardown(async () => {
      await store.close();
      await cleanup();
    });
    return store;
  };

  test(`${name}: one sale per printer and idempotency key; another printer's key is its own`, async (t) => {
    const store = await withStore(t);
    const first = await store.insertOrGet(saleRecord({ id: 's1', idempotencyKey: 'k' }));
    t.true(first.inserted);
    const again = await store.insertOrGet(saleRecord({ id: 's2', idempotencyKey: 'k' }));
    t.false(again.inserted);
    t.is(again.sale.id, 's1');
    const other = await store.insertOrGet(saleRecord({ id: 's3', idempotencyKey: 'k', printerId: 'printer-2' }));
    t.true(other.inserted);
    t.is((await store.get('s1'))?.idempotencyKey, 'k');
    t.is(await store.get('missing'), null);
  });

  test(`${name}: transitions follow the state machine; patches only in the named states`, async (t) => {
    const store = await withStore(t);
    await store.insertOrGet(saleRecord({ id: 's1' }));
    t.is(await store.transition('s1', 'captured', T0 + 1), null, 'not from created');
    const started = await store.transition('s1', 'payment_started', T0 + 1, { paymentId: 'pi_1' });
    t.is(started?.state, 'awaiting_payment');
    t.is(started?.paymentId, 'pi_1');
    t.is((await store.patch('s1', T0 + 2, { lastFailure: 'declined' }, ['awaiting_payment']))?.lastFailure, 'declined');
    t.is(await store.patch('s1', T0 + 3, { lastFailure: 'timeout' }, ['authorised']), null);
    const stored = await store.get('s1');
    t.is(stored?.state, 'awaiting_payment');
    t.is(stored?.lastFailure, 'declined');
    t.is(stored?.updatedAt, T0 + 2);
    t.is(await store.transition('missing', 'voided', T0), null);
  });

  test(`${name}: of many concurrent identical transitions exactly one applies`, async (t) => {
    const store = await withStore(t);
    await store.insertOrGet(saleRecord({ id: 's1', state: 'awaiting_payment' }));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.transition('s1', 'authorised', T0 + i, { authorisationCode: `A${i}` }),
      ),
    );
    const applied = results.filter((r) => r !== null);
    t.is(applied.length, 1);
    const final = await store.get('s1');
    t.is(final?.state, 'authorised');
    t.is(final?.authorisationCode, applied[0]!.authorisationCode, 'the one that applied is the one stored');
    // Racing capture and void of a printed sale: never both.
    await store.insertOrGet(saleRecord({ id: 's2', state: 'printed' }));
    const raced = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.transition('s2', i % 2 ? 'captured' : 'voided', T0 + i)),
    );
    t.true(raced.filter((r) => r?.state === 'captured').length <= 1);
    t.is(raced.filter((r) => r?.state === 'voided').length, 0, 'a printed card sale is never voided');
  });

  test(`${name}: open, recent and since lists; money per channel and station`, async (t) => {
    const store = await withStore(t);
    await store.insertOrGet(saleRecord({ id: 'a', createdAt: T0, state: 'captured' }));
    await store.insertOrGet(saleRecord({ id: 'b', createdAt: T0 + 10, state: 'awaiting_payment' }));
    await store.insertOrGet(saleRecord({ id: 'c', createdAt: T0 + 20, state: 'fulfilled', channel: 'kiosk-phone' }));
    await store.insertOrGet(saleRecord({ id: 'd', createdAt: T0 + 30, state: 'voided', printerId: 'printer-2' }));
    t.deepEqual(
      (await store.listOpen(10)).map((s) => s.id),
      ['b'],
    );
    t.deepEqual(
      (await store.listRecent(10)).map((s) => s.id),
      ['d', 'c', 'b', 'a'],
    );
    t.deepEqual(
      (await store.listRecent(10, { printerId: 'printer-2' })).map((s) => s.id),
      ['d'],
    );
    t.deepEqual(
      (await store.listSince(T0 + 15, 10)).map((s) => s.id),
      ['d', 'c'],
    );
    t.deepEqual(await store.salesSince(T0), [
      { channel: 'kiosk-card', printerId: 'printer-1', currency: 'EUR', sales: 1, revenueCents: 1000 },
      { channel: 'kiosk-phone', printerId: 'printer-1', currency: 'EUR', sales: 1, revenueCents: 1000 },
    ]);
  });
}
