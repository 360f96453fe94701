import type { ExecutionContext, TestFn } from 'ava';
import type { DownloadGrantRecord, LabJobRecord, ReorderRecord } from '../../coordinator/after-event/records.ts';
import { newLabJob } from '../../coordinator/after-event/reorder-service.ts';
import type { ReorderStore } from '../../coordinator/after-event/store-port.ts';

export function sampleReorder(id: string, over: Partial<ReorderRecord> = {}): ReorderRecord {
  return {
    id,
    eventId: 'ev1',
    venueId: 'v1',
    sourceOrderId: null,
    lines: [
      {
        imageId: 'img1',
        productId: 'print_8x10',
        quantity: 1,
        label: '8×10 in print',
        unitCents: 1500,
        totalCents: 1500,
        physical: true,
      },
      {
        imageId: 'img2',
        productId: 'digital_file',
        quantity: 1,
        label: 'Digital file',
        unitCents: 1200,
        totalCents: 1200,
        physical: false,
      },
    ],
    bundle: null,
    currency: 'EUR',
    goodsCents: 2700,
    shippingCents: 490,
    taxCents: 0,
    totalCents: 3190,
    labPartCents: 1990,
    needsShipping: true,
    shippingMethod: { methodId: 'standard', label: 'Standard' },
    address: { name: 'A', line1: 'B', line2: '', city: 'C', region: '', postalCode: '10115', country: 'DE', phone: '' },
    state: 'awaiting_payment',
    paymentSessionId: 'sess',
    checkoutUrl: null,
    createdAt: 1_000,
    paidAt: null,
    sentToLabAt: null,
    inProductionAt: null,
    printedAt: null,
    shippedAt: null,
    deliveredAt: null,
    carrier: null,
    trackingNumber: null,
    rejectedAt: null,
    rejectReason: null,
    refundedAt: null,
    refundId: null,
    refundCents: null,
    addressErasedAt: null,
    erasedAt: null,
    ...over,
  };
}

function grant(id: string, reorderId: string, over: Partial<DownloadGrantRecord> = {}): DownloadGrantRecord {
  return {
    id,
    reorderId,
    imageId: 'img2',
    fileName: 'f.jpg',
    maxUses: 3,
    usesLeft: 3,
    expiresAt: 10_000,
    createdAt: 1_000,
    revokedAt: null,
    ...over,
  };
}

/**
 * The reorder store's promises, for every adapter: transitions apply once from their from-states,
 * the payment's job and grants are written with it or not at all, leases hand a job to one caller,
 * grant uses are counted atomically.
 */
