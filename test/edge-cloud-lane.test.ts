/**
 * Issue #16 item 1: the cloud lane. The cloud seeder replicates with a second corestore that fetches
 * only what the node asks of the cloud; the main store takes those blocks from it in-process while
 * it takes everything else from LAN peers at the same time. So the cloud share and the LAN share
 * move together and the WAN still carries each block once.
 */
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import Corestore from 'corestore';
import { EventFeeds } from '../coordinator/feed/event-feeds.ts';
import { BackgroundReplicator, LAN_BATCH_STALL_MS } from '../edge-node/mesh/background-replicator.ts';
import { CloudLane } from '../edge-node/mesh/cloud-lane.ts';
import { EventReplica } from '../edge-node/mesh/event-replica.ts';
import { LANE_HANDOFF_MS } from '../edge-node/mesh/lane-share.ts';
import type { SyncReplica } from '../edge-node/mesh/sync-replica.ts';
import { FEED_BLOCK_BYTES } from '../shared/feed/feed-layout.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import {
  feedEventRecord,
  feedImage as image,
  pipeStores,
  runBlocks,
  tempDir,
  waitFor,
} from './fixtures/feed-fixtures.ts';
import { unconstrainedReplicatorParts } from './fixtures/replicator-fixtures.ts';

async function store(t: ExecutionContext, dir: string): Promise<Corestore> {
  const s = new Corestore(dir);
  await s.ready();
  t.teardown(() => s.close());
  return s;
}

test('through the cloud lane the WAN carries only the blocks asked of the cloud, while the LAN delivers the rest at the same time', async (t) => {
  const dir = await tempDir(t, 'vpm-cloud-lane-');
  const feeds = new EventFeeds({ storageDir: join(dir, 'cloud') });
  await feeds.ready();
  t.teardown(() => feeds.close());
  const feed = await feeds.openEvent(feedEventRecord('ev-lane', 'v1'));
  // Four images of 5 blocks each: the node's own share is the first two, a LAN peer holds the others.
  await feed.appendBatch([0, 1, 2, 3].map((i) => image(`img-${i}`, 5 * FEED_BLOCK_BYTES, i + 1)));
  const descriptor = feed.descriptor();
  const length = feed.head().blobsLength;
  const own = Array.from({ length: 10 }, (_, i) => i);
  const others = Array.from({ length: length - 10 }, (_, i) => 10 + i);

  // The LAN peer got the others' share earlier (from the cloud), then the cloud went away from it.
  const peer = await store(t, join(dir, 'peer'));
  const peerCore = peer.get({ key: Buffer.from(descriptor.blobsKey, 'hex') });
  await peerCore.ready();
  const cutPeer = pipeStores(t, peer, feeds.corestore);
  await peerCore.download({ blocks: others }).done();
  cutPeer();

  const main = await store(t, join(dir, 'main'));
  const lane = new CloudLane(main, new Corestore(join(dir, 'lane')));
  await lane.ready();
  t.teardown(() => lane.close());
  const bytes = { cloud: 0, lan: 0, served: 0 };
  const replica = new EventReplica(main, descriptor, {
    onBytes: (source, n) => {
      bytes[source] += n;
    },
    isCloud: () => false,
    lane,
  });
  await replica.ready();
  t.teardown(() => replica.close());
  // The seeder counts what it sends over the WAN.
  const seederCore = feeds.corestore.get({ key: Buffer.from(descriptor.blobsKey, 'hex') });
  await seederCore.ready();
  t.teardown(() => seederCore.close());
  let wanBlocks = 0;
  seederCore.on('upload', () => {
    wanBlocks++;
  });
  pipeStores(t, lane.store, feeds.corestore);
  pipeStores(t, main, peer);
  await waitFor(() => replica.blobsCore.length === length, 10_000);

  // The node wants everything; it asks the cloud for its own share only.
  const all = replica.blobsCore.download({ start: 0, end: length });
  const fromCloud = replica.fetchFromCloud({ start: own[0]!, end: own.at(-1)! + 1 });
  await fromCloud.done();
  await all.done();
  t.is(wanBlocks, own.length, 'the WAN carried the own share and nothing else');
  t.true(await replica.blobsCore.has(0, length), 'the node holds the whole feed');
  t.is(bytes.lan, others.length * FEED_BLOCK_BYTES, "the others' share came from the LAN peer");
  t.true(
    bytes.cloud >= own.length * FEED_BLOCK_BYTES && bytes.cloud < (own.length + 1) * FEED_BLOCK_BYTES,
    JSON.stringify(bytes),
  );
  t.is(bytes.served, 0, 'the main store handing blocks to its own lane is not LAN service');
  const mainPeers = replica.mainCorePeers();
  t.is(mainPeers.filter((p) => p.isCloudLane).length, 1, JSON.stringify(mainPeers));
  t.true(
    mainPeers.some((p) => !p.isCloudLane),
    'the LAN peer is listed too, not as the lane',
  );
  const img = (await replica.entries()).find((e) => e.imageId === 'img-0')!;
  t.truthy(await replica.readLocal(img), 'a photo from the cloud reads back whole and decrypted');
  const [first, second] = await Promise.all([replica.readLocal(img), replica.readLocal(img)]);
  t.is(first, second, 'two reads of one photo at once share one read');

  await replica.releaseCloudCopies(own);
  const laneCore = lane.store.get({ key: Buffer.from(descriptor.blobsKey, 'hex') });
  await laneCore.ready();
  t.teardown(() => laneCore.close());
  for (const b of own) t.false(await laneCore.has(b), `the lane forgot block ${b} once the node held it`);
});

