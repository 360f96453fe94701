/**
 * Which stations render a paid order ahead (issue #16: every printer rendered every paid photo):
 * a few per order, the same answer at every station, and the edge node's list of photos awaiting
 * print holds only its own orders.
 */
import { randomBytes } from 'node:crypto';
import test from 'ava';
import Corestore from 'corestore';
import crypto from 'hypercore-crypto';
import { OrdersFeed, ordersFeedEntry } from '../coordinator/feed/orders-feed.ts';
import type { PrinterProfile } from '../edge-node/coordinator-client.ts';
import { JobLog } from '../edge-node/jobs/job-log.ts';
import type { CloudSessions } from '../edge-node/mesh/traffic.ts';
import { OfflineRedemption } from '../edge-node/offline/offline-redemption.ts';
import { AppError } from '../shared/errors.ts';
import { deriveOrdersFeedDescriptor } from '../shared/feed/orders-feed-layout.ts';
import { PRERENDER_STATIONS_PER_ORDER, PreRenderAssignment } from '../shared/policy/prerender-stations.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { recordingLogger, tempDir } from './fixtures/feed-fixtures.ts';
import { orderRecord, venueRecord } from './fixtures/store-records.ts';

const K = PRERENDER_STATIONS_PER_ORDER;
const stationIds = (n: number) => Array.from({ length: n }, (_, i) => `station-${i}`);
const orderIds = (n: number) => Array.from({ length: n }, (_, i) => `order-${i}`);

/** How many stations render each order, every station deciding for itself (as the edge nodes do). */
function renderersPerOrder(stations: string[], orders: string[]): number[] {
  const view = new PreRenderAssignment(stations);
  return orders.map((o) => stations.filter((s) => view.rendersAt(o, s)).length);
}

test(`a venue of ${K} stations or fewer renders every order at every station`, (t) => {
  const stations = stationIds(K);
  t.true(renderersPerOrder(stations, orderIds(50)).every((n) => n === K));
  t.true(new PreRenderAssignment(['alone']).rendersAt('order-1', 'alone'));
  t.true(
    new PreRenderAssignment(stationIds(100)).rendersAt('order-1', 'not-paired-yet'),
    'a stranger to the view renders all',
  );
});

test(`a stadium of 500 stations renders each order at exactly ${K}, spread evenly, whatever the list's order`, (t) => {
  const stations = stationIds(500);
  const orders = orderIds(1_000);
  t.true(renderersPerOrder(stations, orders).every((n) => n === K));
  // The whole venue's answer (the order page's) names the same stations each decides for itself.
  const venue = new PreRenderAssignment(stations);
  for (const o of orders.slice(0, 50)) {
    t.deepEqual([...venue.renderersOf(o)].sort(), stations.filter((s) => venue.rendersAt(o, s)).sort());
  }
  // Each station's share: K/N of the orders (32 of 1,000), within binomial noise.
  const loads = stations.map((s) => orders.filter((o) => venue.rendersAt(o, s)).length);
  const mean = (orders.length * K) / stations.length;
  t.is(
    loads.reduce((x, y) => x + y, 0),
    orders.length * K,
  );
  // Spread like independent draws (binomial), not clumped: a poorly mixed hash would widen it.
  const sd = Math.sqrt(loads.reduce((x, y) => x + (y - mean) ** 2, 0) / loads.length);
  const binomialSd = Math.sqrt(mean * (1 - K / stations.length));
  t.true(sd < 1.2 * binomialSd, `sd ${sd.toFixed(2)} against ${binomialSd.toFixed(2)}`);
  t.true(Math.min(...loads) > 0, 'every station renders some');
  // The list's order and duplicates in it change nothing.
  const shuffled = new PreRenderAssignment([...stations].reverse().concat(stations.slice(0, 10)));
  t.is(shuffled.stations, 500);
  t.true(orders.every((o) => venue.rendersAt(o, 'station-7') === shuffled.rendersAt(o, 'station-7')));
});

