import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import Corestore from 'corestore';
import { EventFeeds } from '../coordinator/feed/event-feeds.ts';
import { EndedFeeds } from '../edge-node/mesh/ended-feeds.ts';
import { FEED_BLOCK_BYTES } from '../shared/feed/feed-layout.ts';
import { printerProfileSchema } from '../shared/protocol/printer-api.ts';
import {
  asOperator,
  createEvent,
  createHarness,
  HOUR_MS,
  newPrinterKeys,
  printerCall,
  seedEvent,
} from './fixtures/app-harness.ts';
import { feedEventRecord, feedImage as image, tempDir } from './fixtures/feed-fixtures.ts';

test('the printer profile lists an event whose codes have expired as ended, not as a feed to keep', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const now = h.clock.now();
  const { venue, event: current } = await seedEvent(h);
  const window = h.deps.settings.redemptionWindowMs;
  const over = await createEvent(h, venue.id, {
    name: 'Last month',
    startsAt: now - window - 5 * HOUR_MS,
    endsAt: now - window - HOUR_MS,
  });
  const recent = await createEvent(h, venue.id, {
    name: 'Yesterday',
    startsAt: now - 30 * HOUR_MS,
    endsAt: now - 24 * HOUR_MS,
  });
  const printer = newPrinterKeys();
  await h.http
    .post(`/api/venues/${venue.id}/printers`)
    .set(asOperator)
    .send({ publicKey: printer.id, name: 'P1' })
    .expect(201);
  const profile = printerProfileSchema.parse(
    (await printerCall(h, printer, 'get', '/api/printer/me').expect(200)).body,
  );
  t.deepEqual(profile.feeds.map((f) => f.eventId).sort(), [current.id, recent.id].sort());
  t.deepEqual(
    profile.endedFeeds?.map((f) => f.eventId),
    [over.id],
  );
  const stored = (await h.store.getEvent(over.id))!;
  t.like(profile.endedFeeds?.[0], { blobsKey: stored.blobsKey, catalogKey: stored.catalogKey });
});

test('a printer frees the blocks of an ended event’s feed once, and remembers it across restarts', async (t) => {
  const dir = await tempDir(t);
  const event = feedEventRecord('ev-ended', 'venue-1');
  const writer = new EventFeeds({ storageDir: join(dir, 'coordinator') });
  await writer.ready();
  t.teardown(() => writer.close());
  const feed = await writer.openEvent(event);
  await feed.appendBatch([image('a', 3 * FEED_BLOCK_BYTES, 1), image('b', 900, 2)]);
  const descriptor = EventFeeds.eventDescriptor(event);

  // The printer's replica holds every block, as after a day of background sync.
  const printerStore = new Corestore(join(dir, 'printer'));
  await printerStore.ready();
  t.teardown(() => printerStore.close());
  const encryption = { key: Buffer.from(descriptor.encryptionKey, 'hex') };
  const s1 = writer.corestore.replicate(true);
  const s2 = printerStore.replicate(false);
  s1.on('error', () => {});
  s2.on('error', () => {});
  s1.pipe(s2).pipe(s1);
  const lengths: number[] = [];
  for (const key of [descriptor.blobsKey, descriptor.catalogKey]) {
    const core = printerStore.get({ key: Buffer.from(key, 'hex'), encryption });
    await core.ready();
    await core.update({ wait: true });
    await core.download({ start: 0, end: core.length }).done();
    t.is(core.contiguousLength, core.length);
    lengths.push(core.length);
    await core.close();
  }
  s1.destroy();
  s2.destroy();

  const file = join(dir, 'printer-reclaimed.json');
  const closed: string[] = [];
  const ended = new EndedFeeds({ corestore: printerStore, file });
  const first = await ended.reclaim([descriptor], async (id) => {
    closed.push(id);
  });
  t.deepEqual(first, [{ eventId: event.id, blocks: lengths[0]! + lengths[1]! }]);
  t.deepEqual(closed, [event.id], 'the open replica is closed first');
  for (const [i, key] of [descriptor.blobsKey, descriptor.catalogKey].entries()) {
    const core = printerStore.get({ key: Buffer.from(key, 'hex'), encryption });
    await core.ready();
    for (let b = 0; b < lengths[i]!; b++) t.false(await core.has(b), `block ${b} of core ${i} is gone`);
    await core.close();
  }
  t.deepEqual(JSON.parse(await readFile(file, 'utf8')), [event.id]);
  // Once only, also for a new runtime reading the same file (a restart).
  t.deepEqual(await new EndedFeeds({ corestore: printerStore, file }).reclaim([descriptor], async () => t.fail()), []);
});
