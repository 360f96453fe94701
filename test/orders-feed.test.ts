import { join } from 'node:path';
import test from 'ava';
import HyperDHT from 'hyperdht';
import { publishOrder } from '../coordinator/feed/order-publication.ts';
import { ordersFeedEntry } from '../coordinator/feed/orders-feed.ts';
import type { OrderRecord } from '../coordinator/store/records.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { cryptoRandom } from '../shared/ports/random.ts';
import {
  insertVenueAndEvent,
  openStore,
  startBootstrap,
  startFeedService,
  tempDir,
  waitFor,
} from './fixtures/feed-fixtures.ts';
import { orderRecord } from './fixtures/store-records.ts';

const FLOW_TIMEOUT_MS = 45_000;
const TUNING = { leaseTtlMs: 1500, pollIntervalMs: 100, catchUpTimeoutMs: 3000 };

test('two coordinator instances write a venue orders feed: one writer at a time, every paid order once, current state, no fork', async (t) => {
  t.timeout(120_000);
  const bootstrap = await startBootstrap(t);
  const root = await tempDir(t);
  const store = await openStore(t, root);
  const { venue, event } = await insertVenueAndEvent(store, 'v1', 'ev1');
  const keys = [HyperDHT.keyPair(), HyperDHT.keyPair()];
  // Heartbeats first, so the two instances admit each other from their first dial.
  for (const k of keys)
    await store.touchCoordinatorNode({ id: k.publicKey.toString('hex'), url: null, lastSeenAt: Date.now() });
  const start = (i: number) =>
    startFeedService(t, {
      store,
      dataDir: join(root, `c${i}`),
      instanceId: `c${i}`,
      swarmKeyPair: keys[i]!,
      bootstrap,
      peerRefreshIntervalMs: 300,
      appender: TUNING,
    });
  const [a, b] = [await start(0), await start(1)];
  const publish = async (order: OrderRecord) => {
    await publishOrder({ store, feeds: a, clock: systemClock, random: cryptoRandom }, order);
    b.notifyOrdersQueued(order.venueId);
  };
  const orders: OrderRecord[] = [];
  for (let i = 0; i < 12; i++) {
    const order = orderRecord(`o${i}`, {
      code: `CODE${i}`,
      eventId: event.id,
      venueId: venue.id,
      state: i === 11 ? 'awaiting_payment' : 'paid',
      paidAt: i === 11 ? null : Date.now(),
    });
    await store.insertOrder(order);
    orders.push(order);
    await publish(order);
  }
  const feeds = [await a.ordersFeedOf(venue), await b.ordersFeedOf(venue)];
  // Who wrote when: two instances must never write at the same time (that would fork the feed).
  const writes: Array<{ by: number; start: number; end: number }> = [];
  feeds.forEach((feed, by) => {
    const write = feed.write.bind(feed);
    feed.write = async (entries) => {
      const start = performance.now();
      try {
        return await write(entries);
      } finally {
        writes.push({ by, start, end: performance.now() });
      }
    };
  });
  const onFeed = async (order: OrderRecord, state = order.state) =>
    (await Promise.all(feeds.map((f) => f.get(order.code)))).every((e) => e?.state === state);
  t.true(
    await waitFor(
      async () => (await Promise.all(orders.slice(0, 11).map((o) => onFeed(o)))).every(Boolean),
      FLOW_TIMEOUT_MS,
      100,
    ),
    'every paid order on both replicas',
  );
  t.is(await feeds[0]!.get('CODE11'), null, 'an order never paid is not published');
  t.deepEqual(await feeds[1]!.get('CODE3'), ordersFeedEntry(orders[3]!), 'entry: ids, items, no personal data');

  // The order is claimed and printed: its new state replaces the old entry.
  await store.claimOrder('o0', 'printer-1', Date.now(), 60_000);
  for (let unit = 0; unit < orders[0]!.unitCount; unit++)
    await store.confirmPrinted('o0', 'printer-1', unit, Date.now(), 60_000);
  await publish((await store.getOrder('o0'))!);
  t.true(await waitFor(() => onFeed(orders[0]!, 'fulfilled'), FLOW_TIMEOUT_MS, 100), 'fulfilled everywhere');
  const writtenBefore = a.ordersAppender.counters.written + b.ordersAppender.counters.written;
  await publish((await store.getOrder('o0'))!);
  t.true(await waitFor(async () => (await store.listVenuesWithQueuedOrders()).length === 0, FLOW_TIMEOUT_MS, 100));
  t.is(
    a.ordersAppender.counters.written + b.ordersAppender.counters.written,
    writtenBefore,
    'publishing an unchanged order writes nothing',
  );

  t.is(feeds[0]!.length, feeds[1]!.length, 'both replicas hold the same feed');
  t.is(await store.getOrdersFeedHead('v1'), feeds[0]!.length, 'the committed head is the feed length');
  const overlaps = writes.filter((w) => writes.some((x) => x.by !== w.by && x.start < w.end && w.start < x.end));
  t.deepEqual(overlaps, [], 'one writer at a time');

  // The writer goes away; the other instance takes over from the committed head.
  await a.close();
  const late = orderRecord('late', {
    code: 'LATE',
    eventId: event.id,
    venueId: venue.id,
    state: 'paid',
    paidAt: Date.now(),
  });
  await store.insertOrder(late);
  await publishOrder({ store, feeds: b, clock: systemClock, random: cryptoRandom }, late);
  t.true(
    await waitFor(async () => (await feeds[1]!.get('LATE'))?.state === 'paid', FLOW_TIMEOUT_MS, 100),
    'b wrote it',
  );
  t.is(await store.getOrdersFeedHead('v1'), feeds[1]!.length, 'the committed head follows the feed');
  t.is(a.ordersAppender.counters.catchUpFailures + b.ordersAppender.counters.catchUpFailures, 0);
  for (const o of orders.slice(1, 11)) t.is((await feeds[1]!.get(o.code))?.state, 'paid', `${o.id} still there`);
});

