import test from 'ava';
import Corestore from 'corestore';
import { QUEUE_STALE_MS, QueueBoard } from '../edge-node/routing/queue-board.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import type { StationQueueReport } from '../shared/protocol/station-queue.ts';
import { tempDir, waitFor } from './fixtures/feed-fixtures.ts';

function queue(id: string, over: Partial<StationQueueReport> = {}): StationQueueReport {
  return {
    id,
    name: 'Printer A',
    queueWorkSeconds: 40,
    unitsWaiting: 4,
    secondsPerPrint: 10,
    workingPrinters: 1,
    canPrint: true,
    position: { x: 0, y: 0 },
    at: 0,
    ...over,
  };
}

test('queue board: a station tells its peer its queue over the catalog core; forged or stale figures are dropped', async (t) => {
  const dir = await tempDir(t, 'vpm-queue-');
  const a = new Corestore(`${dir}/a`);
  const b = new Corestore(`${dir}/b`);
  const writer = a.get({ name: 'catalog' });
  await writer.ready();
  await writer.append(Buffer.from('x'));
  const reader = b.get({ key: writer.key });
  await reader.ready();
  const clock = new ManualClock(1_000_000);
  const boardA = new QueueBoard(clock);
  const boardB = new QueueBoard(clock);
  boardA.attach(writer);
  const detachB = boardB.attach(reader);
  const s1 = a.replicate(true);
  const s2 = b.replicate(false);
  s1.pipe(s2).pipe(s1);
  t.teardown(async () => {
    boardA.close();
    boardB.close();
    s1.destroy();
    s2.destroy();
    await a.close();
    await b.close();
  });
  t.true(await waitFor(() => reader.peers.length === 1, 5_000));
  const idA = (s1 as unknown as { publicKey: Buffer }).publicKey.toString('hex');
  boardA.publish(queue(idA, { at: clock.now() }));
  t.true(await waitFor(() => boardB.peers().length === 1, 5_000), 'B heard A');
  t.is(boardB.peers()[0]!.queueWorkSeconds, 40);
  // A changed figure goes out at once; an unchanged one waits for the heartbeat.
  boardA.publish(queue(idA, { queueWorkSeconds: 0, unitsWaiting: 0, at: clock.now() }));
  t.true(await waitFor(() => boardB.peers()[0]?.queueWorkSeconds === 0, 5_000));
  // A station speaking for another is refused, and so is a malformed queue.
  const ext = (reader as unknown as { extensions: Map<string, { send(m: string, p: unknown): void }> }).extensions.get(
    'vpm/queue/v1',
  )!;
  ext.send(JSON.stringify(queue('somebody-else')), reader.peers[0]);
  ext.send(JSON.stringify({ ...queue('x'), workingPrinters: -1 }), reader.peers[0]);
  ext.send('{"id": "not json', reader.peers[0]);
  t.true(await waitFor(() => boardA.rejectedMessages === 3, 5_000), 'A refused all three');
  t.deepEqual(boardA.peers(), []);
  // Quiet for longer than the stale limit: A is no longer offered.
  await clock.tick(QUEUE_STALE_MS + 1);
  t.deepEqual(boardB.peers(), []);
  detachB();
});

test('queue board: a core lets go of the board when it closes, and a detach is idempotent', async (t) => {
  const dir = await tempDir(t, 'vpm-queue-');
  const store = new Corestore(`${dir}/a`);
  t.teardown(() => store.close());
  const board = new QueueBoard(new ManualClock(0));
  t.teardown(() => board.close());
  const first = store.get({ name: 'catalog-1' });
  const second = store.get({ name: 'catalog-2' });
  await Promise.all([first.ready(), second.ready()]);
  board.attach(first);
  const detachSecond = board.attach(second);
  t.is(board.attachedCores, 2);
  await first.close();
  t.is(board.attachedCores, 1, 'the closed core carries queues no more');
  t.is(first.listenerCount('peer-add'), 0, 'nor does the board listen for its peers');
  detachSecond();
  detachSecond();
  t.is(board.attachedCores, 0);
  t.is(second.listenerCount('close'), 0, 'a detached core is not watched for its close');
  board.publish(queue('a'.repeat(64)));
  // A board that closes lets go of the cores still open.
  const third = store.get({ name: 'catalog-3' });
  await third.ready();
  board.attach(third);
  board.close();
  t.is(board.attachedCores, 0);
  t.deepEqual([third.listenerCount('peer-add'), third.listenerCount('close')], [0, 0]);
  await third.close();
});
