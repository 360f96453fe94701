import { execFile } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import pino from 'pino';
import { configSchema } from '../coordinator/config.ts';
import { Coordinator } from '../coordinator/coordinator.ts';
import { api, uploadImage } from '../tools/venue-kit/http.ts';
import { noisyJpeg } from '../tools/venue-kit/photos.ts';
import { startBootstrap, tempDir } from './fixtures/feed-fixtures.ts';

const run = promisify(execFile);

/**
 * The backup and restore the README describes: stop the coordinator, `cp -a` its data dir, and to
 * restore on the same or another machine, copy it back and remove the feed storage's device file
 * (`corestore/CORESTORE`), which records the inode it was created on and refuses a copy.
 */
test('backup with cp -a, restore: the copy starts only once its device file is removed, with every record and feed', async (t) => {
  t.timeout(120_000);
  const root = await tempDir(t, 'vpm-restore-');
  const bootstrap = await startBootstrap(t);
  const dht = bootstrap.map((b) => `${b.host}:${b.port}`).join(',');
  const config = (dir: string) => configSchema.parse({ port: 0, dataDir: dir, dhtBootstrap: dht, logLevel: 'silent' });
  const original = join(root, 'coordinator');
  const first = new Coordinator(config(original), pino({ level: 'silent' }));
  await first.ready();
  const operator = (await readFile(join(original, 'operator-token'), 'utf8')).trim();
  const venue = (
    await api<{ venue: { id: string } }>(first.url, 'POST', '/api/venues', { token: operator, body: { name: 'Arena' } })
  ).body.venue;
  const now = Date.now();
  const event = (
    await api<{ event: { id: string } }>(first.url, 'POST', '/api/events', {
      token: operator,
      body: {
        venueId: venue.id,
        name: 'Final',
        startsAt: now,
        endsAt: now + 3_600_000,
        priceList: { currency: 'EUR', unitPriceCents: 500, bundles: [] },
      },
    })
  ).body.event;
  const upload = await uploadImage(first.url, event.id, operator, await noisyJpeg(1, 400), 'a.jpg');
  t.is(upload.status, 201);
  await first.close();

  const backup = join(root, 'backup');
  await run('cp', ['-a', original, backup]);
  const restored = join(root, 'restored');
  await run('cp', ['-a', backup, restored]);

  // As copied, the feed storage refuses to open (it would otherwise let two copies append).
  const refused = new Coordinator(config(restored), pino({ level: 'silent' }));
  await t.throwsAsync(refused.ready(), { message: /device file/i });
  await refused.close();

  await rm(join(restored, 'corestore', 'CORESTORE'));
  const second = new Coordinator(config(restored), pino({ level: 'silent' }));
  t.teardown(() => second.close());
  await second.ready();
  const images = await api<{ images: Array<{ id: string }> }>(second.url, 'GET', `/api/events/${event.id}/images`, {
    token: operator,
  });
  t.is(images.status, 200);
  t.deepEqual(
    images.body.images.map((i) => i.id),
    [upload.body.image.id],
    'records, credentials and photos came back',
  );
  t.is((await fetch(`${second.url}/healthz`)).status, 200);
});
