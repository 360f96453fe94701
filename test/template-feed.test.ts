import { createHash } from 'node:crypto';
import { join } from 'node:path';
import test from 'ava';
import { EventFeeds } from '../coordinator/feed/event-feeds.ts';
import { templateFeedExtension } from '../coordinator/templates/template-feed-extension.ts';
import { type TemplateRecord, templateStoreFor } from '../coordinator/templates/template-store.ts';
import { isTemplateCatalogEntry } from '../shared/templates/template-feed.ts';
import { insertVenueAndEvent, openStore, tempDir } from './fixtures/feed-fixtures.ts';
import { makeFrame } from './fixtures/template-fixtures.ts';

test('a template goes onto its event feed once per version; adjusted windows reuse the frame blob', async (t) => {
  const root = await tempDir(t);
  const store = await openStore(t, root);
  const { event } = await insertVenueAndEvent(store, 'v1', 'ev1');
  const feeds = new EventFeeds({ storageDir: join(root, 'corestore') });
  await feeds.ready();
  t.teardown(() => feeds.close());
  const feed = await feeds.openEvent(event);
  const templates = templateStoreFor(store);
  const extension = templateFeedExtension(store);

  const window = { x: 150, y: 150, width: 900, height: 1200 };
  const png = await makeFrame(1200, 1800, [window]);
  const record: TemplateRecord = {
    id: 'tpl1',
    eventId: event.id,
    name: 'Gold frame',
    kind: 'frame',
    layout: { media: 'na_index-4x6_4x6in', slots: [{ ...window, rotation: 0 }], texts: [] },
    basicFeeCents: 200,
    frame: {
      sha256: createHash('sha256').update(png).digest('hex'),
      byteLength: png.byteLength,
      width: 1200,
      height: 1800,
    },
    version: 1,
    feedVersion: 0,
    feedBlob: null,
    retired: false,
    createdAt: 1,
  };
  await templates.putFrame(record.id, png);
  await templates.put(record);
  t.deepEqual(await templates.eventsWithPending(), [event.id]);

  t.true(await extension.appendPending(event.id, feed));
  t.deepEqual(await templates.eventsWithPending(), [], 'nothing pending once on the feed');
  t.false(await extension.appendPending(event.id, feed), 'a second round appends nothing');
  const blobsAfterFirst = feed.head().blobsLength;
  const v1 = await templates.get(record.id);
  t.is(v1?.feedVersion, 1);
  t.truthy(v1?.feedBlob);

  // The operator moves the window: version 2 goes on the feed with the same frame blob.
  const moved = { ...window, x: 160 };
  await templates.put({ ...v1!, layout: { ...v1!.layout, slots: [{ ...moved, rotation: 0 }] }, version: 2 });
  t.true(await extension.appendPending(event.id, feed));
  t.is(feed.head().blobsLength, blobsAfterFirst, 'the frame was not appended again');
  const v2 = await templates.get(record.id);
  t.is(v2?.feedVersion, 2);
  t.deepEqual(v2?.feedBlob, v1?.feedBlob);

  // What a printer reads: the newest version, its window, and a frame that matches its checksum.
  const images = await feed.entries();
  t.deepEqual(images, [], 'no image entries were added');
  const stored = await feed.templateEntry(record.id);
  t.true(isTemplateCatalogEntry(stored));
  t.is(stored?.version, 2);
  t.deepEqual(stored?.layout.slots[0], { ...moved, rotation: 0 });
  const bytes = await feed.readImage({
    imageId: 'frame',
    seq: -1,
    blob: stored!.frame!.blob,
    byteLength: stored!.frame!.byteLength,
    sha256: stored!.frame!.sha256,
    width: 1200,
    height: 1800,
    mime: 'image/png',
    registeredAt: 0,
  });
  t.is(createHash('sha256').update(bytes!).digest('hex'), record.frame!.sha256);
  t.is(await feed.imageCount(), 0, 'the image counter is untouched');
});
