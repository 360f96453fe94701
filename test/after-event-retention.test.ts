import test from 'ava';
import { DAY_MS } from '../coordinator/after-event/deps.ts';
import type { FeedPort } from '../coordinator/feed/feed-port.ts';
import { mediaKey } from '../coordinator/media/media-keys.ts';
import {
  asOperator,
  createAfterEventHarness,
  endedEventWithOrder,
  paidReorder,
} from './fixtures/after-event-harness.ts';

test('retention on the manual clock: unsold masters go after the window, bought files stay for their own window, addresses go after shipping + retention', async (t) => {
  // Download links live 60 days here: longer than the reorder window plus its grace period.
  const h = await createAfterEventHarness({ config: { downloadWindowMs: 60 * DAY_MS } });
  t.teardown(() => h.close());
  // A short window for this event: 10 days after it ended (2 days ago).
  const { event, images } = await endedEventWithOrder(h, { images: 4 });
  const settings = (await h.http.get(`/api/events/${event.id}/after-event`).expect(200)).body.settings;
  await h.http
    .put(`/api/events/${event.id}/after-event`)
    .set(asOperator)
    .send({ reorderWindowDays: 10, priceList: settings.priceList })
    .expect(200);
  const bought = await paidReorder(h, {
    eventId: event.id,
    lines: [
      { imageId: images[3]!.id, productId: 'digital_file', quantity: 1 },
      { imageId: images[2]!.id, productId: 'print_5x7', quantity: 1 },
    ],
  });
  await h.http
    .post(`/api/reorders/${bought.reorder.id}/ship`)
    .set(asOperator)
    .send({ carrier: 'DHL', trackingNumber: 'JJD0001' })
    .expect(200);
  // The photos sit on the event's feed (the recording feed port appends nothing by itself).
  for (const [i, img] of images.entries()) {
    await h.store.markImageAppended(img.id, { blockOffset: 2 * i, blockLength: 2, byteOffset: 0, byteLength: 10 }, i);
  }
  const reclaimed: number[] = [];
  (h.feeds as FeedPort).reclaimBlobs = async (_event, blobs) => {
    for (const b of blobs) reclaimed.push(b.blockOffset);
    return blobs.reduce((n, b) => n + b.blockLength, 0);
  };
  const masters = async () =>
    (
      await Promise.all(images.map(async (i) => ((await h.store.getMedia(mediaKey.master(i.id))) ? i.id : null)))
    ).filter((x) => x !== null);
  const all = images.map((i) => i.id);

  // Inside the window and the grace period after it, nothing goes.
  t.deepEqual((await h.ae.retention.sweep()).mastersDeleted, []);
  h.clock.advance(8 * DAY_MS); // window closed (2 + 8 = 10 days after the end)
  t.is(
    (
      await h.http
        .post('/api/reorders')
        .send({ eventId: event.id, lines: [{ imageId: all[0], productId: 'digital_file', quantity: 1 }] })
    ).status,
    410,
  );
  t.deepEqual((await h.ae.retention.sweep()).mastersDeleted, []);
  t.deepEqual((await masters()).sort(), [...all].sort());

  // N (30) days after the window: unsold masters and their renditions are gone; the bought file stays.
  h.clock.advance(h.config.unsoldRetentionMs);
  const report = await h.ae.retention.sweep();
  t.deepEqual(report.eventsPurged, [event.id]);
  t.deepEqual(report.mastersDeleted.sort(), [all[0], all[1], all[2]].sort());
  t.deepEqual(await masters(), [all[3]]);
  t.deepEqual(reclaimed.sort(), [0, 2, 4], 'their feed blocks are cleared too (feed-reclaim test: on a real feed)');
  t.is(report.feedBlocksCleared, 6);
  t.is(await h.store.getMedia(mediaKey.thumbnail(all[0]!)), null);
  t.is(await h.store.getMedia(mediaKey.preview(all[0]!)), null);
  t.is((await h.http.get(bought.downloads[0]!.url)).status, 200, 'the bought file still downloads');
  // The gallery's reorder form is closed for good.
  t.is((await h.http.get(`/e/${event.id}/reorder`)).status, 410);

  // Shipped 38 days ago: the address stays until shipped + 90 days, then goes; the order stays. By
  // then the file's own window (60 days from payment) has passed too, and its master goes.
  t.not((await h.reorders.getReorder(bought.reorder.id))!.address, null);
  h.clock.advance(h.config.addressRetentionMs - 38 * DAY_MS);
  const late = await h.ae.retention.sweep();
  t.deepEqual(late.addressesErased, [bought.reorder.id]);
  t.deepEqual(late.mastersDeleted, [all[3]]);
  const kept = (await h.reorders.getReorder(bought.reorder.id))!;
  t.is(kept.address, null);
  t.is(kept.totalCents, bought.reorder.totalCents);
  t.is(kept.trackingNumber, 'JJD0001');
  t.deepEqual(await masters(), []);
  t.is((await h.http.get(bought.downloads[0]!.url)).status, 410);
  t.deepEqual(await h.ae.retention.sweep(), {
    mastersDeleted: [],
    eventsPurged: [],
    addressesErased: [],
    feedBlocksCleared: 0,
  });
});