/** A replicator for one fake replica of `blobsLength` blocks, with one LAN peer online ("peer-a"). */
function onePeerReplicator(
  replica: SyncReplica,
  blobsLength: number,
  clock: ManualClock,
  onHangUp: () => void = () => {},
  warnings: string[] = [],
): BackgroundReplicator {
  return new BackgroundReplicator({
    mesh: { settle: async () => {}, lanPeers: () => ['peer-a'] },
    cloud: { acquire: async () => ({ connected: true, release: () => {} }), hangUpIfIdle: onHangUp },
    ...unconstrainedReplicatorParts(clock, 'lane', 30_000),
    replicas: () => [replica],
    profile: () => ({
      feeds: [{ eventId: 'e', head: { blobsLength, catalogLength: 1 } }],
      peers: { printers: [{ id: 'peer-a', lastSeenAt: null }] },
    }),
    selfKey: 'self',
    logger: { info: () => {}, warn: (_obj: object, msg?: string) => void warnings.push(msg ?? ''), error: () => {} },
  });
}

/** A replica with a cloud lane whose cloud and LAN downloads the test resolves by hand. */
function laneReplica(calls: string[]) {
  let finish = () => {};
  const cloudDone = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const replica: SyncReplica = {
    eventId: 'e',
    descriptor: { blobsKey: 'blobs-key', catalogKey: 'catalog-key' },
    blobsCore: {
      length: 20,
      has: async () => false,
      download: (range) => {
        calls.push(`main ${runBlocks(range).join(',')}`);
        return { done: () => cloudDone, destroy: () => {} };
      },
    },
    catalog: { core: { contiguousLength: 1 } },
    have: { holders: () => 0 },
    updateCatalog: async () => {},
    entries: async () => [
      { seq: 0, blob: { blockOffset: 0, blockLength: 10 } },
      { seq: 1, blob: { blockOffset: 10, blockLength: 10 } },
    ],
    holds: async () => false,
    announceHoldings: async () => {},
    hasCloudLane: true,
    fetchFromCloud: (range) => {
      calls.push(`cloud ${runBlocks(range).join(',')}`);
      return { done: () => cloudDone, destroy: () => {} };
    },
    releaseCloudCopies: async (blocks) => {
      calls.push(`release ${[...blocks].join(',')}`);
    },
  };
  return { replica, finishCloud: () => finish() };
}

