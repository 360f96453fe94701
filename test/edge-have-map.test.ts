import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import Corestore from 'corestore';
import { EventFeeds } from '../coordinator/feed/event-feeds.ts';
import { EventReplica } from '../edge-node/mesh/event-replica.ts';
import { HAVE_ARRIVALS_GAP_MS, HaveMap } from '../edge-node/mesh/have-map.ts';
import { registerJsonExtension } from '../edge-node/mesh/json-extension.ts';
import { FEED_BLOCK_BYTES } from '../shared/feed/feed-layout.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import { feedEventRecord, feedImage, pipeStores, tempDir, waitFor } from './fixtures/feed-fixtures.ts';

const ONE_HOUR_MS = 3_600_000;

/** A writer's catalog core and a reader of it, piped, each with a HaveMap. */
async function pairedHaveMaps(t: ExecutionContext, clock?: ManualClock) {
  const dir = await tempDir(t, 'vpm-have-');
  const a = new Corestore(`${dir}/a`);
  const b = new Corestore(`${dir}/b`);
  const writer = a.get({ name: 'catalog' });
  await writer.ready();
  await writer.append(Buffer.from('x'));
  const reader = b.get({ key: writer.key });
  await reader.ready();
  const haveA = new HaveMap(writer, clock ? { clock } : {});
  const haveB = new HaveMap(reader);
  const s1 = a.replicate(true);
  const s2 = b.replicate(false);
  s1.pipe(s2).pipe(s1);
  t.teardown(async () => {
    haveA.close();
    haveB.close();
    s1.destroy();
    s2.destroy();
    await a.close();
    await b.close();
  });
  t.true(await waitFor(() => reader.peers.length === 1, 5_000));
  return { writer, reader, haveA, haveB };
}

test('have-map: a peer learns which images the other holds; bad messages are ignored', async (t) => {
  const { reader, haveA, haveB } = await pairedHaveMaps(t);
  haveA.announce([0, 1, 2, 7, 9, 8]);
  t.true(await waitFor(() => haveB.holders(8) === 1, 5_000), 'B learnt A holds image 8');
  t.deepEqual(
    [0, 1, 2, 3, 6, 7, 8, 9, 10].map((s) => haveB.holders(s)),
    [1, 1, 1, 0, 0, 1, 1, 1, 0],
  );
  t.is(haveA.holders(0), 0, 'B announced nothing yet');
  // One more image (a fan's photo just fetched) without a holdings scan: merged into the runs.
  haveA.announceAlso(3);
  t.true(await waitFor(() => haveB.holders(3) === 1, 5_000), 'B learnt A also holds image 3');
  t.deepEqual(
    [0, 3, 6, 7, 9, 10].map((s) => haveB.holders(s)),
    [1, 1, 0, 1, 1, 0],
  );
  t.deepEqual(
    haveB.holderKeys(3),
    [(reader.peers[0] as unknown as { remotePublicKey: Buffer }).remotePublicKey.toString('hex')],
    'by its key',
  );
  // An announcement wakes A's listeners (the replicator syncs again at once); forged ones do not.
  let announcements = 0;
  haveA.onAnnouncement(() => announcements++);
  haveB.announce([3]);
  t.true(await waitFor(() => haveA.holders(3) === 1, 5_000));
  t.is(announcements, 1);
  // A forged message does not change what A believes.
  // What a buggy or hostile peer can put on the wire: the extension's text, JSON or not.
  const ext = (reader as unknown as { extensions: Map<string, { send(m: string, p: unknown): void }> }).extensions.get(
    'vpm/have/v1',
  )!;
  t.is(haveA.rejectedMessages, 0);
  ext.send(JSON.stringify({ held: [[0, 'lots']] }), reader.peers[0]);
  ext.send(JSON.stringify({ held: 'everything' }), reader.peers[0]);
  ext.send('{"held": [[0, 1]', reader.peers[0]);
  t.true(
    await waitFor(() => haveA.rejectedMessages === 3, 5_000),
    'A received the forged messages and the one that is not JSON, and refused them',
  );
  t.is(announcements, 1, 'a refused message wakes no one');
  t.is(haveA.holders(3), 1);
  t.is(haveA.holders(0), 0);
  // A valid message after the forged ones still counts: the peer is not ignored for good, and text
  // that is not JSON did not cost the connection.
  ext.send(JSON.stringify({ held: [[0, 1]] }), reader.peers[0]);
  t.true(await waitFor(() => haveA.holders(0) === 1, 5_000));
  t.is(haveA.holders(3), 0, 'a have-list replaces the previous one');
  t.is(haveA.rejectedMessages, 3);
  t.is(reader.peers.length, 1, 'still connected');
});

