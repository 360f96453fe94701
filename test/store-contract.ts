import { type MakeStore, storeTests } from './fixtures/store-harness.ts';
import {
  coordinatorNodeRecord,
  credentialRecord,
  eventRecord,
  holdingsRecord,
  imageRecord,
  orderRecord,
  patternBytes,
  printerRecord,
  T0,
  venueRecord,
} from './fixtures/store-records.ts';
import { offlineContract } from './store-contract-offline.ts';
import { orderContract } from './store-contract-orders.ts';
import { ownPhotoContract } from './store-contract-own-photos.ts';
import { redemptionContract } from './store-contract-redemption.ts';

const FEED = { blockOffset: 0, blockLength: 3, byteOffset: 0, byteLength: 150_000 };
const MEDIA_ROUND_TRIP_BYTES = 5 * 1024 * 1024;

/**
 * The contract every Store adapter passes (see coordinator/store/port.ts). `makeStore` returns a
 * fresh, ready, empty store per test.
 */
export function storeContract(name: string, makeStore: MakeStore): void {
  const it = storeTests(name, makeStore);
  orderContract(it);
  offlineContract(it);
  ownPhotoContract(it);
  redemptionContract(it);

  it('venues: insert, get, list, duplicates refused', async (t, store) => {
    await store.insertVenue(venueRecord('v2', { createdAt: T0 + 1 }));
    await store.insertVenue(venueRecord('v1'));
    t.deepEqual(await store.getVenue('v1'), venueRecord('v1'));
    t.is(await store.getVenue('nope'), null);
    t.deepEqual(
      (await store.listVenues()).map((v) => v.id),
      ['v1', 'v2'],
    );
    await t.throwsAsync(store.insertVenue(venueRecord('v1', { name: 'again' })), { code: 'store_conflict' });
    t.is((await store.getVenue('v1'))?.name, 'Venue v1');
  });

  it('events: insert, get, newest first, by venue, duplicates refused', async (t, store) => {
    await store.insertEvent(eventRecord('e-old', 'v1', { createdAt: T0 }));
    await store.insertEvent(eventRecord('e-new', 'v1', { createdAt: T0 + 2 }));
    await store.insertEvent(eventRecord('e-mid', 'v2', { createdAt: T0 + 1 }));
    t.deepEqual(await store.getEvent('e-mid'), eventRecord('e-mid', 'v2', { createdAt: T0 + 1 }));
    t.is(await store.getEvent('nope'), null);
    t.deepEqual(
      (await store.listEvents()).map((e) => e.id),
      ['e-new', 'e-mid', 'e-old'],
    );
    t.deepEqual(
      (await store.listEvents({ venueId: 'v1' })).map((e) => e.id),
      ['e-new', 'e-old'],
    );
    t.deepEqual(await store.listEvents({ venueId: 'v9' }), []);
    await t.throwsAsync(store.insertEvent(eventRecord('e-old', 'v2')), { code: 'store_conflict' });
  });

  it('raiseFeedHead raises and never lowers', async (t, store) => {
    await store.insertEvent(eventRecord('e1', 'v1'));
    await store.raiseFeedHead('e1', { blobsLength: 10, catalogLength: 4 });
    t.deepEqual((await store.getEvent('e1'))?.feedHead, { blobsLength: 10, catalogLength: 4 });
    await store.raiseFeedHead('e1', { blobsLength: 3, catalogLength: 2 });
    t.deepEqual((await store.getEvent('e1'))?.feedHead, { blobsLength: 10, catalogLength: 4 }, 'smaller head ignored');
    await store.raiseFeedHead('e1', { blobsLength: 12, catalogLength: 5 });
    t.deepEqual((await store.getEvent('e1'))?.feedHead, { blobsLength: 12, catalogLength: 5 });
    await Promise.all([7, 30, 20, 9].map((n) => store.raiseFeedHead('e1', { blobsLength: n, catalogLength: n })));
    t.deepEqual((await store.getEvent('e1'))?.feedHead, { blobsLength: 30, catalogLength: 30 });
    await t.notThrowsAsync(store.raiseFeedHead('missing', { blobsLength: 1, catalogLength: 1 }));
  });

  it('images: one master per event, the first upload wins', async (t, store) => {
    const first = imageRecord('i1', 'e1', { sha256: 'aa'.repeat(32) });
    t.deepEqual(await store.insertImage(first), { inserted: true });
    const again = await store.insertImage(imageRecord('i2', 'e1', { sha256: 'aa'.repeat(32), createdAt: T0 + 9 }));
    t.deepEqual(again, { inserted: false, existing: first });
    t.is(await store.getImage('i2'), null);
    t.deepEqual(await store.insertImage(imageRecord('i3', 'e2', { sha256: 'aa'.repeat(32) })), { inserted: true });
    await t.throwsAsync(store.insertImage(imageRecord('i1', 'e1', { sha256: 'bb'.repeat(32) })), {
      code: 'store_conflict',
    });
    t.deepEqual(await store.getImage('i1'), first);
    t.is(await store.getImage('nope'), null);
    const racing = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.insertImage(imageRecord(`r${i}`, 'e3', { sha256: 'cc'.repeat(32) }))),
    );
    t.is(racing.filter((r) => r.inserted).length, 1);
  });

  it('images: listed appended by seq, then pending by age; appended once', async (t, store) => {
    await store.insertImage(imageRecord('p-late', 'e1', { createdAt: T0 + 30 }));
    await store.insertImage(imageRecord('a-second', 'e1', { createdAt: T0 + 5 }));
    await store.insertImage(imageRecord('p-early', 'e1', { createdAt: T0 + 10 }));
    await store.insertImage(imageRecord('a-first', 'e1', { createdAt: T0 + 20 }));
    await store.insertImage(imageRecord('other', 'e2', { createdAt: T0 }));
    t.deepEqual((await store.listEventsWithPendingImages()).sort(), ['e1', 'e2']);

    t.true(await store.markImageAppended('a-first', FEED, 0));
    t.true(await store.markImageAppended('a-second', { ...FEED, blockOffset: 3 }, 1));
    t.false(await store.markImageAppended('a-first', FEED, 7), 'only a pending image is appended');
    t.false(await store.markImageAppended('missing', FEED, 8));
    t.like(await store.getImage('a-first'), { feedState: 'appended', feed: FEED, seq: 0 });

    t.deepEqual(
      (await store.listImages('e1')).map((i) => i.id),
      ['a-first', 'a-second', 'p-early', 'p-late'],
    );
    t.deepEqual(
      (await store.listPendingImages('e1', 10)).map((i) => i.id),
      ['p-early', 'p-late'],
    );
    t.deepEqual(
      (await store.listPendingImages('e1', 1)).map((i) => i.id),
      ['p-early'],
    );
    t.deepEqual(await store.listPendingImages('e1', 0), []);
    t.deepEqual(await store.listImages('e9'), []);

    await store.markImageAppended('other', FEED, 0);
    t.deepEqual(await store.listEventsWithPendingImages(), ['e1']);
  });

  it('media keys are listed by prefix in key order, a page at a time, each once', async (t, store) => {
    const media = { bytes: Buffer.from('x'), contentType: 'image/jpeg' };
    for (const key of ['master/b', 'master/a', 'preview/a', 'masters/z', 'master/c']) await store.putMedia(key, media);
    await store.putMedia('master/a', media);
    t.deepEqual(await store.listMediaKeys('master/', null, 10), ['master/a', 'master/b', 'master/c']);
    t.deepEqual(await store.listMediaKeys('master/', null, 2), ['master/a', 'master/b']);
    t.deepEqual(await store.listMediaKeys('master/', 'master/b', 10), ['master/c']);
    t.deepEqual(await store.listMediaKeys('thumbnail/', null, 10), []);
  });

  it('media: 5 MB round trip is byte-identical; overwrite replaces', async (t, store) => {
    const bytes = patternBytes(MEDIA_ROUND_TRIP_BYTES);
    const input = Buffer.from(bytes);
    await store.putMedia('master/i1', { bytes: input, contentType: 'image/jpeg' });
    input.fill(0);
    const read = await store.getMedia('master/i1');
    t.is(read?.contentType, 'image/jpeg');
    t.is(read?.bytes.length, MEDIA_ROUND_TRIP_BYTES);
    t.true(read?.bytes.equals(bytes));
    read!.bytes[0] = read!.bytes[0]! ^ 0xff;
    t.true((await store.getMedia('master/i1'))?.bytes.equals(bytes), 'the returned buffer is a copy');

    await store.putMedia('master/i1', { bytes: Buffer.from('small'), contentType: 'image/png' });
    t.deepEqual(await store.getMedia('master/i1'), { bytes: Buffer.from('small'), contentType: 'image/png' });
    t.is(await store.getMedia('missing'), null);
    await store.deleteMedia('master/i1');
    t.is(await store.getMedia('master/i1'), null);
    await store.deleteMedia('master/i1');
    await store.putMedia('empty', { bytes: Buffer.alloc(0), contentType: 'application/octet-stream' });
    t.is((await store.getMedia('empty'))?.bytes.length, 0);
  });

  it('printers: insert, list by venue, revoke once, touch', async (t, store) => {
    await store.insertPrinter(printerRecord('k1', 'v1'));
    await store.insertPrinter(printerRecord('k2', 'v2', { pairedAt: T0 + 1 }));
    await store.insertPrinter(printerRecord('k3', 'v1', { pairedAt: T0 + 2 }));
    await t.throwsAsync(store.insertPrinter(printerRecord('k1', 'v2')), { code: 'store_conflict' });
    t.deepEqual(await store.getPrinter('k1'), printerRecord('k1', 'v1'));
    t.is(await store.getPrinter('nope'), null);
    t.deepEqual(
      (await store.listPrinters()).map((p) => p.id),
      ['k1', 'k2', 'k3'],
    );
    t.deepEqual(
      (await store.listPrinters({ venueId: 'v1' })).map((p) => p.id),
      ['k1', 'k3'],
    );

    t.like(await store.revokePrinter('k1', T0 + 50), { id: 'k1', revokedAt: T0 + 50 });
    t.like(await store.revokePrinter('k1', T0 + 99), { revokedAt: T0 + 50 }, 'the first revocation stands');
    t.is((await store.getPrinter('k1'))?.revokedAt, T0 + 50);
    t.is(await store.revokePrinter('nope', T0), null);

    await store.touchPrinter('k2', T0 + 7);
    t.is((await store.getPrinter('k2'))?.lastSeenAt, T0 + 7);
    await store.touchPrinter('k2', T0 + 9);
    t.is((await store.getPrinter('k2'))?.lastSeenAt, T0 + 9);
    await t.notThrowsAsync(store.touchPrinter('nope', T0));
    t.is(await store.getPrinter('nope'), null);
  });

  it('printers: a card reader belongs to at most one printer; revoking frees it', async (t, store) => {
    await store.insertPrinter(printerRecord('k1', 'v1', { cardReaderId: 'tmr_a' }));
    await store.insertPrinter(printerRecord('k2', 'v2', { pairedAt: T0 + 1 }));
    await store.insertPrinter(printerRecord('k3', 'v1', { pairedAt: T0 + 2, cardReaderId: null }));
    t.is((await store.getPrinter('k1'))?.cardReaderId, 'tmr_a');
    await t.throwsAsync(store.insertPrinter(printerRecord('k4', 'v1', { cardReaderId: 'tmr_a' })), {
      code: 'store_conflict',
    });
    t.is(await store.getPrinter('k4'), null, 'the refused pairing stored nothing');

    await t.throwsAsync(store.setPrinterCardReader('k2', 'tmr_a'), { code: 'store_conflict' });
    t.is((await store.getPrinter('k2'))?.cardReaderId ?? null, null, 'the refused assignment changed nothing');
    t.like(await store.setPrinterCardReader('k2', 'tmr_b'), { id: 'k2', cardReaderId: 'tmr_b' });
    t.is((await store.getPrinter('k2'))?.cardReaderId, 'tmr_b');
    t.like(await store.setPrinterCardReader('k2', 'tmr_b'), { cardReaderId: 'tmr_b' }, 'the same again is no conflict');
    // Several printers without a reader are fine (null is not a reader).
    t.like(await store.setPrinterCardReader('k3', null), { cardReaderId: null });
    t.is(await store.setPrinterCardReader('nope', 'tmr_c'), null);

    // Moved: freed on one printer, then given to another.
    t.like(await store.setPrinterCardReader('k1', null), { cardReaderId: null });
    t.like(await store.setPrinterCardReader('k3', 'tmr_a'), { cardReaderId: 'tmr_a' });
    // Revoking frees the reader for a replacement printer.
    t.like(await store.revokePrinter('k3', T0 + 5), { revokedAt: T0 + 5, cardReaderId: null });
    t.like(await store.setPrinterCardReader('k1', 'tmr_a'), { cardReaderId: 'tmr_a' });
    // The other fields stay as they were.
    await store.touchPrinter('k1', T0 + 9);
    t.like(await store.getPrinter('k1'), { cardReaderId: 'tmr_a', lastSeenAt: T0 + 9, name: 'Printer k1' });
  });

  it('printer reports: the last one per printer wins, listed by venue', async (t, store) => {
    const report = (printerId: string, venueId: string, n: number) => ({
      printerId,
      venueId,
      receivedAt: T0 + n,
      report: { queue: n, printer: { state: 'ready' }, events: [{ eventId: 'e1', held: n }] },
    });
    await store.putPrinterReport(report('k1', 'v1', 1));
    await store.putPrinterReport(report('k2', 'v1', 2));
    await store.putPrinterReport(report('k3', 'v2', 3));
    await store.putPrinterReport(report('k1', 'v1', 4));
    t.deepEqual(await store.listPrinterReports({ venueId: 'v1' }), [report('k1', 'v1', 4), report('k2', 'v1', 2)]);
    t.is((await store.listPrinterReports()).length, 3);
    const listed = await store.listPrinterReports({ venueId: 'v2' });
    (listed[0]!.report as { queue: number }).queue = 99;
    t.deepEqual(
      await store.listPrinterReports({ venueId: 'v2' }),
      [report('k3', 'v2', 3)],
      'returned records are copies',
    );
  });

  it('holdings: put replaces per printer and event', async (t, store) => {
    await store.putHoldings(holdingsRecord('k1', 'e1', ['a', 'b']));
    await store.putHoldings(holdingsRecord('k2', 'e1', ['a']));
    await store.putHoldings(holdingsRecord('k1', 'e2', ['z']));
    await store.putHoldings(holdingsRecord('k1', 'e1', ['c'], T0 + 5));
    t.deepEqual(await store.getHoldings('k1', 'e1'), holdingsRecord('k1', 'e1', ['c'], T0 + 5));
    t.is(await store.getHoldings('k2', 'e2'), null);
    t.deepEqual(await store.listHoldings('e1'), [
      holdingsRecord('k1', 'e1', ['c'], T0 + 5),
      holdingsRecord('k2', 'e1', ['a']),
    ]);
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.putHoldings(holdingsRecord('k3', 'e3', [`i${i}`]))));
    t.is((await store.listHoldings('e3')).length, 1);
  });

  it('holdings: seq ranges are kept as sent and replace an id list', async (t, store) => {
    await store.putHoldings(holdingsRecord('k1', 'e1', ['a', 'b']));
    const ranges = {
      printerId: 'k1',
      eventId: 'e1',
      seqRanges: [
        [0, 3],
        [5, 20_000],
      ] as Array<[number, number]>,
      updatedAt: T0 + 1,
    };
    await store.putHoldings(ranges);
    t.deepEqual(await store.getHoldings('k1', 'e1'), ranges, 'the id list is gone, not merged');
    t.deepEqual(await store.listHoldings('e1'), [ranges]);
  });

  it('credentials: insert, get, duplicates refused', async (t, store) => {
    await store.insertCredential(credentialRecord('h1'));
    t.deepEqual(await store.getCredential('h1'), credentialRecord('h1'));
    t.is(await store.getCredential('h2'), null);
    await t.throwsAsync(store.insertCredential(credentialRecord('h1', { role: 'photographer' })), {
      code: 'store_conflict',
    });
    t.is((await store.getCredential('h1'))?.role, 'operator');
  });

  it('credentials: listed oldest first, revoked once (the first time stands)', async (t, store) => {
    await store.insertCredential(credentialRecord('h2', { createdAt: T0 + 5, role: 'photographer' }));
    await store.insertCredential(credentialRecord('h1'));
    t.deepEqual(
      (await store.listCredentials()).map((c) => c.tokenHash),
      ['h1', 'h2'],
    );
    t.deepEqual(
      await store.revokeCredential('h2', T0 + 10),
      credentialRecord('h2', {
        createdAt: T0 + 5,
        role: 'photographer',
        revokedAt: T0 + 10,
      }),
    );
    t.is((await store.revokeCredential('h2', T0 + 20))?.revokedAt, T0 + 10, 'revoking again changes nothing');
    t.is((await store.getCredential('h2'))?.revokedAt, T0 + 10);
    t.is((await store.getCredential('h1'))?.revokedAt, null, 'only the one credential');
    t.is(await store.revokeCredential('nope', T0), null);
    t.is((await store.listCredentials()).length, 2, 'revoked credentials stay listed');
  });

  it('setEventPriceList replaces the price list only', async (t, store) => {
    await store.insertEvent(eventRecord('e1', 'v1'));
    const priceList = { currency: 'USD', unitPriceCents: 700, bundles: [{ copies: 5, priceCents: 3000 }] };
    const updated = await store.setEventPriceList('e1', priceList);
    t.deepEqual(updated, eventRecord('e1', 'v1', { priceList }));
    t.deepEqual(await store.getEvent('e1'), eventRecord('e1', 'v1', { priceList }));
    priceList.bundles.push({ copies: 9, priceCents: 1 });
    t.is((await store.getEvent('e1'))?.priceList.bundles.length, 1, 'the stored list is a copy');
    t.is(await store.setEventPriceList('nope', priceList), null);
  });

  it('listOrders: one event, given states, oldest first, limited', async (t, store) => {
    await store.insertOrder(orderRecord('o3', { code: 'C3', state: 'redeeming', createdAt: T0 + 3 }));
    await store.insertOrder(orderRecord('o1', { code: 'C1', state: 'paid', createdAt: T0 + 1 }));
    await store.insertOrder(orderRecord('o2', { code: 'C2', state: 'fulfilled', createdAt: T0 + 2 }));
    await store.insertOrder(orderRecord('o4', { code: 'C4', state: 'paid', createdAt: T0 + 4, eventId: 'other' }));
    await store.insertOrder(orderRecord('o5', { code: 'C5', state: 'paid', createdAt: T0 + 5 }));
    const inFlight = { eventId: 'ev1', states: ['paid', 'redeeming'] as const };
    t.deepEqual(
      (await store.listOrders(inFlight, 10)).map((o) => o.id),
      ['o1', 'o3', 'o5'],
    );
    t.deepEqual(
      (await store.listOrders(inFlight, 2)).map((o) => o.id),
      ['o1', 'o3'],
    );
    t.deepEqual(await store.listOrders(inFlight, 0), []);
    t.deepEqual(await store.listOrders({ eventId: 'ev1', states: [] }, 10), []);
    t.deepEqual(
      await store.listOrders(inFlight, 10).then((o) => o[0]),
      orderRecord('o1', {
        code: 'C1',
        state: 'paid',
        createdAt: T0 + 1,
      }),
    );
  });

  it('leases: acquire, renew, refuse, expire, release', async (t, store) => {
    t.true(await store.acquireLease('feed/e1', 'c1', T0, 1_000));
    t.false(await store.acquireLease('feed/e1', 'c2', T0 + 500, 1_000));
    t.true(await store.acquireLease('feed/e1', 'c1', T0 + 900, 1_000), 'the holder renews');
    t.false(await store.acquireLease('feed/e1', 'c2', T0 + 1_900, 1_000), 'held up to and including expiry');
    t.true(await store.acquireLease('feed/e1', 'c2', T0 + 1_901, 1_000), 'taken over after expiry');
    t.false(await store.acquireLease('feed/e1', 'c1', T0 + 1_902, 1_000));
    t.true(await store.acquireLease('feed/e2', 'c1', T0 + 1_902, 1_000), 'leases are independent');

    await store.releaseLease('feed/e1', 'c1');
    t.false(await store.acquireLease('feed/e1', 'c3', T0 + 2_000, 1_000), 'only the holder releases');
    await store.releaseLease('feed/e1', 'c2');
    t.true(await store.acquireLease('feed/e1', 'c3', T0 + 2_000, 1_000));
  });

  it('leases: one of 50 concurrent acquirers wins', async (t, store) => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.acquireLease('sweeper', `c${i}`, T0, 10_000)),
    );
    t.is(results.filter(Boolean).length, 1);
    const winner = `c${results.indexOf(true)}`;
    t.true(await store.acquireLease('sweeper', winner, T0 + 1, 10_000));
  });

  it('coordinator nodes: heartbeat upsert, listed from `since` on', async (t, store) => {
    await store.touchCoordinatorNode(coordinatorNodeRecord('n1', T0, 'http://a'));
    await store.touchCoordinatorNode(coordinatorNodeRecord('n2', T0 + 10));
    await store.touchCoordinatorNode(coordinatorNodeRecord('n1', T0 + 20, 'http://b'));
    t.deepEqual(await store.listCoordinatorNodes(T0 + 10), [
      coordinatorNodeRecord('n1', T0 + 20, 'http://b'),
      coordinatorNodeRecord('n2', T0 + 10),
    ]);
    t.deepEqual(await store.listCoordinatorNodes(T0 + 11), [coordinatorNodeRecord('n1', T0 + 20, 'http://b')]);
    t.deepEqual(await store.listCoordinatorNodes(T0 + 21), []);
  });

  it('records are copies: mutating inputs or results never changes the store', async (t, store) => {
    const event = eventRecord('e1', 'v1');
    await store.insertEvent(event);
    event.priceList.bundles.push({ copies: 9, priceCents: 1 });
    event.feedHead.blobsLength = 99;
    const read = await store.getEvent('e1');
    t.deepEqual(read, eventRecord('e1', 'v1'));
    read!.priceList.unitPriceCents = 1;
    (await store.listEvents())[0]!.name = 'changed';
    t.deepEqual(await store.getEvent('e1'), eventRecord('e1', 'v1'));

    await store.insertVenue(venueRecord('v1'));
    (await store.getVenue('v1'))!.name = 'changed';
    (await store.listVenues())[0]!.topicSecret = 'x';
    t.deepEqual(await store.getVenue('v1'), venueRecord('v1'));

    const image = imageRecord('i1', 'e1');
    await store.insertImage(image);
    image.width = 1;
    const dup = await store.insertImage(imageRecord('i2', 'e1'));
    if (!dup.inserted) dup.existing.height = 1;
    (await store.listImages('e1'))[0]!.sha256 = 'x';
    t.deepEqual(await store.getImage('i1'), imageRecord('i1', 'e1'));

    await store.insertPrinter(printerRecord('k1', 'v1'));
    (await store.getPrinter('k1'))!.revokedAt = 1;
    (await store.listPrinters())[0]!.name = 'x';
    t.deepEqual(await store.getPrinter('k1'), printerRecord('k1', 'v1'));

    const holdings = holdingsRecord('k1', 'e1', ['a']);
    await store.putHoldings(holdings);
    holdings.imageIds!.push('b');
    (await store.getHoldings('k1', 'e1'))!.imageIds!.push('c');
    t.deepEqual(await store.getHoldings('k1', 'e1'), holdingsRecord('k1', 'e1', ['a']));

    await store.insertCredential(credentialRecord('h1'));
    (await store.getCredential('h1'))!.revokedAt = 1;
    t.deepEqual(await store.getCredential('h1'), credentialRecord('h1'));

    await store.touchCoordinatorNode(coordinatorNodeRecord('n1', T0));
    (await store.listCoordinatorNodes(0))[0]!.url = 'x';
    t.deepEqual(await store.listCoordinatorNodes(0), [coordinatorNodeRecord('n1', T0)]);
  });
}