test("with a cloud lane a cycle asks its LAN peers for others' shares while its own share is still coming from the cloud", async (t) => {
  const calls: string[] = [];
  const { replica, finishCloud } = laneReplica(calls);
  const clock = new ManualClock(1_000_000);
  let hungUp = 0;
  // Two printers online: find which of them owns which image, so the test holds for any hash.
  const replicator = onePeerReplicator(replica, 20, clock, () => hungUp++);
  const cycle = replicator.runCycle();
  await waitFor(() => calls.some((c) => c.startsWith('cloud')), 5_000);
  t.true(await waitFor(() => calls.filter((c) => c.startsWith('main')).length >= 2, 5_000));
  const cloudCall = calls.find((c) => c.startsWith('cloud'))!;
  const cloudBlocks = cloudCall.slice('cloud '.length).split(',').map(Number);
  t.true(cloudBlocks.length > 0 && cloudBlocks.length < 20, 'the own share, not everything, is asked of the cloud');
  // Before the cloud share is done: the main core wants the own share (the hand-off from the lane)
  // and, at the same time, the rest from its LAN peers.
  const mainBlocks = calls
    .filter((c) => c.startsWith('main'))
    .flatMap((c) => c.slice('main '.length).split(',').map(Number));
  t.deepEqual(
    [...new Set(mainBlocks)].sort((a, b) => a - b),
    Array.from({ length: 20 }, (_, i) => i),
    'own share and LAN share requested together',
  );
  t.false(
    calls.some((c) => c.startsWith('release')),
    'the cloud share is still in flight',
  );
  finishCloud();
  await cycle;
  t.true(
    calls.some((c) => c === `release ${cloudBlocks.join(',')}`),
    "the lane's copies are dropped afterwards",
  );
  t.is(hungUp, 0, 'the cloud is not hung up to make room for the LAN: the lane keeps them apart');
});

test('a LAN batch whose blocks trickle in is kept; one with nothing arriving for LAN_BATCH_STALL_MS is given up', async (t) => {
  const clock = new ManualClock(1_000_000);
  let lanRequests = 0;
  const replica: SyncReplica = {
    eventId: 'e',
    descriptor: { blobsKey: 'blobs-key', catalogKey: 'catalog-key' },
    blobsCore: {
      length: 10,
      has: async () => false,
      download: () => {
        lanRequests++;
        return { done: () => new Promise(() => {}), destroy: () => {} };
      },
    },
    catalog: { core: { contiguousLength: 1 } },
    // A LAN peer holds the image: the whole batch goes to the LAN.
    have: { holders: () => 1 },
    updateCatalog: async () => {},
    entries: async () => [{ seq: 0, blob: { blockOffset: 0, blockLength: 10 } }],
    holds: async () => false,
    announceHoldings: async () => {},
    hasCloudLane: true,
  };
  const replicator = onePeerReplicator(replica, 10, clock);
  let ended = false;
  const cycle = replicator.runCycle().then((report) => {
    ended = true;
    return report;
  });
  await clock.tick(0);
  t.is(lanRequests, 1);
  // LAN bytes every 4 s (the owner is still receiving them): 12 s, longer than the stall time.
  for (let i = 0; i < 3; i++) {
    await clock.tick(LAN_BATCH_STALL_MS - 1_000);
    replicator.noteProgress(clock.now(), 'lan');
  }
  // Cloud bytes do not keep a LAN batch alive.
  replicator.noteProgress(clock.now() + 2_000, 'cloud');
  t.false(ended, 'still waiting for a batch that makes progress');
  await clock.tick(LAN_BATCH_STALL_MS);
  const report = await cycle;
  t.true(ended);
  t.is(report.stillMissing, 10, 'given up after 5 s of silence; the next wake or tick asks again');
  t.is(lanRequests, 1);
});

test('own-share blocks the lane holds but the main core has not taken yet: the next cycle starts at once, not at the next tick', async (t) => {
  const clock = new ManualClock(1_000_000);
  // The main core never gets the blocks (laneReplica's downloads never finish); the lane has its blocks at once.
  const replica: SyncReplica = {
    ...laneReplica([]).replica,
    fetchFromCloud: () => ({ done: async () => {}, destroy: () => {} }),
  };
  const warnings: string[] = [];
  const replicator = onePeerReplicator(replica, 20, clock, () => {}, warnings);
  replicator.ready();
  t.teardown(async () => {
    const closing = replicator.close();
    await clock.tick(LANE_HANDOFF_MS);
    await closing;
  });
  // Well inside one 30 s sync interval.
  for (let i = 0; i < 12 && replicator.cycles < 2; i++) await clock.tick(1_000);
  t.true(replicator.cycles >= 2, `cycles ${replicator.cycles} after ${12} s`);
  t.true(
    warnings.some((w) => w.startsWith('the cloud share reached the cloud lane but not the main core')),
    'the stuck hand-off is logged with what both cores see',
  );
});
