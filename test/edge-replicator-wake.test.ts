/**
 * Issue #16: when the feed grows, a printer's share of the new photos goes to the cloud at once,
 * not after the LAN part of the cycle under way. In validation-8 that LAN part waited on blocks
 * other owners had not fetched yet; a busy venue never goes 5 s without a LAN byte, so it was not
 * given up, and the new share (which every other printer waits for) waited up to 6 s a photo.
 */
import test from 'ava';
import { BackgroundReplicator, type CycleReport, LAN_BATCH_STALL_MS } from '../edge-node/mesh/background-replicator.ts';
import type { SyncEntry, SyncReplica } from '../edge-node/mesh/sync-replica.ts';
import { RESPONSIBILITY_CHUNK_BLOCKS, ResponsibilityMap } from '../shared/policy/responsibility.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import { runBlocks } from './fixtures/feed-fixtures.ts';
import { unconstrainedReplicatorParts } from './fixtures/replicator-fixtures.ts';

const SELF = 'self';
const PEER = 'peer-a';
const BLOBS_KEY = 'blobs-key';
/** Clock steps while the LAN keeps delivering other bytes (under LAN_BATCH_STALL_MS, so it never stalls). */
const STEP_MS = 500;
/** Real time a close may take on a loaded machine (the manual clock does not move meanwhile). */
const CLOSE_BOUND_REAL_MS = 10_000;

/** The first chunks owned by each printer: one image per chunk, so ownership is per image. */
function chunksOwned(): { self: number[]; peer: number[] } {
  const shares = new ResponsibilityMap([SELF, PEER]);
  const out = { self: [] as number[], peer: [] as number[] };
  for (let chunk = 0; out.self.length < 2 || out.peer.length < 2; chunk++) {
    (shares.ownerOf(BLOBS_KEY, chunk) === SELF ? out.self : out.peer).push(chunk);
  }
  return out;
}

interface Range {
  blocks: number[];
  destroyed: boolean;
  settle(): void;
}

function venue(opts: { handOff?: boolean; cloudHeld?: boolean } = {}) {
  const handOff = opts.handOff ?? true;
  /** While true the cloud delivers nothing; deliverCloud() lets everything asked so far through. */
  let cloudHeld = opts.cloudHeld ?? false;
  const heldBack: Array<() => void> = [];
  let laneLengthChecks = 0;
  const clock = new ManualClock(1_000_000);
  const owned = chunksOwned();
  const entryFor = (seq: number, chunk: number): SyncEntry => ({
    seq,
    blob: { blockOffset: chunk * RESPONSIBILITY_CHUNK_BLOCKS, blockLength: RESPONSIBILITY_CHUNK_BLOCKS },
  });
  // At first the feed holds one image the peer owns (and is still fetching: it never arrives here).
  const entries: SyncEntry[] = [entryFor(0, owned.peer[0]!)];
  let length = (owned.peer[0]! + 1) * RESPONSIBILITY_CHUNK_BLOCKS;
  const held = new Set<number>();
  const lanRanges: Range[] = [];
  const waiting: Array<Range & { blocks: number[] }> = [];
  const cloudAsked: number[][] = [];
  const range = (blocks: number[], settlesAtOnce: boolean): Range & { done(): Promise<unknown>; destroy(): void } => {
    let resolve!: () => void;
    const done = new Promise<void>((r) => {
      resolve = r;
    });
    const r = {
      blocks,
      destroyed: false,
      settle: resolve,
      done: () => done,
      destroy: () => {
        r.destroyed = true;
      },
    };
    if (settlesAtOnce) resolve();
    return r;
  };
  const replica: SyncReplica = {
    eventId: 'e',
    descriptor: { blobsKey: BLOBS_KEY, catalogKey: 'catalog-key' },
    blobsCore: {
      get length() {
        return length;
      },
      contiguousLength: 0,
      has: async (block) => held.has(block),
      // The main core: blocks the lane fetched arrive the moment it has them; the peer's never come.
      download: (run) => {
        const blocks = runBlocks(run);
        const r = range(
          blocks,
          blocks.every((b) => held.has(b)),
        );
        if (blocks.some((b) => Math.floor(b / RESPONSIBILITY_CHUNK_BLOCKS) === owned.peer[0])) lanRanges.push(r);
        else waiting.push(r);
        return r;
      },
    },
    catalog: { core: { contiguousLength: 1 } },
    have: { holders: () => 0 },
    hasCloudLane: true,
    fetchFromCloud: (run) => {
      const blocks = runBlocks(run);
      cloudAsked.push(blocks);
      const r = range(blocks, false);
      const deliver = () => {
        for (const b of blocks) held.add(b);
        r.settle();
        if (handOff) for (const w of waiting) if (w.blocks.every((b) => held.has(b))) w.settle();
      };
      if (cloudHeld) heldBack.push(deliver);
      else deliver();
      return r;
    },
    releaseCloudCopies: async () => {},
    repeatLaneLength: () => {
      laneLengthChecks++;
      return false;
    },
    updateCatalog: async () => {},
    entries: async () => entries,
    holds: async (e) => {
      for (let b = e.blob.blockOffset; b < e.blob.blockOffset + e.blob.blockLength; b++) if (!held.has(b)) return false;
      return true;
    },
    announceHoldings: async () => {},
  };
  const reports: CycleReport[] = [];
  const replicator = new BackgroundReplicator({
    mesh: { settle: async () => {}, lanPeers: () => [PEER] },
    cloud: { acquire: async () => ({ connected: true, release: () => {} }), hangUpIfIdle: () => {} },
    ...unconstrainedReplicatorParts(clock, 'wake', 60_000),
    replicas: () => [replica],
    profile: () => ({
      feeds: [{ eventId: 'e', head: { blobsLength: length, catalogLength: entries.length } }],
      peers: { printers: [{ id: PEER, lastSeenAt: null }] },
    }),
    selfKey: SELF,
    logger: {
      info: () => {},
      warn: () => {},
      error: () => {},
      debug: (obj) => reports.push(obj as CycleReport),
    },
    live: true,
  });
  /** A photo this printer owns is appended to the feed. */
  const appendOwnPhoto = (): number[] => {
    const chunk = owned.self.find((c) => c * RESPONSIBILITY_CHUNK_BLOCKS >= length)!;
    entries.push(entryFor(entries.length, chunk));
    length = (chunk + 1) * RESPONSIBILITY_CHUNK_BLOCKS;
    return Array.from({ length: RESPONSIBILITY_CHUNK_BLOCKS }, (_, i) => chunk * RESPONSIBILITY_CHUNK_BLOCKS + i);
  };
  /** Time passes while the LAN keeps delivering other printers' bytes: no LAN stall. */
  const busyLan = async (ms: number) => {
    for (let t = 0; t < ms; t += STEP_MS) {
      replicator.noteProgress(clock.now(), 'lan');
      await clock.tick(STEP_MS);
    }
  };
  const deliverCloud = () => {
    cloudHeld = false;
    for (const deliver of heldBack.splice(0)) deliver();
  };
  return {
    clock,
    replicator,
    lanRanges,
    cloudAsked,
    appendOwnPhoto,
    busyLan,
    reports,
    deliverCloud,
    laneLengthChecks: () => laneLengthChecks,
  };
}