test('have-map: photos that became whole in the background go out at once, then at most one list per gap', async (t) => {
  const clock = new ManualClock(50_000);
  const { writer, reader, haveA, haveB } = await pairedHaveMaps(t, clock);
  // A marker on the same core travels on the same channel, in order: once the reader has it, any
  // have-list sent before it has arrived too.
  let markers = 0;
  const markerOut = registerJsonExtension(writer, 'test/marker', () => {});
  registerJsonExtension(reader, 'test/marker', () => {
    markers++;
  });
  const mark = async () => {
    const seen = markers;
    markerOut.broadcast({ mark: true });
    t.true(await waitFor(() => markers === seen + 1, 5_000), 'the marker arrived');
  };

  haveA.announceArrival(5);
  t.true(await waitFor(() => haveB.holders(5) === 1, 5_000), 'the first arrival is told at once');
  clock.advance(HAVE_ARRIVALS_GAP_MS / 5);
  haveA.announceArrival(6);
  haveA.announceArrival(7);
  haveA.announceArrival(5);
  await mark();
  t.deepEqual([haveB.holders(6), haveB.holders(7)], [0, 0], 'arrivals within the gap are held back');
  t.is(clock.pendingTimers, 1, 'one list waits for the gap, however many arrivals');
  clock.advance((HAVE_ARRIVALS_GAP_MS * 4) / 5);
  t.true(await waitFor(() => haveB.holders(6) === 1 && haveB.holders(7) === 1, 5_000), 'told when the gap is over');
  t.is(clock.pendingTimers, 0);

  // A holdings scan that missed the newest arrivals (it passed them before their last block) adds
  // what it found and takes nothing back.
  haveA.announce([0, 1, 2]);
  t.true(await waitFor(() => haveB.holders(1) === 1, 5_000));
  t.deepEqual(
    [0, 2, 3, 5, 6, 7, 8].map((s) => haveB.holders(s)),
    [1, 1, 0, 1, 1, 1, 0],
  );
  // A fan's photo goes out at once, gap or not, and takes a held-back arrival with it.
  clock.advance(HAVE_ARRIVALS_GAP_MS / 10);
  haveA.announceArrival(8);
  t.is(clock.pendingTimers, 1);
  haveA.announceAlso(20);
  t.true(await waitFor(() => haveB.holders(20) === 1, 5_000));
  t.is(haveB.holders(8), 1);
  t.is(clock.pendingTimers, 0, 'nothing left to send');

  // A fan's photo whose arrival was just held back for the gap goes out at once all the same.
  clock.advance(HAVE_ARRIVALS_GAP_MS / 10);
  haveA.announceArrival(21);
  t.is(clock.pendingTimers, 1);
  haveA.announceAlso(21);
  t.true(await waitFor(() => haveB.holders(21) === 1, 5_000), "the fan's photo is told at once");
  t.is(clock.pendingTimers, 0);
  // A wall clock set back an hour holds arrivals for the gap, not for the hour.
  clock.set(clock.now() - ONE_HOUR_MS);
  haveA.announceArrival(22);
  haveA.announceArrival(23);
  t.is(clock.pendingTimers, 1);
  await mark();
  t.is(haveB.holders(22), 0, 'held back for the gap');
  clock.advance(HAVE_ARRIVALS_GAP_MS);
  t.true(await waitFor(() => haveB.holders(23) === 1, 5_000), 'told after the gap');

  haveA.close();
  haveA.announceArrival(30);
  t.is(clock.pendingTimers, 0, 'a closed map schedules nothing');
  t.is(writer.listenerCount('peer-add'), 0, 'nor greets new peers');
});

test('an event replica tells its LAN peers of a photo that became whole in the background, with no holdings scan', async (t) => {
  const feeds = new EventFeeds({ storageDir: join(await tempDir(t), 'corestore') });
  await feeds.ready();
  t.teardown(() => feeds.close());
  const feed = await feeds.openEvent(feedEventRecord('ev-have', 'v1'));
  await feed.appendBatch([feedImage('img-0', 2 * FEED_BLOCK_BYTES + 10, 1), feedImage('img-1', 100, 2)]);
  const open = async (name: string) => {
    const store = new Corestore(join(await tempDir(t), name));
    const replica = new EventReplica(store, feed.descriptor(), { onBytes: () => {}, isCloud: () => false });
    await replica.ready();
    t.teardown(async () => {
      await replica.close();
      await store.close();
    });
    return { store, replica };
  };
  const a = await open('printer-a');
  const b = await open('printer-b');
  // A reaches the cloud and B; B only A.
  pipeStores(t, feeds.corestore, a.store);
  pipeStores(t, a.store, b.store);
  t.true(await waitFor(async () => (await a.replica.entries()).length === 2, 10_000), 'A read the catalog');
  t.true(await waitFor(() => a.replica.arrivals.pending === 2, 10_000), 'A watches both photos');
  t.true(await waitFor(() => a.replica.catalog.core.peers.length === 2, 10_000), 'A shares the catalog with B');

  const [first] = await a.replica.entries();
  const { blockOffset, blockLength } = first!.blob;
  await a.replica.blobsCore.download({ start: blockOffset, end: blockOffset + blockLength }).done();
  t.true(await waitFor(() => b.replica.have.holders(first!.seq) === 1, 10_000), 'B learnt that A holds it');
  t.is(b.replica.have.holders(first!.seq + 1), 0, 'and nothing A does not hold');
});
