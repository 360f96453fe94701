import type { ConflictRecord, OfflineRedemptionRecord } from '../coordinator/store/offline-records.ts';
import type { StoreTest } from './fixtures/store-harness.ts';
import { T0 } from './fixtures/store-records.ts';

function redemption(printerId: string, orderId: string, over: Partial<OfflineRedemptionRecord> = {}) {
  return {
    id: `${printerId}:${orderId}`,
    printerId,
    venueId: 'v1',
    orderId,
    claimedAt: T0,
    units: [0, 1],
    receivedAt: T0 + 10,
    outcome: 'applied',
    ...over,
  } satisfies OfflineRedemptionRecord;
}

function conflict(id: string, over: Partial<ConflictRecord> = {}): ConflictRecord {
  return {
    id,
    kind: 'double_print',
    venueId: 'v1',
    orderId: 'o1',
    printerId: 'pB',
    otherPrinterIds: ['pA'],
    units: [0],
    detail: 'printed twice',
    detectedAt: T0,
    ...over,
  };
}

/** The offline part of the store contract (coordinator/store/offline-port.ts). */
export function offlineContract(it: StoreTest): void {
  it('orders feed queue: oldest first per venue, re-queueing moves the token, dequeue only the token read', async (t, store) => {
    await store.queueOrderForFeed({ orderId: 'o2', venueId: 'v1', queuedAt: T0 + 2, token: 't2' });
    await store.queueOrderForFeed({ orderId: 'o1', venueId: 'v1', queuedAt: T0 + 1, token: 't1' });
    await store.queueOrderForFeed({ orderId: 'o3', venueId: 'v2', queuedAt: T0, token: 't3' });
    t.deepEqual(await store.listVenuesWithQueuedOrders(), ['v1', 'v2']);
    const read = await store.listQueuedOrders('v1', 10);
    t.deepEqual(read, [
      { orderId: 'o1', venueId: 'v1', queuedAt: T0 + 1, token: 't1' },
      { orderId: 'o2', venueId: 'v1', queuedAt: T0 + 2, token: 't2' },
    ]);
    t.deepEqual(
      (await store.listQueuedOrders('v1', 1)).map((e) => e.orderId),
      ['o1'],
    );
    t.deepEqual(await store.listQueuedOrders('v1', 0), []);
    // o2 changes again after the appender read it: its new version must still be published.
    await store.queueOrderForFeed({ orderId: 'o2', venueId: 'v1', queuedAt: T0 + 5, token: 't2b' });
    await store.dequeueOrders(read);
    t.deepEqual(await store.listQueuedOrders('v1', 10), [
      { orderId: 'o2', venueId: 'v1', queuedAt: T0 + 5, token: 't2b' },
    ]);
    await store.dequeueOrders([{ orderId: 'o2', token: 't2b' }]);
    await store.dequeueOrders([]);
    t.deepEqual(await store.listVenuesWithQueuedOrders(), ['v2']);
  });

  it('orders feed head: 0 at first, raised, never lowered, per venue', async (t, store) => {
    t.is(await store.getOrdersFeedHead('v1'), 0);
    await store.raiseOrdersFeedHead('v1', 7);
    await store.raiseOrdersFeedHead('v1', 3);
    t.is(await store.getOrdersFeedHead('v1'), 7);
    await Promise.all([9, 12, 10].map((n) => store.raiseOrdersFeedHead('v1', n)));
    t.is(await store.getOrdersFeedHead('v1'), 12);
    t.is(await store.getOrdersFeedHead('v2'), 0);
  });

  it('offline redemptions: recorded once per printer and order, the first report stands', async (t, store) => {
    t.true(await store.recordOfflineRedemption(redemption('pA', 'o1')));
    t.false(await store.recordOfflineRedemption(redemption('pA', 'o1', { units: [0], outcome: 'conflict' })));
    const racing = await Promise.all([1, 2, 3].map(() => store.recordOfflineRedemption(redemption('pB', 'o1'))));
    t.is(racing.filter(Boolean).length, 1, 'exactly one of three racing reports is first');
    await store.recordOfflineRedemption(redemption('pA', 'o2', { venueId: 'v2', receivedAt: T0 + 5 }));
    t.deepEqual(await store.listOfflineRedemptions({ venueId: 'v1', printerId: 'pA' }), [redemption('pA', 'o1')]);
    t.deepEqual(
      (await store.listOfflineRedemptions()).map((r) => r.id),
      ['pA:o2', 'pA:o1', 'pB:o1'],
    );
    t.is((await store.listOfflineRedemptions({ venueId: 'v1' })).length, 2);
  });

  it('conflicts: recorded once by id, listed newest first per venue', async (t, store) => {
    t.true(await store.insertConflict(conflict('c1')));
    t.false(await store.insertConflict(conflict('c1', { detail: 'again' })));
    await store.insertConflict(conflict('c2', { detectedAt: T0 + 5 }));
    await store.insertConflict(conflict('c3', { detectedAt: T0 + 9, venueId: 'v2' }));
    t.deepEqual(
      (await store.listConflicts({}, 10)).map((c) => c.id),
      ['c3', 'c2', 'c1'],
    );
    t.deepEqual(await store.listConflicts({ venueId: 'v1' }, 1), [conflict('c2', { detectedAt: T0 + 5 })]);
    t.deepEqual((await store.listConflicts({ venueId: 'v1' }, 10)).at(-1), conflict('c1'));
    t.deepEqual(await store.listConflicts({}, 0), []);
  });

  it('conflicts: acknowledged once (the first operator stands), listed by acknowledgement', async (t, store) => {
    const olga = { at: T0 + 100, byCredentialId: 'cred-olga', byName: 'Olga' };
    const sam = { at: T0 + 200, byCredentialId: 'cred-sam', byName: 'Sam' };
    t.is(await store.acknowledgeConflict('nope', olga), null);
    await store.insertConflict(conflict('c1'));
    await store.insertConflict(conflict('c2', { detectedAt: T0 + 5 }));
    await store.insertConflict(conflict('c3', { detectedAt: T0 + 9, venueId: 'v2' }));
    t.deepEqual(
      (await store.listConflicts({ acknowledged: false }, 10)).map((c) => c.id),
      ['c3', 'c2', 'c1'],
      'nothing acknowledged yet',
    );
    t.deepEqual(
      await store.acknowledgeConflict('c2', olga),
      conflict('c2', { detectedAt: T0 + 5, acknowledged: olga }),
    );
    t.deepEqual(
      await store.acknowledgeConflict('c2', sam),
      conflict('c2', { detectedAt: T0 + 5, acknowledged: olga }),
      'a repeat changes nothing',
    );
    const racing = await Promise.all(
      [olga, sam, olga, sam].map((by, i) => store.acknowledgeConflict('c1', { ...by, at: T0 + i })),
    );
    const winner = racing[0]!.acknowledged;
    t.truthy(winner);
    t.true(
      racing.every((c) => JSON.stringify(c?.acknowledged) === JSON.stringify(winner)),
      'every racer sees the one acknowledgement that stands',
    );
    t.deepEqual((await store.listConflicts({}, 10)).find((c) => c.id === 'c1')?.acknowledged, winner);
    t.deepEqual(
      (await store.listConflicts({ acknowledged: false }, 10)).map((c) => c.id),
      ['c3'],
    );
    t.deepEqual(
      (await store.listConflicts({ acknowledged: true }, 10)).map((c) => c.id),
      ['c2', 'c1'],
    );
    t.deepEqual(await store.listConflicts({ acknowledged: false, venueId: 'v1' }, 10), []);
    t.deepEqual(
      (await store.listConflicts({ acknowledged: true, venueId: 'v1' }, 1)).map((c) => c.id),
      ['c2'],
    );
    t.is(await store.insertConflict(conflict('c2')), false, 'reporting it again does not clear the acknowledgement');
    t.deepEqual((await store.listConflicts({ venueId: 'v1' }, 1))[0]?.acknowledged, olga);
  });
}
