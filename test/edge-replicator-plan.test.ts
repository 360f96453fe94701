/**
 * How the edge node's background replicator cuts what it lacks into the planner's units: the part
 * of each image inside one 1 MiB responsibility chunk, and blocks of no known image per chunk; a unit
 * is as held on the LAN as its image.
 */
import test from 'ava';
import { BackgroundReplicator } from '../edge-node/mesh/background-replicator.ts';
import type { SyncReplica } from '../edge-node/mesh/sync-replica.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import { unconstrainedReplicatorParts } from './fixtures/replicator-fixtures.ts';

const IMAGE_BLOCKS = 10;
const IMAGES = 3;
/** Blocks 30–39 belong to no catalog entry yet (the head is ahead of the catalog). */
const LENGTH_BLOCKS = 40;

function replicator(peers: string[], holders: (seq: number) => number, live = false) {
  const clock = new ManualClock(1_000_000);
  const replica: SyncReplica = {
    eventId: 'e',
    descriptor: { blobsKey: 'blobs-key', catalogKey: 'catalog-key' },
    blobsCore: {
      length: 0,
      has: async () => false,
      download: () => ({ done: () => Promise.reject(new Error('no source here')), destroy: () => {} }),
    },
    catalog: { core: { contiguousLength: 1 } },
    have: { holders },
    updateCatalog: async () => {},
    entries: async () =>
      Array.from({ length: IMAGES }, (_, i) => ({
        seq: i,
        blob: { blockOffset: i * IMAGE_BLOCKS, blockLength: IMAGE_BLOCKS },
      })),
    holds: async () => false,
    announceHoldings: async () => {},
  };
  return new BackgroundReplicator({
    mesh: { settle: async () => {}, lanPeers: () => peers },
    cloud: { acquire: async () => ({ connected: true, release: () => {} }), hangUpIfIdle: () => {} },
    ...unconstrainedReplicatorParts(clock, 'plan', 30_000),
    replicas: () => [replica],
    profile: () => ({
      feeds: [{ eventId: 'e', head: { blobsLength: LENGTH_BLOCKS, catalogLength: 1 } }],
      peers: { printers: peers.map((id) => ({ id, lastSeenAt: null })) },
    }),
    selfKey: 'self',
    logger: { info: () => {}, warn: () => {}, error: () => {} },
    live,
  });
}

test('alone, a printer owns every unit: images split at chunk boundaries, unknown blocks per chunk', async (t) => {
  const report = await replicator([], () => 0).runCycle();
  // Image 1 (blocks 10–19) straddles chunk 0 | chunk 1 at block 16; blocks 30–39 have no entry.
  t.deepEqual(report.plans[0]!.plan, { cloud: [0, 10, 16, 20, 30, 32], lan: [], later: [] });
  t.is(report.cloudBlocksRequested, LENGTH_BLOCKS);
});

test('both parts of an image a peer holds come from the LAN, whoever owns their chunks', async (t) => {
  const report = await replicator(['peer-a', 'peer-b'], (seq) => (seq === 1 ? 1 : 0)).runCycle();
  const plan = report.plans[0]!.plan;
  t.deepEqual(plan.lan, [10, 16]);
  t.deepEqual(
    [...plan.cloud, ...plan.later].sort((a, b) => a - b),
    [0, 20, 30, 32],
  );
});

test('live: the parts of images other printers own go to the LAN in the same cycle, nothing waits', async (t) => {
  const report = await replicator(['peer-a', 'peer-b'], (seq) => (seq === 1 ? 1 : 0), true).runCycle();
  const plan = report.plans[0]!.plan;
  t.deepEqual(plan.later, []);
  t.deepEqual(
    [...plan.cloud, ...plan.lan].sort((a, b) => a - b),
    [0, 10, 16, 20, 30, 32],
  );
  t.true(plan.lan.includes(10) && plan.lan.includes(16), 'held on the LAN → LAN');
});
