/**
 * Issue #16: one printer per venue (the catalog's owner) keeps its cloud connection open while it
 * syncs, so the venue hears of a new photo when the coordinator appends it rather than at the next
 * profile refresh. Only through a cloud lane: the seeder must never sit on the main store.
 */
import test from 'ava';
import { BackgroundReplicator } from '../edge-node/mesh/background-replicator.ts';
import { FeedWatch } from '../edge-node/mesh/feed-watch.ts';
import type { SyncReplica } from '../edge-node/mesh/sync-replica.ts';
import { ResponsibilityMap } from '../shared/policy/responsibility.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import { unconstrainedReplicatorParts } from './fixtures/replicator-fixtures.ts';

const SELF = 'self';
const PEER = 'peer-a';

/** A catalog key the given printer owns when SELF and PEER are both online. */
function catalogKeyOwnedBy(owner: string): string {
  const shares = new ResponsibilityMap([SELF, PEER]);
  for (let i = 0; ; i++) if (shares.ownerOf(`catalog-${i}`, 0) === owner) return `catalog-${i}`;
}

/** A printer with the whole feed already (nothing to fetch), counting its cloud sessions. */
function printer(opts: { catalogKey: string; lane: boolean; peerOnline: () => boolean }) {
  const clock = new ManualClock(1_000_000);
  const sessions = { acquired: 0, released: 0 };
  const replica: SyncReplica = {
    eventId: 'e',
    descriptor: { blobsKey: 'blobs-key', catalogKey: opts.catalogKey },
    blobsCore: {
      length: 0,
      has: async () => true,
      download: () => ({ done: async () => {}, destroy: () => {} }),
    },
    catalog: { core: { contiguousLength: 0 } },
    have: { holders: () => 0 },
    hasCloudLane: opts.lane,
    updateCatalog: async () => {},
    entries: async () => [],
    holds: async () => true,
    announceHoldings: async () => {},
  };
  const replicator = new BackgroundReplicator({
    mesh: { settle: async () => {}, lanPeers: () => (opts.peerOnline() ? [PEER] : []) },
    cloud: {
      acquire: async () => {
        sessions.acquired++;
        return { connected: true, release: () => sessions.released++ };
      },
      hangUpIfIdle: () => {},
    },
    ...unconstrainedReplicatorParts(clock, 'watch', 60_000),
    replicas: () => [replica],
    profile: () => ({
      feeds: [{ eventId: 'e', head: { blobsLength: 0, catalogLength: 0 } }],
      peers: { printers: [{ id: PEER, lastSeenAt: null }] },
    }),
    selfKey: SELF,
    logger: { info: () => {}, warn: () => {}, error: () => {} },
  });
  return { replicator, sessions };
}

test('the catalog owner keeps one cloud connection across cycles with nothing to fetch, and lets go on close', async (t) => {
  const { replicator, sessions } = printer({ catalogKey: catalogKeyOwnedBy(SELF), lane: true, peerOnline: () => true });
  await replicator.runCycle();
  await replicator.runCycle();
  t.deepEqual(sessions, { acquired: 1, released: 0 });
  await replicator.close();
  t.deepEqual(sessions, { acquired: 1, released: 1 });
});

test('a printer that does not own the catalog dials nothing when it has nothing to fetch', async (t) => {
  const { replicator, sessions } = printer({ catalogKey: catalogKeyOwnedBy(PEER), lane: true, peerOnline: () => true });
  await replicator.runCycle();
  t.deepEqual(sessions, { acquired: 0, released: 0 });
  await replicator.close();
});

test('the watch goes when the owner changes (a printer came online) and never runs without a cloud lane', async (t) => {
  // Alone, SELF owns every catalog; with PEER online this key is PEER's.
  let peerOnline = false;
  const alone = printer({ catalogKey: catalogKeyOwnedBy(PEER), lane: true, peerOnline: () => peerOnline });
  await alone.replicator.runCycle();
  t.deepEqual(alone.sessions, { acquired: 1, released: 0 }, 'alone it owns the catalog and watches');
  peerOnline = true;
  await alone.replicator.runCycle();
  t.deepEqual(alone.sessions, { acquired: 1, released: 1 }, 'the new owner watches now');
  await alone.replicator.close();

  const laneless = printer({ catalogKey: catalogKeyOwnedBy(SELF), lane: false, peerOnline: () => true });
  await laneless.replicator.runCycle();
  t.deepEqual(laneless.sessions, { acquired: 0, released: 0 }, 'no lane: the seeder would sit on the main store');
  await laneless.replicator.close();
});

test('a watch closed while its dial is under way releases the connection the dial brings, and never dials again', async (t) => {
  let answer: (s: { connected: boolean; release: () => void }) => void = () => {};
  const counts = { acquired: 0, released: 0, warnings: 0 };
  const watch = new FeedWatch(
    {
      acquire: () => {
        counts.acquired++;
        return new Promise((resolve) => {
          answer = resolve;
        });
      },
    },
    { info: () => {}, warn: () => counts.warnings++, error: () => {} },
  );
  watch.keep(true);
  watch.keep(true);
  t.is(counts.acquired, 1, 'one dial at a time');
  const closed = watch.close();
  answer({ connected: true, release: () => counts.released++ });
  await closed;
  t.deepEqual(counts, { acquired: 1, released: 1, warnings: 0 });
  watch.keep(true);
  t.is(counts.acquired, 1, 'closed: no new dial');
});

test('a watch whose dial fails or finds the cloud unreachable holds nothing and dials again when asked', async (t) => {
  const counts = { acquired: 0, released: 0, warnings: 0 };
  const outcomes: Array<'throw' | 'unreachable'> = ['throw', 'unreachable'];
  const watch = new FeedWatch(
    {
      acquire: async () => {
        counts.acquired++;
        if (outcomes.shift() === 'throw') throw new Error('no route to the cloud');
        return { connected: false, release: () => counts.released++ };
      },
    },
    { info: () => {}, warn: () => counts.warnings++, error: () => {} },
  );
  const dialSettled = () => new Promise((resolve) => setImmediate(resolve));
  watch.keep(true);
  await dialSettled();
  t.deepEqual(counts, { acquired: 1, released: 0, warnings: 1 }, 'the failure is logged, not thrown');
  watch.keep(true);
  await dialSettled();
  t.deepEqual(
    counts,
    { acquired: 2, released: 1, warnings: 1 },
    'the session of an unreachable cloud is handed back at once',
  );
  await watch.close();
});
