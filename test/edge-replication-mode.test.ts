import { join } from 'node:path';
import test from 'ava';
import pino from 'pino';
import { edgeConfigSchema, type ReplicationMode } from '../edge-node/config.ts';
import { EdgeNode } from '../edge-node/edge-node.ts';
import { nextStarPullAt } from '../shared/policy/schedule.ts';
import { buyAndPay } from '../tools/venue-kit/http.ts';
import { waitFor } from './fixtures/feed-fixtures.ts';
import { pairPrinter, startVenue, type Venue } from './fixtures/venue-harness.ts';

/**
 * The edge node's `replication` switch: `mesh` (default), and the simulator's baselines on the
 * real system, `star-periodic` (everything from the cloud on a timer, no LAN peers) and `on-demand`
 * (no background sync, no LAN peers, the cloud at redemption).
 */

async function startNodes(t: Parameters<typeof startVenue>[0], venue: Venue, mode: ReplicationMode, count: number) {
  const nodes: EdgeNode[] = [];
  for (let i = 0; i < count; i++) {
    const dataDir = join(venue.dir, `${mode}-${i}`);
    await pairPrinter(venue.base, venue.operator, venue.venue.id, dataDir, `${mode} ${i}`);
    const config = edgeConfigSchema.parse({
      coordinatorUrl: venue.base,
      name: `${mode} ${i}`,
      dataDir,
      dhtBootstrap: venue.bootstrap,
      printer: { kind: 'file', dir: join(dataDir, 'prints') },
      replication: mode,
      schedule: { intervalMs: 2000 },
      statusPort: 0,
      reportIntervalMs: 1000,
      logLevel: 'silent',
    });
    nodes.push(new EdgeNode(config, pino({ level: 'silent' })));
  }
  t.teardown(() => Promise.all(nodes.map((n) => n.close())));
  await Promise.all(nodes.map((n) => n.ready()));
  return nodes;
}

async function imagesHeld(node: EdgeNode): Promise<number> {
  const report = await node.statusReport();
  return (report.events as Array<{ imagesHeld: number }>)[0]?.imagesHeld ?? 0;
}

test('replication defaults to mesh and accepts only the three modes', (t) => {
  const base = { coordinatorUrl: 'http://127.0.0.1:8080', dhtBootstrap: '127.0.0.1:49737' };
  t.is(edgeConfigSchema.parse(base).replication, 'mesh');
  t.is(edgeConfigSchema.parse({ ...base, replication: 'star-periodic' }).replication, 'star-periodic');
  t.false(edgeConfigSchema.safeParse({ ...base, replication: 'star' }).success);
});

test('star-periodic pulls happen on the interval’s multiples of the wall clock, after the last run', (t) => {
  t.is(nextStarPullAt(60_000, null, 125_000), 180_000);
  t.is(nextStarPullAt(60_000, null, 180_000), 180_000, 'on a boundary: now');
  t.is(nextStarPullAt(60_000, 180_000, 180_000), 240_000, 'never twice on one boundary');
  t.is(nextStarPullAt(60_000, 180_000, 250_000), 300_000);
  t.is(nextStarPullAt(60_000, 100_000, 130_000), 180_000, 'a run that overran is followed at the next boundary');
});

test('star-periodic: every printer pulls every photo from the cloud on its timer and never from a LAN peer', async (t) => {
  t.timeout(120_000);
  const venue = await startVenue(t, { images: 3, imageSide: 700 });
  const unique = venue.images.reduce((n, i) => n + i.bytes, 0);
  const nodes = await startNodes(t, venue, 'star-periodic', 2);
  t.true(
    await waitFor(async () => (await Promise.all(nodes.map(imagesHeld))).every((h) => h === 3), 60_000, 250),
    'both printers hold all photos',
  );
  for (const node of nodes) {
    const report = await node.statusReport();
    t.is(report.lanPeers, 0, 'no LAN peer');
    t.is(node.metrics.bytesFromLan, 0);
    t.true(node.metrics.bytesFromCloud >= unique, `${node.metrics.bytesFromCloud} B from the cloud < ${unique}`);
  }
});

test('on-demand: nothing is prefetched; a redemption fetches its photo from the cloud, also when a neighbour holds it', async (t) => {
  t.timeout(120_000);
  const venue = await startVenue(t, { images: 2, imageSide: 700 });
  // A star-periodic printer started alongside is the yardstick (it pulls from the cloud on the same
  // schedule, and unlike a mesh printer does not wait for its neighbours' share): by the time it
  // holds both photos, the on-demand printers have had the same refreshes and sync intervals.
  const [[a, b], [yardstick]] = await Promise.all([
    startNodes(t, venue, 'on-demand', 2),
    startNodes(t, venue, 'star-periodic', 1),
  ]);
  t.true(
    await waitFor(async () => (await imagesHeld(yardstick!)) === 2, 60_000, 250),
    'the star-periodic printer got both',
  );
  await Promise.all([a!.refresh(), b!.refresh()]);
  t.deepEqual(await Promise.all([imagesHeld(a!), imagesHeld(b!)]), [0, 0], 'the on-demand printers prefetched none');
  t.is(a!.replicator.cycles + b!.replicator.cycles, 0, 'no background sync cycle ran');
  t.true(a!.metrics.bytesFromCloud + b!.metrics.bytesFromCloud < venue.images[0]!.bytes);

  const first = await buyAndPay(venue.base, venue.event.id, [{ imageId: venue.images[0]!.id, copies: 1 }]);
  const atA = await a!.redeem(first.token);
  t.deepEqual(
    atA.units.map((u) => [u.state, u.source]),
    [['printed', 'cloud']],
  );
  t.is(await imagesHeld(a!), 1, 'the printer keeps what it printed');

  const second = await buyAndPay(venue.base, venue.event.id, [{ imageId: venue.images[0]!.id, copies: 1 }]);
  const atB = await b!.redeem(second.token);
  t.deepEqual(
    atB.units.map((u) => [u.state, u.source]),
    [['printed', 'cloud']],
  );
  t.is(b!.metrics.bytesFromLan, 0);
  t.is(await imagesHeld(b!), 1);
});
