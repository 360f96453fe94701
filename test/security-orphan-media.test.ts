import { join } from 'node:path';
import test from 'ava';
import pino from 'pino';
import { configSchema } from '../coordinator/config.ts';
import { Coordinator } from '../coordinator/coordinator.ts';
import { mediaKey } from '../coordinator/media/media-keys.ts';
import { removeOrphanMedia } from '../coordinator/media/orphan-media.ts';
import { SqliteStore } from '../coordinator/store/sqlite-store.ts';
import { createHarness, seedVenue } from './fixtures/app-harness.ts';
import { startBootstrap, tempDir } from './fixtures/feed-fixtures.ts';

const ghost = { bytes: Buffer.from('half an upload'), contentType: 'image/jpeg' };

test('media keys are listed by prefix, in pages', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  for (const key of ['master/a', 'master/b_', 'master/c', 'preview/a', 'masters/x']) await h.store.putMedia(key, ghost);
  t.deepEqual(await h.store.listMediaKeys('master/', null, 10), ['master/a', 'master/b_', 'master/c']);
  t.deepEqual(await h.store.listMediaKeys('master/', null, 2), ['master/a', 'master/b_']);
  t.deepEqual(await h.store.listMediaKeys('master/', 'master/b_', 2), ['master/c']);
  t.deepEqual(await h.store.listMediaKeys('preview/', null, 10), ['preview/a']);
});

test('media no image record points at (an upload killed between its writes) are removed; the rest is kept', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { images } = await seedVenue(h, { images: 1, printers: 0 });
  for (const key of Object.values(mediaKey)) await h.store.putMedia(key('ghost-upload'), ghost);
  const removed = await removeOrphanMedia(h.store);
  t.deepEqual(removed.sort(), ['master/ghost-upload', 'preview/ghost-upload', 'thumbnail/ghost-upload']);
  for (const key of Object.values(mediaKey)) {
    t.is(await h.store.getMedia(key('ghost-upload')), null);
    t.truthy(await h.store.getMedia(key(images[0]!.id)), 'a real image keeps its media');
  }
});

test('a coordinator removes orphaned print masters at start', async (t) => {
  const dir = await tempDir(t, 'vpm-orphans-');
  const path = join(dir, 'coordinator.sqlite');
  const before = new SqliteStore({ path });
  await before.ready();
  await before.putMedia(mediaKey.master('killed-mid-upload'), ghost);
  await before.close();
  const bootstrap = await startBootstrap(t);
  const coordinator = new Coordinator(
    configSchema.parse({ port: 0, dataDir: dir, dhtBootstrap: bootstrap.map((b) => `${b.host}:${b.port}`).join(',') }),
    pino({ level: 'silent' }),
  );
  t.teardown(() => coordinator.close());
  await coordinator.ready();
  const after = new SqliteStore({ path });
  await after.ready();
  t.teardown(() => after.close());
  t.is(await after.getMedia(mediaKey.master('killed-mid-upload')), null);
});