test('a station that leaves moves only its own orders, each to one other station', (t) => {
  const stations = stationIds(100);
  const gone = 'station-42';
  const after = stations.filter((s) => s !== gone);
  const renderers = (members: string[], o: string) => [...new PreRenderAssignment(members).renderersOf(o)].sort();
  let moved = 0;
  for (const o of orderIds(200)) {
    const before = renderers(stations, o);
    const now = renderers(after, o);
    const kept = before.filter((s) => s !== gone);
    t.deepEqual(
      now.filter((s) => kept.includes(s)),
      kept,
      'every other renderer keeps the order',
    );
    t.is(now.length, K);
    if (before.includes(gone)) moved++;
  }
  t.true(moved > 0, 'the station that left had orders to hand on');
});

test('stations per order must be a whole number ≥ 1', (t) => {
  for (const bad of [0, 1.5, Number.NaN]) {
    const e = t.throws(() => new PreRenderAssignment(['a', 'b'], bad), { instanceOf: AppError });
    t.is(e?.code, 'invalid_prerender_assignment');
  }
});

const noCloud = { acquire: async () => ({ connected: false, release: () => {} }) } as unknown as CloudSessions;

test("the edge node's photos awaiting print hold only the orders it renders ahead, at a venue of many stations", async (t) => {
  const dir = await tempDir(t, 'vpm-prerender-stations-');
  const store = new Corestore(dir);
  t.teardown(() => store.close());
  const venue = venueRecord('v1', { topicSecret: randomBytes(32).toString('hex') });
  const descriptor = deriveOrdersFeedDescriptor(venue.id, Buffer.from(venue.topicSecret, 'hex'));
  const orders = orderIds(60).map((id, i) =>
    orderRecord(id, {
      code: `CODE${i}`,
      venueId: 'v1',
      state: 'paid',
      paidAt: Date.now() - 1_000,
      items: [{ imageId: `img-${i}`, copies: 1 }],
      unitCount: 1,
    }),
  );
  // The coordinator's orders feed, in the same store the printer reads it from.
  const feed = await OrdersFeed.open(store, venue);
  t.teardown(() => feed.close());
  await feed.write(orders.map(ordersFeedEntry));

  // A fixed key: which orders are its own is then the same every run.
  const identity = crypto.keyPair(Buffer.alloc(32, 7));
  const self = identity.publicKey.toString('hex');
  let peers = stationIds(3);
  const profile = (): PrinterProfile => ({
    printer: { id: self, venueId: 'v1', name: 'Gate 4' },
    venue: { id: 'v1', name: 'Arena', topic: randomBytes(32).toString('hex') },
    tokenKeys: [],
    feeds: [],
    peers: { printers: peers.map((id) => ({ id, name: id, lastSeenAt: null })), coordinators: [] },
    ordersFeed: { ...descriptor, length: feed.length },
  });
  const log = new JobLog(`${dir}/jobs.log`);
  await log.ready();
  t.teardown(() => log.close());
  const offline = new OfflineRedemption({
    corestore: store,
    identity,
    config: { isolated: 'refuse', isolatedLimit: 0, holdMs: 400 },
    profile,
    lanPeers: () => [],
    cloud: noCloud,
    log,
    isPrinting: () => false,
    clock: systemClock,
    logger: recordingLogger(),
  });
  await offline.open(profile());
  t.teardown(() => offline.close());

  const awaited = async () => {
    const paid = await offline.awaitingPrint();
    return orders.map((_, i) => `img-${i}`).filter((id) => paid?.paidAt(id) !== undefined);
  };
  t.is((await awaited()).length, 60, 'four stations: every paid photo is rendered here');

  // The venue grows to 200 stations: this one renders its own orders only.
  peers = stationIds(199);
  const view = new PreRenderAssignment([self, ...peers]);
  const expected = orders.filter((o) => view.rendersAt(o.id, self)).map((o) => `img-${o.id.slice('order-'.length)}`);
  const now = await awaited();
  t.true(expected.length > 0);
  t.deepEqual(now, expected);
  t.true(now.length < 60 / 3, `${now.length} of 60 (about ${K}/200 of them)`);
});