test('the feed grows during a LAN batch that waits on another owner: the new share goes to the cloud at once', async (t) => {
  const v = venue();
  v.replicator.ready();
  t.teardown(() => v.replicator.close());
  await v.busyLan(STEP_MS);
  t.is(v.lanRanges.length, 1, 'the first cycle asks the LAN for the peer-owned image');
  t.deepEqual(v.cloudAsked, []);

  // A peer announcing new holdings does not stop the LAN batch.
  v.replicator.wake('holdings');
  await v.busyLan(2 * LAN_BATCH_STALL_MS);
  t.false(v.lanRanges[0]!.destroyed, 'the LAN batch goes on: nothing new to send to the cloud');
  t.deepEqual(v.cloudAsked, []);

  // The feed grows by a photo this printer owns.
  const own = v.appendOwnPhoto();
  v.replicator.wake('grew');
  await v.busyLan(STEP_MS);
  t.true(v.lanRanges[0]!.destroyed, 'the LAN batch under way was dropped');
  t.deepEqual(v.cloudAsked.flat(), own, 'the new share went to the cloud within one step, not after a LAN stall');
  t.true(
    v.reports.some((r) => r.lanStopped === true),
    'the cycle says its LAN part was stopped',
  );
  // The next cycle asks the LAN for the peer's image again.
  t.is(v.lanRanges.length, 2);
  t.false(v.lanRanges.at(-1)!.destroyed);
});

test('the feed grows while the own share is still coming from the cloud: the LAN part goes on until it is in', async (t) => {
  const v = venue({ cloudHeld: true });
  const first = v.appendOwnPhoto();
  v.replicator.ready();
  t.teardown(() => v.replicator.close());
  await v.busyLan(STEP_MS);
  t.deepEqual(v.cloudAsked, [first]);
  t.is(v.lanRanges.length, 1);
  t.is(v.laneLengthChecks(), 0, 'the lane has nothing yet');

  const second = v.appendOwnPhoto();
  v.replicator.wake('grew');
  await v.busyLan(2 * LAN_BATCH_STALL_MS);
  t.false(v.lanRanges[0]!.destroyed, 'stopping the LAN now would not start the new share any sooner');
  t.deepEqual(v.cloudAsked, [first]);

  v.deliverCloud();
  await v.busyLan(STEP_MS);
  t.true(v.lanRanges[0]!.destroyed, 'stopped once the cloud part was done');
  t.deepEqual(v.cloudAsked, [first, second], 'and the new share went to the cloud');
  t.true(v.laneLengthChecks() >= 1, 'once the lane had a share, the main core was checked for its length');
});

test('closing while a cloud share waits for its hand-off does not wait the hand-off out', async (t) => {
  const v = venue({ handOff: false });
  v.appendOwnPhoto();
  v.replicator.ready();
  await v.busyLan(STEP_MS);
  t.is(v.cloudAsked.length, 1, 'the share went to the lane; the main core never takes it');
  const at = v.clock.now();
  // The manual clock stands still: close must not need LANE_HANDOFF_MS of it.
  let bound: ReturnType<typeof setTimeout> | undefined;
  const closed = await Promise.race([
    v.replicator.close().then(() => true),
    new Promise<false>((resolve) => {
      bound = setTimeout(() => resolve(false), CLOSE_BOUND_REAL_MS);
    }),
  ]);
  clearTimeout(bound);
  t.true(closed, 'close returned');
  t.is(v.clock.now(), at);
});
