import { join } from 'node:path';
import test from 'ava';
import type { ConflictRecord, OfflineRedemptionRecord } from '../coordinator/store/offline-records.ts';
import { loadOrCreateIdentity } from '../edge-node/identity.ts';
import { OFFLINE_CLAIM_HOLD_MS } from '../shared/policy/offline-claim-rule.ts';
import { api, printerApi } from '../tools/venue-kit/http.ts';
import { waitFor } from './fixtures/feed-fixtures.ts';
import {
  accountFor,
  buyOrders,
  printCounts,
  startOfflinePrinter,
  startOfflineVenue,
  status,
  venueReadyForOutage,
} from './fixtures/offline-venue.ts';

const READY_MS = 60_000;
const errorCode = (body: { error?: unknown }) => (body.error as { code?: string } | undefined)?.code;

test.serial(
  'cloud killed (SIGKILL): 3 printers keep redeeming from the orders feed, a restarted one finds its peers, a code raced at two printers prints once',
  async (t) => {
    t.timeout(120_000);
    const venue = await startOfflineVenue(t, { images: 2, imageSide: 400 });
    const orders = await buyOrders(venue, [2, 1, 1, 2, 1, 1, 1, 1]);
    const names = ['A', 'B', 'C'];
    const [a, b, c] = await Promise.all(names.map((n) => startOfflinePrinter(t, venue, n)));
    const printers = names.map((name, i) => ({ name, node: [a!, b!, c!][i]! }));
    t.true(await venueReadyForOutage(venue, printers, orders.length, READY_MS), 'photos, orders and peers everywhere');

    // Printed online before the outage: no printer may print it again without the cloud.
    const online = await a!.redeem(orders[7]!.token);
    t.is(online.status, 200, JSON.stringify(online.body));

    await venue.coordinator.crash();
    const started = Date.now();
    const redeemAll = async (node: typeof a, idx: number[]) => {
      const out = [];
      for (const i of idx) out.push(await node!.redeem(orders[i]!.token));
      return out;
    };
    const [atA, atB, atC] = await Promise.all([redeemAll(a, [0, 1]), redeemAll(b, [2, 3]), redeemAll(c, [4])]);
    for (const res of [...atA, ...atB, ...atC]) {
      t.is(res.status, 200, JSON.stringify(res.body));
      t.true(
        res.body.units?.every((u) => u.state === 'printed'),
        'every unit printed with no cloud',
      );
    }
    t.log(`5 offline redemptions at 3 printers in ${Date.now() - started} ms`);

    // The same code at two printers at the same moment.
    const race = await Promise.all([b!.redeem(orders[5]!.token), c!.redeem(orders[5]!.token)]);
    t.deepEqual(race.map((r) => r.status).sort(), [200, 409], JSON.stringify(race.map((r) => r.body)));
    t.is(errorCode(race.find((r) => r.status === 409)!.body), 'order_claimed_elsewhere');

    // Printed elsewhere (online before, offline now): refused with where.
    const again = await b!.redeem(orders[7]!.token);
    t.is(again.status, 409);
    t.is(errorCode(again.body), 'order_already_printed');
    const twice = await c!.redeem(orders[0]!.token);
    t.is(twice.status, 409);
    t.is(errorCode(twice.body), 'order_already_printed');

    // A printer restarted while the cloud is gone finds the others through their DHT nodes.
    await c!.stop();
    const c2 = await c!.restart();
    t.true(
      await waitFor(async () => (await status(c2)).lanPeers === 2, 45_000, 250),
      'C rejoined its peers with no cloud',
    );
    const afterRestart = await c2.redeem(orders[6]!.token);
    t.is(afterRestart.status, 200, JSON.stringify(afterRestart.body));

    const { counts } = await printCounts(
      venue,
      names,
      orders.map((o) => o.orderId),
    );
    const expected = [2, 1, 1, 2, 1, 1, 1, 1];
    for (const [i, o] of orders.entries()) {
      for (let unit = 0; unit < expected[i]!; unit++)
        t.is(counts.get(`${o.orderId}/${unit}`), 1, `order ${i} unit ${unit} once`);
    }
    t.is(
      [...counts.values()].reduce((n, x) => n + x, 0),
      10,
      'ten photos in all, no double print',
    );
    const window = Math.max(
      ...(await Promise.all([a!, b!, c2].map(async (p) => (await status(p)).offline?.maxClaimPropagationMs ?? 0))),
    );
    t.log(`measured claim propagation (double-redeem window) ${window} ms; hold ${OFFLINE_CLAIM_HOLD_MS} ms`);
    t.true(window < OFFLINE_CLAIM_HOLD_MS, 'claims cross the LAN within the hold');
  },
);

