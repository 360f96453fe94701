import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import Corestore from 'corestore';
import { EventFeeds } from '../coordinator/feed/event-feeds.ts';
import type { EventRecord } from '../coordinator/store/records.ts';
import { EventReplica } from '../edge-node/mesh/event-replica.ts';
import { deriveEventFeedKeyPairs, FEED_BLOCK_BYTES } from '../shared/feed/feed-layout.ts';
import {
  feedEventRecord,
  feedImage as image,
  pipeStores,
  sha256Hex,
  tempDir,
  waitFor,
} from './fixtures/feed-fixtures.ts';

async function openFeeds(t: ExecutionContext, dir: string): Promise<EventFeeds> {
  const feeds = new EventFeeds({ storageDir: join(dir, 'corestore') });
  await feeds.ready();
  t.teardown(() => feeds.close());
  return feeds;
}

const event: EventRecord = feedEventRecord('ev-feeds', 'v1');

test('descriptor is pure and names the cores the feed opens', async (t) => {
  const feeds = await openFeeds(t, await tempDir(t));
  const feed = await feeds.openEvent(event);
  const descriptor = EventFeeds.eventDescriptor(event);
  t.deepEqual(feed.descriptor(), descriptor);
  t.is(descriptor.blobsKey, event.blobsKey);
  t.is(descriptor.catalogKey, event.catalogKey);
  t.is(await feeds.openEvent(event), feed, 'openEvent is cached');
  await t.throwsAsync(feeds.openEvent({ ...feedEventRecord('other', 'v1'), blobsKey: event.blobsKey }), {
    message: /do not come from its feed seed/,
  });
  // A record holding the signer public keys (not the manifest core keys) is refused: printers
  // would open cores nobody writes.
  const pairs = deriveEventFeedKeyPairs(Buffer.from(event.feedSeed, 'hex'));
  t.not(pairs.blobs.publicKey.toString('hex'), descriptor.blobsKey, 'a manifest core key is not the signer key');
  await t.throwsAsync(
    feeds.openEvent({ ...event, id: 'ev-signer-keys', blobsKey: pairs.blobs.publicKey.toString('hex') }),
    { message: /do not come from its feed seed/ },
  );
});

test('appendBatch writes blobs and catalog entries with consecutive seq and is idempotent by image id', async (t) => {
  const dir = await tempDir(t);
  const feeds = await openFeeds(t, dir);
  const feed = await feeds.openEvent(event);
  const a = image('img-a', 2 * FEED_BLOCK_BYTES + 5, 1);
  const b = image('img-b', 100, 2);
  const c = image('img-c', FEED_BLOCK_BYTES, 3);

  const first = await feed.appendBatch([a, b, a]);
  t.deepEqual(
    first.map((e) => [e.imageId, e.seq]),
    [
      ['img-a', 0],
      ['img-b', 1],
      ['img-a', 0],
    ],
  );
  t.deepEqual(first[0]?.blob, { blockOffset: 0, blockLength: 3, byteOffset: 0, byteLength: a.bytes.byteLength });
  t.like(first[1], { sha256: b.sha256, byteLength: 100, width: 1200, height: 800, mime: 'image/jpeg' });
  const head1 = feed.head();
  t.is(head1.blobsLength, 4);
  t.true(head1.catalogLength >= 3, 'hyperbee header + one batch of entries');

  // A retry after a crash: already appended images come back unchanged, nothing is appended twice.
  const second = await feed.appendBatch([b, c, a]);
  t.deepEqual(
    second.map((e) => [e.imageId, e.seq]),
    [
      ['img-b', 1],
      ['img-c', 2],
      ['img-a', 0],
    ],
  );
  t.deepEqual(second[0], first[1]);
  t.is(feed.head().blobsLength, 5);
  t.is(await feed.imageCount(), 3);

  const again = await feed.appendBatch([a, b, c]);
  t.deepEqual(again, [second[2], second[0], second[1]]);
  const head2 = feed.head();
  t.deepEqual(head2, { blobsLength: 5, catalogLength: head2.catalogLength });

  for (const [img, entry] of [
    [a, second[2]],
    [b, second[0]],
    [c, second[1]],
  ] as const) {
    if (entry === undefined) throw new Error('missing entry');
    const bytes = await feed.readImage(entry);
    t.is(bytes === null ? null : sha256Hex(bytes), img.sha256);
  }
  t.deepEqual(
    (await feed.entries()).map((e) => e.imageId),
    ['img-a', 'img-b', 'img-c'],
  );
  t.is(feed.stats().blobs.byteLength, a.bytes.byteLength + b.bytes.byteLength + c.bytes.byteLength);

  // Idempotency survives a restart (the crashed holder's corestore is reopened).
  await feeds.close();
  const reopened = await openFeeds(t, dir);
  const feed2 = await reopened.openEvent(event);
  t.deepEqual(feed2.head(), head2);
  t.deepEqual(await feed2.appendBatch([c]), [second[1]]);
  t.deepEqual(feed2.head(), head2);
  const d = await feed2.appendBatch([image('img-d', 10, 4)]);
  t.is(d[0]?.seq, 3);
});

