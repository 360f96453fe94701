import { join } from 'node:path';
import test from 'ava';
import { EventFeeds } from '../coordinator/feed/event-feeds.ts';
import { FEED_BLOCK_BYTES } from '../shared/feed/feed-layout.ts';
import { feedEventRecord, feedImage as image, tempDir } from './fixtures/feed-fixtures.ts';

test('retention clears the feed blocks of unsold photos on disk; the others stay readable, also after a restart', async (t) => {
  const dir = await tempDir(t);
  const event = feedEventRecord('ev-reclaim', 'venue-1');
  const open = async () => {
    const feeds = new EventFeeds({ storageDir: join(dir, 'corestore') });
    await feeds.ready();
    return feeds;
  };
  let feeds = await open();
  let feed = await feeds.openEvent(event);
  const [sold, unsoldA, unsoldB] = await feed.appendBatch([
    image('sold', 2 * FEED_BLOCK_BYTES + 7, 1),
    image('unsold-a', FEED_BLOCK_BYTES + 1, 2),
    image('unsold-b', 300, 3),
  ]);
  const bytesBefore = feed.stats().blobs.byteLength;
  t.is(await feed.clearBlobs([unsoldA!.blob, unsoldB!.blob]), 3);
  t.false(await feed.holdsBlob(unsoldA!.blob));
  t.false(await feed.holdsBlob(unsoldB!.blob));
  t.true(await feed.holdsBlob(sold!.blob));
  t.deepEqual(await feed.readImage(sold!), image('sold', 2 * FEED_BLOCK_BYTES + 7, 1).bytes);
  t.is(feed.head().blobsLength, 6, 'the feed keeps its length: printers see no truncation (no fork)');
  t.is(feed.stats().blobs.byteLength, bytesBefore);
  // Idempotent, and persisted: a restart does not bring the blocks back.
  t.is(await feed.clearBlobs([unsoldB!.blob]), 1);
  await feeds.close();
  feeds = await open();
  t.teardown(() => feeds.close());
  feed = await feeds.openEvent(event);
  t.false(await feed.holdsBlob(unsoldA!.blob));
  t.true(await feed.holdsBlob(sold!.blob));
  await t.throwsAsync(
    feed.readImage(unsoldA!, 200),
    { message: /REQUEST_TIMEOUT/ },
    'a cleared blob cannot be read back',
  );
});