export function reorderStoreContract(
  test: TestFn,
  name: string,
  open: (t: ExecutionContext) => Promise<ReorderStore>,
): void {
  const withStore = async (t: ExecutionContext) => {
    const s = await open(t);
    t.teardown(() => s.close());
    return s;
  };

  test(`${name}: a transition applies once, with its job and grants, and never from a wrong state`, async (t) => {
    const s = await withStore(t);
    await s.insertReorder(sampleReorder('r-1'));
    await t.throwsAsync(s.insertReorder(sampleReorder('r-1')), { message: /exists already/ });
    const job = newLabJob('r-1', 1, 2_000);
    const results = await Promise.all([
      s.transitionReorder(
        'r-1',
        'payment_succeeded',
        { paidAt: 2_000 },
        { enqueueJob: job, grants: [grant('g1', 'r-1')] },
      ),
      s.transitionReorder(
        'r-1',
        'payment_succeeded',
        { paidAt: 2_000 },
        { enqueueJob: job, grants: [grant('g1', 'r-1')] },
      ),
    ]);
    t.is(results.filter((r) => r !== null).length, 1, 'one of two racing payments applies');
    t.deepEqual(
      (await s.listLabJobs('r-1')).map((j) => j.id),
      ['r-1.1'],
    );
    t.deepEqual(
      (await s.listGrants('r-1')).map((g) => g.id),
      ['g1'],
    );
    t.is(
      (await s.transitionReorder('r-1', 'lab_shipped', { trackingNumber: 'X' })) !== null,
      true,
      'paid → shipped by hand',
    );
    t.is(await s.transitionReorder('r-1', 'sent_to_lab'), null, 'no way back');
    t.is(await s.transitionReorder('r-missing', 'payment_succeeded'), null);
    t.like(await s.getReorder('r-1'), { state: 'shipped', trackingNumber: 'X', paidAt: 2_000 });
  });

  test(`${name}: due lab jobs are leased to one caller; completing moves the order to the lab`, async (t) => {
    const s = await withStore(t);
    await s.insertReorder(sampleReorder('r-2'));
    await s.transitionReorder('r-2', 'payment_succeeded', { paidAt: 1 }, { enqueueJob: newLabJob('r-2', 1, 5_000) });
    t.deepEqual(await s.leaseDueLabJobs(4_999, 60_000, 10), [], 'not due yet');
    t.is(await s.nextLabJobDue(), 5_000);
    const [a, b] = await Promise.all([s.leaseDueLabJobs(5_000, 60_000, 10), s.leaseDueLabJobs(5_000, 60_000, 10)]);
    t.is(a.length + b.length, 1, 'one lease');
    t.deepEqual(await s.leaseDueLabJobs(64_999, 60_000, 10), [], 'leased until it runs out');
    await s.retryLabJob('r-2.1', 'down', 70_000);
    t.like((await s.listLabJobs('r-2'))[0], {
      attempts: 1,
      lastError: 'down',
      nextAttemptAt: 70_000,
      state: 'pending',
    });
    const [leased] = await s.leaseDueLabJobs(70_000, 60_000, 10);
    t.is(leased?.id, 'r-2.1');
    t.like(await s.completeLabJob('r-2.1', 'ref', 70_001), { state: 'handed_off', labRef: 'ref' });
    t.is(await s.completeLabJob('r-2.1', 'ref', 70_002), null, 'once');
    t.like(await s.getReorder('r-2'), { state: 'sent_to_lab', sentToLabAt: 70_001 });
    t.is(await s.nextLabJobDue(), null);
    const failing: LabJobRecord = newLabJob('r-2', 2, 80_000);
    await s.insertLabJob(failing);
    await s.retryLabJob(failing.id, 'gave up', null);
    t.like((await s.listLabJobs('r-2'))[1], { state: 'failed' });
    await s.cancelLabJob(failing.id);
    t.like((await s.listLabJobs('r-2'))[1], { state: 'cancelled' });
  });

  test(`${name}: a grant serves exactly its uses, even when asked at once, and not after expiry or revocation`, async (t) => {
    const s = await withStore(t);
    await s.insertReorder(sampleReorder('r-3'));
    await s.transitionReorder(
      'r-3',
      'payment_succeeded',
      {},
      { grants: [grant('g3', 'r-3'), grant('g4', 'r-3', { expiresAt: 2_000 })] },
    );
    const uses = await Promise.all(Array.from({ length: 8 }, () => s.useGrant('g3', 1_500)));
    t.is(uses.filter((u) => u.ok).length, 3);
    t.deepEqual([...new Set(uses.filter((u) => !u.ok).map((u) => (u.ok ? '' : u.reason)))], ['used_up']);
    t.deepEqual(await s.useGrant('g4', 2_000), { ok: false, reason: 'expired' });
    t.deepEqual(await s.liveGrantImageIds('ev1', 1_999), ['img2']);
    t.is(await s.revokeGrants('r-3', 1_600), 2);
    t.deepEqual(await s.useGrant('g4', 1_700), { ok: false, reason: 'revoked' });
    t.deepEqual(await s.liveGrantImageIds('ev1', 1_000), []);
    t.deepEqual(await s.useGrant('nope', 1), { ok: false, reason: 'not_found' });
  });

  test(`${name}: listing by state is oldest first; the summary counts sold reorders and download revenue`, async (t) => {
    const s = await withStore(t);
    await s.insertReorder(sampleReorder('r-b', { createdAt: 2 }));
    await s.insertReorder(sampleReorder('r-a', { createdAt: 1 }));
    await s.insertReorder(sampleReorder('r-c', { createdAt: 3, sourceOrderId: 'o1' }));
    await s.transitionReorder('r-a', 'payment_succeeded');
    await s.transitionReorder('r-b', 'payment_succeeded');
    t.deepEqual(
      (await s.listReorders({ states: ['paid'] }, 10)).map((r) => r.id),
      ['r-a', 'r-b'],
    );
    t.deepEqual(
      (await s.listReorders({ sourceOrderId: 'o1' }, 10)).map((r) => r.id),
      ['r-c'],
    );
    t.deepEqual(await s.listReorders({ states: [] }, 10), []);
    t.like((await s.summary())[0], { eventId: 'ev1', paidReorders: 2, revenueCents: 6380, downloadRevenueCents: 2400 });
    t.like(await s.patchReorder('r-c', { address: null, erasedAt: 9 }), {
      address: null,
      erasedAt: 9,
      state: 'awaiting_payment',
    });
    t.is(await s.patchReorder('r-none', {}), null);
    await s.putSettings({
      eventId: 'ev1',
      reorderWindowDays: 5,
      priceList: { currency: 'EUR', products: {}, bundlePriceCents: null, shipping: [], taxBasisPoints: 0 },
      mastersPurgedAt: null,
    });
    await s.putSettings({
      eventId: 'ev1',
      reorderWindowDays: 6,
      priceList: { currency: 'EUR', products: {}, bundlePriceCents: null, shipping: [], taxBasisPoints: 0 },
      mastersPurgedAt: 3,
    });
    t.like(await s.getSettings('ev1'), { reorderWindowDays: 6, mastersPurgedAt: 3 });
    t.is((await s.listSettings()).length, 1);
  });
}