test('a reader without the encryption key cannot read the plaintext; one with it can', async (t) => {
  const writerFeeds = await openFeeds(t, await tempDir(t));
  const feed = await writerFeeds.openEvent(event);
  const secret = image('img-secret', FEED_BLOCK_BYTES, 42);
  const [entry] = await feed.appendBatch([secret]);
  if (entry === undefined) throw new Error('no entry');
  const descriptor = feed.descriptor();

  const blind = new Corestore(await tempDir(t));
  t.teardown(() => blind.close());
  const keyed = new Corestore(await tempDir(t));
  t.teardown(() => keyed.close());
  pipeStores(t, writerFeeds.corestore, blind);
  pipeStores(t, writerFeeds.corestore, keyed);

  const blindCore = blind.get({ key: Buffer.from(descriptor.blobsKey, 'hex') });
  await blindCore.ready();
  const raw = await blindCore.get(entry.blob.blockOffset, { timeout: 10_000 });
  t.truthy(raw, 'a blind seeder still replicates the block');
  if (raw === null) return;
  t.false(raw.equals(secret.bytes));
  t.is(raw.indexOf(secret.bytes.subarray(100, 164)), -1, 'no plaintext run appears in the replicated block');

  const keyedCore = keyed.get({
    key: Buffer.from(descriptor.blobsKey, 'hex'),
    encryption: { key: Buffer.from(descriptor.encryptionKey, 'hex') },
  });
  await keyedCore.ready();
  const plain = await keyedCore.get(entry.blob.blockOffset, { timeout: 10_000 });
  t.true(plain?.equals(secret.bytes));
});

test('waitForHead: a second replica catches up by replication, and gives up at the timeout', async (t) => {
  const writer = await openFeeds(t, await tempDir(t));
  const replica = await openFeeds(t, await tempDir(t));
  const writerFeed = await writer.openEvent(event);
  const replicaFeed = await replica.openEvent(event);

  const started = Date.now();
  t.false(await replicaFeed.waitForHead({ blobsLength: 1, catalogLength: 1 }, 300), 'no peers: times out');
  t.true(Date.now() - started < 2000);

  await writerFeed.appendBatch([image('img-1', 3 * FEED_BLOCK_BYTES, 7), image('img-2', 999, 8)]);
  pipeStores(t, writer.corestore, replica.corestore);
  t.true(await replicaFeed.waitForHead(writerFeed.head(), 10_000));
  t.true(await replicaFeed.catchUp(writerFeed.head(), 10_000));
  t.deepEqual(replicaFeed.head(), writerFeed.head());
  t.deepEqual(await replicaFeed.entries(), await writerFeed.entries());
  t.false(await replicaFeed.waitForHead({ blobsLength: 99, catalogLength: 0 }, 300), 'lengths nobody has');
});

test('a printer replica answers for the photos it holds when the newest catalog blocks are out of reach', async (t) => {
  // A WAN cut right after a batch: the printer learnt the catalog's new length, not its new blocks.
  const feeds = await openFeeds(t, await tempDir(t));
  const feed = await feeds.openEvent(feedEventRecord('ev-cut', 'v1'));
  await feed.appendBatch([image('img-held', 100, 1)]);
  const store = new Corestore(join(await tempDir(t), 'printer'));
  t.teardown(() => store.close());
  const replica = new EventReplica(store, feed.descriptor(), { onBytes: () => {}, isCloud: () => true });
  await replica.ready();
  t.teardown(() => replica.close());
  const s1 = feeds.corestore.replicate(true);
  const s2 = store.replicate(false);
  s1.on('error', () => {});
  s2.on('error', () => {});
  s1.pipe(s2).pipe(s1);
  t.teardown(() => {
    s1.destroy();
    s2.destroy();
  });
  t.true(
    await waitFor(async () => (await replica.entries()).length === 1, 10_000),
    'the first batch is scanned locally',
  );
  const before = replica.catalog.core.length;
  await feed.appendBatch([image('img-late', 100, 2)]);
  const after = feed.head().catalogLength;
  t.true(await waitFor(() => replica.catalog.core.length === after, 10_000), 'the new length reached the printer');
  s1.destroy();
  s2.destroy();
  await replica.catalog.core.clear(before, after);
  t.false(await replica.catalog.core.has(before, after), 'the newest catalog blocks are gone');

  t.is((await replica.entry('img-held', 300))?.imageId, 'img-held', 'a photo held before the cut is found');
  t.is(await replica.entry('img-late', 300), null, 'the photo of the batch that did not arrive is not');
});