test('changes to an order within the coalescing window go on the feed as one entry, in its latest state', async (t) => {
  t.timeout(60_000);
  const COALESCE_MS = 1_500;
  /** Longer than the appender takes to notice a notification and write (pollIntervalMs 100). */
  const BETWEEN_CHANGES_MS = 400;
  const bootstrap = await startBootstrap(t);
  const root = await tempDir(t);
  const store = await openStore(t, root);
  const { venue, event } = await insertVenueAndEvent(store, 'v1', 'ev1');
  const key = HyperDHT.keyPair();
  await store.touchCoordinatorNode({ id: key.publicKey.toString('hex'), url: null, lastSeenAt: Date.now() });
  const service = await startFeedService(t, {
    store,
    dataDir: join(root, 'c0'),
    instanceId: 'c0',
    swarmKeyPair: key,
    bootstrap,
    appender: { ...TUNING, ordersCoalesceMs: COALESCE_MS },
  });
  const feed = await service.ordersFeedOf(venue);
  const publish = async (id: string) =>
    publishOrder({ store, feeds: service, clock: systemClock, random: cryptoRandom }, (await store.getOrder(id))!);
  const order = orderRecord('o1', {
    code: 'CODE1',
    eventId: event.id,
    venueId: venue.id,
    state: 'paid',
    paidAt: Date.now(),
  });
  await store.insertOrder(order);
  await publish('o1');
  t.true(
    await waitFor(async () => (await feed.get('CODE1'))?.state === 'paid', FLOW_TIMEOUT_MS, 50),
    'paid on the feed',
  );
  const lengthAfterPaid = feed.length;
  const batchesAfterPaid = service.ordersAppender.counters.batches;

  // Claimed, then (a moment later, as a fast print would) printed: two changes inside one window.
  await store.claimOrder('o1', 'printer-1', Date.now(), 60_000);
  await publish('o1');
  await systemClock.sleep(BETWEEN_CHANGES_MS);
  for (let unit = 0; unit < order.unitCount; unit++)
    await store.confirmPrinted('o1', 'printer-1', unit, Date.now(), 60_000);
  await publish('o1');
  t.true(
    await waitFor(async () => (await feed.get('CODE1'))?.state === 'fulfilled', FLOW_TIMEOUT_MS, 50),
    'fulfilled on the feed',
  );
  t.is(service.ordersAppender.counters.batches, batchesAfterPaid + 1, 'one append for both changes');
  t.is(feed.length, lengthAfterPaid + 1, 'one entry written: the claimed state never went on the feed');
});
