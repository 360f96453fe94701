import test from 'ava';
import Corestore from 'corestore';
import { HaveMap } from '../edge-node/mesh/have-map.ts';
import { tempDir, waitFor } from './fixtures/feed-fixtures.ts';

test('have-map: a peer learns which images the other holds; bad messages are ignored', async (t) => {
  const dir = await tempDir(t, 'vpm-have-');
  const a = new Corestore(`${dir}/a`);
  const b = new Corestore(`${dir}/b`);
  const writer = a.get({ name: 'catalog' });
  await writer.ready();
  await writer.append(Buffer.from('x'));
  const reader = b.get({ key: writer.key });
  await reader.ready();
  const haveA = new HaveMap(writer);
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
