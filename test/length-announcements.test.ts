/**
 * The stuck lane → main hand-off (issue #16, validation-8): Hypercore 11.37.1 can lose the message
 * in which a core tells a peer that it has grown (edge-node/mesh/length-announcements.ts). Without it
 * the peer never asks for the new blocks. The loss is a race between two upgrades; here it is made
 * certain by dropping that one message, then the node's repair has to deliver the blocks anyway:
 * from the cloud lane to the main core, and from a printer to a LAN peer.
 */
import { join } from 'node:path';
import test from 'ava';
import Corestore from 'corestore';
import crypto from 'hypercore-crypto';
import { EventFeeds } from '../coordinator/feed/event-feeds.ts';
import { CloudLane } from '../edge-node/mesh/cloud-lane.ts';
import { EventReplica } from '../edge-node/mesh/event-replica.ts';
import { repeatLengthWhereUnacknowledged } from '../edge-node/mesh/length-announcements.ts';
import { FEED_BLOCK_BYTES } from '../shared/feed/feed-layout.ts';
import { feedEventRecord, feedImage as image, pipeStores, tempDir, waitFor } from './fixtures/feed-fixtures.ts';

/** Real time a hand-off of a few blocks takes at most on a loaded machine (in-process). */
const HANDOFF_BOUND_MS = 10_000;

interface SyncHook {
  remotePublicKey: Buffer;
  remoteLength: number;
  sendSync(): void;
}

/** Drops every length announcement `peer` sends until the returned restore is called. */
function dropSyncs(peer: SyncHook): { dropped: () => number; restore: () => void } {
  const own = Object.hasOwn(peer, 'sendSync');
  const sendSync = peer.sendSync;
  let dropped = 0;
  peer.sendSync = () => {
    dropped++;
  };
  return {
    dropped: () => dropped,
    restore: () => {
      if (own) peer.sendSync = sendSync;
      else delete (peer as Partial<SyncHook>).sendSync;
    },
  };
}

/** Resolves true when `done` settles within the bound, false otherwise. */
async function within(done: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = await Promise.race([
    done.then(() => true),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return settled;
}

/** The feed grows by one photo after `before` blocks: its new length and the photo's blocks. */
async function appendPhoto(
  feed: { appendBatch(images: ReturnType<typeof image>[]): Promise<unknown>; head(): { blobsLength: number } },
  before: number,
): Promise<{ after: number; share: number[] }> {
  await feed.appendBatch([image('img-1', 4 * FEED_BLOCK_BYTES, 2)]);
  const after = feed.head().blobsLength;
  return { after, share: Array.from({ length: after - before }, (_, i) => before + i) };
}

const peerOf = (peers: unknown[], keyHex: string) =>
  (peers as SyncHook[]).find((p) => p.remotePublicKey.toString('hex') === keyHex)!;

test('a share in the lane reaches the main core even when the lane grew without telling it', async (t) => {
  const dir = await tempDir(t, 'vpm-lane-length-');
  const feeds = new EventFeeds({ storageDir: join(dir, 'cloud') });
  await feeds.ready();
  t.teardown(() => feeds.close());
  const feed = await feeds.openEvent(feedEventRecord('ev-lane-length', 'v1'));
  await feed.appendBatch([image('img-0', 4 * FEED_BLOCK_BYTES, 1)]);
  const descriptor = feed.descriptor();

  const main = new Corestore(join(dir, 'main'));
  await main.ready();
  t.teardown(() => main.close());
  const lane = new CloudLane(main, new Corestore(join(dir, 'lane')));
  await lane.ready();
  t.teardown(() => lane.close());
  const replica = new EventReplica(main, descriptor, { onBytes: () => {}, isCloud: () => false, lane });
  await replica.ready();
  t.teardown(() => replica.close());
  pipeStores(t, lane.store, feeds.corestore);
  const before = feed.head().blobsLength;
  await waitFor(() => replica.blobsCore.length === before, HANDOFF_BOUND_MS);

  // The lane core's peer for the main store: its next length announcement is lost, as in the race.
  const laneCore = lane.store.get({ key: Buffer.from(descriptor.blobsKey, 'hex') });
  await laneCore.ready();
  t.teardown(() => laneCore.close());
  const toMain = peerOf(laneCore.peers, lane.mainPeerKey);
  t.truthy(toMain, 'the lane core replicates with the main store');
  const drop = dropSyncs(toMain);

  // A new photo: the lane fetches it from the cloud and grows; the main core does not hear of it.
  const { after, share } = await appendPhoto(feed, before);
  const handoff = replica.blobsCore.download({ blocks: share });
  t.teardown(() => handoff.destroy());
  await replica.fetchFromCloud({ start: before, end: after }).done();
  t.true(drop.dropped() > 0, 'the lane tried to announce its new length');
  drop.restore();
  t.is(peerOf(replica.blobsCore.peers, lane.peerKey).remoteLength, before, 'the main core still has the old length');

  t.true(replica.repeatLaneLength(), 'the node noticed and had the lane say its length again');
  t.true(await within(handoff.done(), HANDOFF_BOUND_MS), 'the main core took the share from the lane');
  t.true(await replica.blobsCore.has(before, after));
  t.false(replica.repeatLaneLength(), 'nothing to repeat once the main core has heard it');
});

test('a LAN peer that never heard a printer grow is told again, and takes the blocks only that printer holds', async (t) => {
  const dir = await tempDir(t, 'vpm-lan-length-');
  const feeds = new EventFeeds({ storageDir: join(dir, 'cloud') });
  await feeds.ready();
  t.teardown(() => feeds.close());
  const feed = await feeds.openEvent(feedEventRecord('ev-lan-length', 'v1'));
  await feed.appendBatch([image('img-0', 4 * FEED_BLOCK_BYTES, 1)]);
  const key = Buffer.from(feed.descriptor().blobsKey, 'hex');
  const open = async (name: string) => {
    const store = new Corestore(join(dir, name));
    await store.ready();
    t.teardown(() => store.close());
    const core = store.get({ key });
    await core.ready();
    t.teardown(() => core.close());
    return { store, core };
  };
  // The owner talks to the cloud and to its LAN peer; the peer only to the owner.
  const owner = await open('owner');
  const peer = await open('peer');
  pipeStores(t, owner.store, feeds.corestore);
  const peerKeyPair = crypto.keyPair();
  pipeStores(t, owner.store, peer.store, peerKeyPair);
  const before = feed.head().blobsLength;
  await owner.core.download({ start: 0, end: before }).done();
  await waitFor(() => peer.core.length === before, HANDOFF_BOUND_MS);

  const toPeer = peerOf(owner.core.peers, peerKeyPair.publicKey.toString('hex'));
  t.truthy(toPeer, 'the owner core replicates with the peer');
  const drop = dropSyncs(toPeer);
  const { after, share } = await appendPhoto(feed, before);
  const wanted = peer.core.download({ blocks: share });
  t.teardown(() => wanted.destroy());
  await owner.core.download({ blocks: share }).done();
  t.true(drop.dropped() > 0, 'the owner tried to announce its new length');
  drop.restore();
  t.is(peer.core.length, before, 'the peer never heard of the new length');

  // The peer (and the cloud seeder, if it has had no reason to sync since the owner grew).
  t.true(repeatLengthWhereUnacknowledged(owner.core) >= 1, 'the peer had not acknowledged it: told again');
  t.true(await within(wanted.done(), HANDOFF_BOUND_MS), 'the peer took the new blocks from the owner');
  t.true(await peer.core.has(before, after));
});