test.serial(
  'an isolated printer (no cloud, no LAN peer) follows the operator policy: refuse, or allow up to its limit',
  async (t) => {
    t.timeout(120_000);
    const venue = await startOfflineVenue(t, { images: 1, imageSide: 300 });
    const orders = await buyOrders(venue, [1, 1, 1]);
    const [p, q] = await Promise.all([
      startOfflinePrinter(t, venue, 'P', { isolated: 'refuse' }),
      startOfflinePrinter(t, venue, 'Q', { isolated: 'allow', isolatedLimit: 1 }),
    ]);
    const printers = [
      { name: 'P', node: p },
      { name: 'Q', node: q },
    ];
    t.true(await venueReadyForOutage(venue, printers, orders.length, READY_MS), 'photos, orders and peers everywhere');
    await venue.coordinator.crash();

    await q.stop();
    t.true(await waitFor(async () => (await status(p)).lanPeers === 0, 20_000, 100), 'P is alone');
    const refused = await p.redeem(orders[0]!.token);
    t.is(refused.status, 503);
    t.is(errorCode(refused.body), 'offline_isolated', 'refuse: nothing printed when no peer can be asked');

    await p.stop();
    const q2 = await q.restart();
    t.is((await status(q2)).lanPeers, 0, 'Q is alone');
    const allowed = await q2.redeem(orders[0]!.token);
    t.is(allowed.status, 200, JSON.stringify(allowed.body));
    const overLimit = await q2.redeem(orders[1]!.token);
    t.is(overLimit.status, 503);
    t.is(errorCode(overLimit.body), 'offline_isolated_limit', 'allow: at most the limit per outage');
    const { counts } = await printCounts(
      venue,
      ['P', 'Q'],
      orders.map((o) => o.orderId),
    );
    t.deepEqual([...counts.entries()], [[`${orders[0]!.orderId}/0`, 1]], 'one photo in all');
  },
);

test.serial(
  'uplink returns: every offline redemption and print reaches the coordinator exactly once, the double print is listed',
  async (t) => {
    t.timeout(150_000);
    const venue = await startOfflineVenue(t, { images: 2, imageSide: 300 });
    const copies = [2, 1, 1, 2];
    const orders = await buyOrders(venue, copies);
    const allow = { isolated: 'allow', isolatedLimit: 5 } as const;
    const [a, b] = await Promise.all([
      startOfflinePrinter(t, venue, 'A', allow),
      startOfflinePrinter(t, venue, 'B', allow),
    ]);
    const printers = [
      { name: 'A', node: a },
      { name: 'B', node: b },
    ];
    t.true(await venueReadyForOutage(venue, printers, orders.length, READY_MS), 'photos, orders and peers everywhere');
    await venue.coordinator.crash();

    for (const [node, i] of [
      [a, 0],
      [a, 1],
      [b, 2],
    ] as const) {
      const res = await node.redeem(orders[i]!.token);
      t.is(res.status, 200, JSON.stringify(res.body));
    }
    // A partition the rule cannot see through: A alone prints order 3, then B alone prints it too.
    await b.stop();
    t.true(await waitFor(async () => (await status(a)).lanPeers === 0, 20_000, 100));
    t.is((await a.redeem(orders[3]!.token)).status, 200);
    await a.stop();
    const b2 = await b.restart();
    t.is((await b2.redeem(orders[3]!.token)).status, 200, 'the double print happens: B never saw A’s claim');
    const a2 = await a.restart();
    t.true(await waitFor(async () => (await status(a2)).lanPeers === 1, 45_000, 250), 'A and B meet again');

    const restartedAt = Date.now();
    const cloud = await venue.coordinator.restart();
    const asOperator = { token: venue.operator };
    const reported = async () =>
      (
        await api<{ offlineRedemptions: OfflineRedemptionRecord[] }>(
          cloud.url,
          'GET',
          '/api/offline-redemptions',
          asOperator,
        )
      ).body.offlineRedemptions ?? [];
    const orderOf = async (id: string) =>
      (
        await api<{ order: { state: string; printedCount: number; unitCount: number } }>(
          cloud.url,
          'GET',
          `/api/orders/${id}`,
        )
      ).body.order;
    const settled = await waitFor(
      async () => {
        const [mine, left] = await Promise.all([reported(), Promise.all([a2, b2].map(status))]);
        return mine.length === 5 && left.every((s) => s.offline?.unreconciled === 0);
      },
      60_000,
      250,
    );
    t.true(settled, 'every offline redemption reported and acknowledged');
    t.log(`reconciled in ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the coordinator restarted`);

    for (const [i, o] of orders.entries()) {
      const order = await orderOf(o.orderId);
      t.like(order, { state: 'fulfilled', printedCount: copies[i], unitCount: copies[i] }, `order ${i} counted once`);
    }
    const conflicts = (await api<{ conflicts: ConflictRecord[] }>(cloud.url, 'GET', '/api/conflicts', asOperator)).body
      .conflicts;
    t.is(conflicts.length, 1, JSON.stringify(conflicts));
    t.like(conflicts[0], { kind: 'double_print', orderId: orders[3]!.orderId, units: [0, 1] });
    t.is(conflicts[0]!.otherPrinterIds.length, 1, 'it names the printer whose prints were counted');

    const books = await accountFor(
      venue,
      cloud.url,
      ['A', 'B'],
      orders.map((o) => o.orderId),
    );
    t.is(books.photos.length, 8, 'six photos ordered, plus the two printed twice');
    t.is(books.doublePrints, 2, 'the two units of order 3, and no other');
    t.is(books.lostConfirmations, 0, 'every printed photo reached the coordinator and is counted or listed');

    // The same report again (a retry after a lost answer) counts nothing twice.
    const identityA = await loadOrCreateIdentity(join(venue.dir, 'A', 'identity.json'));
    const replay = await printerApi<{ results: Array<{ repeated: boolean; counted: number[] }> }>(
      cloud.url,
      identityA,
      'POST',
      '/api/printer/offline-redemptions',
      { orders: [{ orderId: orders[0]!.orderId, claimedAt: Date.now(), mode: 'offline', units: [0, 1] }] },
    );
    t.is(replay.status, 200, JSON.stringify(replay.body));
    t.like(replay.body.results[0], { repeated: true, counted: [0, 1] });
    t.like(await orderOf(orders[0]!.orderId), { printedCount: 2 });
    t.is((await reported()).length, 5);
  },
);
