/**
 * The stuck lane → main hand-off (issue #16, validation-8): Hypercore 11.37.1 can lose the message
 * in which the cloud lane tells the main core that it has grown (edge-node/mesh/lane-length.ts).
 * Without that message the main core never asks the lane for the new blocks. The loss is a race
 * between the lane's upgrade and the main core's own; here it is made certain by dropping that one
 * message, then the node's repair has to deliver the share anyway.
 */
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import Corestore from 'corestore';
import { EventFeeds } from '../coordinator/feed/event-feeds.ts';
import { CloudLane } from '../edge-node/mesh/cloud-lane.ts';
import { EventReplica } from '../edge-node/mesh/event-replica.ts';
import { FEED_BLOCK_BYTES } from '../shared/feed/feed-layout.ts';
import { feedEventRecord, feedImage as image, tempDir, waitFor } from './fixtures/feed-fixtures.ts';

/** Real time a hand-off of a few blocks takes at most on a loaded machine (in-process). */
const HANDOFF_BOUND_MS = 10_000;

function pipe(t: ExecutionContext, a: Corestore, b: Corestore): void {
  const s1 = a.replicate(true);
  const s2 = b.replicate(false);
  s1.on('error', () => {});
  s2.on('error', () => {});
  s1.pipe(s2).pipe(s1);
  t.teardown(() => {
    s1.destroy();
    s2.destroy();
  });
}

interface SyncHook {
  remotePublicKey: Buffer;
  remoteLength: number;
  sendSync(): void;
}

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
  pipe(t, lane.store, feeds.corestore);
  const before = feed.head().blobsLength;
  await waitFor(() => replica.blobsCore.length === before, HANDOFF_BOUND_MS);

  // The lane core's peer for the main store: its next length announcement is lost, as in the race.
  const laneCore = lane.store.get({ key: Buffer.from(descriptor.blobsKey, 'hex') });
  await laneCore.ready();
  t.teardown(() => laneCore.close());
  const toMain = (laneCore.peers as unknown as SyncHook[]).find(
    (p) => p.remotePublicKey.toString('hex') === lane.mainPeerKey,
  )!;
  t.truthy(toMain, 'the lane core replicates with the main store');
  const ownSendSync = Object.hasOwn(toMain, 'sendSync');
  const sendSync = toMain.sendSync;
  let dropped = 0;
  toMain.sendSync = () => {
    dropped++;
  };

  // A new photo: the lane fetches it from the cloud and grows; the main core does not hear of it.
  await feed.appendBatch([image('img-1', 4 * FEED_BLOCK_BYTES, 2)]);
  const after = feed.head().blobsLength;
  const share = Array.from({ length: after - before }, (_, i) => before + i);
  const handoff = replica.blobsCore.download({ blocks: share });
  t.teardown(() => handoff.destroy());
  await replica.fetchFromCloud({ blocks: share }).done();
  t.true(dropped > 0, 'the lane tried to announce its new length');
  if (ownSendSync) toMain.sendSync = sendSync;
  else delete (toMain as Partial<SyncHook>).sendSync;
  const laneAsMainSees = (replica.blobsCore.peers as unknown as SyncHook[]).find(
    (p) => p.remotePublicKey.toString('hex') === lane.peerKey,
  )!;
  t.is(laneAsMainSees.remoteLength, before, 'the main core still has the lane at the old length');

  t.true(replica.repeatLaneLength(), 'the node noticed and had the lane say its length again');
  let timer: ReturnType<typeof setTimeout> | undefined;
  const handedOff = await Promise.race([
    handoff.done().then(() => true),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), HANDOFF_BOUND_MS);
    }),
  ]);
  clearTimeout(timer);
  t.true(handedOff, 'the main core took the share from the lane');
  t.true(await replica.blobsCore.has(before, after));
  t.false(replica.repeatLaneLength(), 'nothing to repeat once the main core has heard it');
});
