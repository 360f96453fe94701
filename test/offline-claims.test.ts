import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import Corestore from 'corestore';
import crypto from 'hypercore-crypto';
import HyperDHT from 'hyperdht';
import Hyperswarm from 'hyperswarm';
import { OrdersFeed, ordersFeedEntry } from '../coordinator/feed/orders-feed.ts';
import type { PrinterProfile } from '../edge-node/coordinator-client.ts';
import { JobLog } from '../edge-node/jobs/job-log.ts';
import type { CloudSessions } from '../edge-node/mesh/traffic.ts';
import { OfflineRedemption } from '../edge-node/offline/offline-redemption.ts';
import { deriveOrdersFeedDescriptor } from '../shared/feed/orders-feed-layout.ts';
import { CLAIM_CLOCK_SKEW_MS } from '../shared/policy/offline-claim-rule.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { LOOPBACK, recordingLogger, startBootstrap, tempDir, waitFor } from './fixtures/feed-fixtures.ts';
import { orderRecord, venueRecord } from './fixtures/store-records.ts';

/** Claim hold for these tests: well above loopback propagation (milliseconds), short to keep tests quick. */
const HOLD_MS = 400;
const SETTLE_MS = 20_000;

interface Node {
  key: string;
  keyPair: { publicKey: Buffer; secretKey: Buffer };
  corestore: Corestore;
  swarm: Hyperswarm;
  connected: Set<string>;
}

/** A peer on the venue topic with its own corestore; no firewall, so only the data checks stand in the way. */
async function node(t: ExecutionContext, dir: string, bootstrap: Array<{ host: string; port: number }>, topic: Buffer) {
  const keyPair = crypto.keyPair();
  const corestore = new Corestore(dir);
  const swarm = new Hyperswarm({ dht: new HyperDHT({ host: LOOPBACK, bootstrap }), keyPair });
  const connected = new Set<string>();
  swarm.on('connection', (conn) => {
    const key = conn.remotePublicKey.toString('hex');
    conn.on('error', () => {});
    connected.add(key);
    conn.once('close', () => connected.delete(key));
    corestore.replicate(conn);
  });
  const discovery = swarm.join(topic, { server: true, client: true });
  t.teardown(async () => {
    await swarm.destroy();
    await corestore.close();
  });
  return { key: keyPair.publicKey.toString('hex'), keyPair, corestore, swarm, connected, discovery } as Node & {
    discovery: ReturnType<Hyperswarm['join']>;
  };
}

const noCloud = { acquire: async () => ({ connected: false, release: () => {} }) } as unknown as CloudSessions;

test('offline claims over a real mesh: forged, unpaired, backdated and garbage records are ignored; a race has one winner', async (t) => {
  t.timeout(90_000);
  const dir = await tempDir(t, 'vpm-offline-claims-');
  const bootstrap = await startBootstrap(t);
  const topic = randomBytes(32);
  const venue = venueRecord('v1', { topicSecret: randomBytes(32).toString('hex') });
  const descriptor = deriveOrdersFeedDescriptor(venue.id, Buffer.from(venue.topicSecret, 'hex'));
  const paidAt = Date.now() - 60_000;
  const orders = ['X', 'Y', 'Z'].map((n) =>
    orderRecord(`order-${n}`, {
      code: `CODE${n}`,
      eventId: 'e1',
      venueId: 'v1',
      state: 'paid',
      paidAt,
      items: [{ imageId: `img-${n}`, copies: 2 }],
      unitCount: 2,
    }),
  );

  // The cloud: the venue's orders feed, written as the coordinator writes it.
  const cloud = await node(t, join(dir, 'cloud'), bootstrap, topic);
  const feed = await OrdersFeed.open(cloud.corestore, venue);
  t.teardown(() => feed.close());
  await feed.write(orders.map(ordersFeedEntry));

  const a = await node(t, join(dir, 'a'), bootstrap, topic);
  const b = await node(t, join(dir, 'b'), bootstrap, topic);
  const h = await node(t, join(dir, 'h'), bootstrap, topic);
  const profileOf = (self: Node, peer: Node): PrinterProfile => ({
    printer: { id: self.key, venueId: 'v1', name: `printer ${self.key.slice(0, 4)}` },
    venue: { id: 'v1', name: 'Arena', topic: topic.toString('hex') },
    tokenKeys: [],
    feeds: [
      {
        eventId: 'e1',
        blobsKey: '00'.repeat(32),
        catalogKey: '11'.repeat(32),
        encryptionKey: '22'.repeat(32),
        name: 'Final',
        startsAt: 0,
        endsAt: 0,
        head: { blobsLength: 0, catalogLength: 0 },
      },
    ],
    peers: {
      printers: [{ id: peer.key, name: `printer ${peer.key.slice(0, 4)}`, lastSeenAt: null }],
      coordinators: [],
    },
    ordersFeed: { ...descriptor, length: feed.length },
  });
  const offlineAt = async (self: Node, peer: Node) => {
    const log = new JobLog(join(dir, `${self.key}.log`));
    await log.ready();
    t.teardown(() => log.close());
    const profile = profileOf(self, peer);
    const offline = new OfflineRedemption({
      corestore: self.corestore,
      identity: self.keyPair,
      config: { isolated: 'refuse', isolatedLimit: 0, holdMs: HOLD_MS },
      profile: () => profile,
      lanPeers: () => [...self.connected].filter((k) => k === peer.key),
      cloud: noCloud,
      log,
      isPrinting: () => false,
      clock: systemClock,
      logger: recordingLogger(),
    });
    await offline.open(profile);
    t.teardown(() => offline.close());
    return offline;
  };
  const [atA, atB] = [await offlineAt(a, b), await offlineAt(b, a)];

  // The hostile peer (never paired) and a paired printer gone bad write claims that would win.
  const encryption = { key: Buffer.from(descriptor.claimsEncryptionKey, 'hex') };
  const hostileLog = h.corestore.get({ keyPair: h.keyPair, encryption });
  await hostileLog.append(
    Buffer.from(
      JSON.stringify({ t: 'claim', orderId: 'order-X', hlc: { wall: paidAt, count: 0 }, mode: 'online', units: 3 }),
    ),
  );
  const rawB = b.corestore.get({ keyPair: b.keyPair, encryption });
  await rawB.ready();
  const backdated = {
    t: 'claim',
    orderId: 'order-X',
    hlc: { wall: paidAt - CLAIM_CLOCK_SKEW_MS - 1, count: 0 },
    mode: 'offline',
    units: 3,
  };
  await rawB.append([
    Buffer.from('not a claim'),
    Buffer.from(JSON.stringify(backdated)),
    Buffer.from(JSON.stringify({ ...backdated, mode: 'online', extra: 'field' })),
    // The same stale claim again: a replay changes nothing.
    Buffer.from(JSON.stringify(backdated)),
  ]);
  // As if the hostile key had been paired once: A follows its log, so its records really reach A.
  await atA.claims!.setPeers([h.key]);
  const refreshUntilConnected = () =>
    waitFor(
      async () => {
        if (a.connected.has(b.key) && a.connected.has(h.key) && a.connected.has(cloud.key)) return true;
        await Promise.all([a, b, h].map((n) => n.discovery.refresh().catch(() => {})));
        return false;
      },
      SETTLE_MS,
      300,
    );
  t.true(await refreshUntilConnected(), 'the four peers meet on the topic');
  t.true(
    await waitFor(() => atA.claims!.recordsFor('order-X').length >= 3, SETTLE_MS, 50),
    'the hostile and backdated claims reached printer A',
  );
  t.true(await waitFor(async () => (await atA.status()).ordersKnown === 3, SETTLE_MS, 50), 'A knows the paid orders');
  t.true(await waitFor(async () => (await atB.status()).ordersKnown === 3, SETTLE_MS, 50), 'B knows the paid orders');
  /** Photos A would render ahead: paid orders no printer claimed offline (forged claims do not count). */
  const awaitedAtA = async () => {
    const paid = await atA.awaitingPrint();
    return ['X', 'Y', 'Z'].filter((n) => paid?.paidAt(`img-${n}`) !== undefined);
  };
  t.deepEqual(await awaitedAtA(), ['X', 'Y', 'Z']);

  const x = await atA.claimOffline('CODEX');
  t.is(x.job.order.id, 'order-X', 'A prints X: no forged, unpaired, backdated or replayed claim counted');
  t.is(x.job.units.length, orders[0]!.unitCount);
  t.is(x.offline?.mode, 'offline');

  // The same code at both printers at once: one prints, the other is told where.
  const race = await Promise.allSettled([atA.claimOffline('CODEY'), atB.claimOffline('CODEY')]);
  const won = race.filter((r) => r.status === 'fulfilled');
  const lost = race.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  t.is(won.length, 1, 'exactly one printer prints Y');
  t.is(lost.length, 1);
  t.is((lost[0]!.reason as { code?: string }).code, 'order_claimed_elsewhere');
  const stats = atA.claims!.stats();
  t.log(`claim propagation A<-B: max ${stats.maxPropagationMs} ms over ${stats.propagationSamples} records`);
  t.true((stats.maxPropagationMs ?? 0) < HOLD_MS, 'claims crossed the LAN within the hold');
  t.deepEqual(await awaitedAtA(), ['Z'], 'X and Y are claimed offline: the feed still says paid, A renders neither');

  // Z was printed at B while offline: A refuses it, and B's 'done' keeps refusing it after a replayed claim.
  let claimsHeard = 0;
  const stopHearing = atA.onOfflineClaim(() => claimsHeard++);
  await atB.claimOffline('CODEZ');
  await atB.finished('order-Z');
  t.true(await waitFor(() => atA.claims!.recordsFor('order-Z').length >= 2, SETTLE_MS, 25));
  t.true(await waitFor(() => claimsHeard > 0, SETTLE_MS, 25), "B's offline claim was announced to A's pre-renderer");
  stopHearing();
  t.is(claimsHeard, 1, "once: its 'done' is not a claim");
  t.deepEqual(await awaitedAtA(), [], 'Z was printed at B while offline');
  const refused = await t.throwsAsync(atA.claimOffline('CODEZ'));
  t.is((refused as { code?: string }).code, 'order_already_printed');
  await rawB.append(
    Buffer.from(
      JSON.stringify({
        t: 'claim',
        orderId: 'order-Z',
        hlc: { wall: Date.now(), count: 9 },
        mode: 'offline',
        units: 1,
      }),
    ),
  );
  const again = await t.throwsAsync(atA.claimOffline('CODEZ'));
  t.is((again as { code?: string }).code, 'order_already_printed');
  const unknown = await t.throwsAsync(atA.claimOffline('CODEQ'));
  t.is((unknown as { code?: string }).code, 'order_not_known_offline');
});
