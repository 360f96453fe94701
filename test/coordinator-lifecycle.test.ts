import { createServer } from 'node:net';
import { join } from 'node:path';
import test from 'ava';
import pino from 'pino';
import { configSchema } from '../coordinator/config.ts';
import { Coordinator } from '../coordinator/coordinator.ts';
import { startBootstrap, tempDir } from './fixtures/feed-fixtures.ts';

/**
 * The coordinator as a composition root: one memoised ready()/close(), and a ready() that fails
 * part-way closes what it had opened (here: the store and the feeds' corestore, which hold locks on
 * the data dir), so a retry on the same data dir succeeds.
 */
test('a failed ready() closes what it opened; ready() and close() are memoised', async (t) => {
  const dir = await tempDir(t, 'vpm-coord-life-');
  const bootstrap = await startBootstrap(t);
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => taken.close(() => resolve())));
  const takenPort = (taken.address() as { port: number }).port;
  const config = (port: number) =>
    configSchema.parse({
      port,
      dataDir: join(dir, 'coordinator'),
      dhtBootstrap: bootstrap.map((b) => `${b.host}:${b.port}`).join(','),
      logLevel: 'silent',
    });

  const failing = new Coordinator(config(takenPort), pino({ level: 'silent' }));
  const first = failing.ready();
  t.is(failing.ready(), first, 'ready() is memoised');
  const err = await t.throwsAsync(first, { code: 'port_in_use' });
  t.regex(err.message, new RegExp(`Port ${takenPort} .*already in use.*VPM_PORT`), 'names the port and its setting');
  t.true(failing.closed, 'the failed open closed every part it had opened');
  t.is(failing.url, '', 'no listener is left');

  // The corestore (feeds) keeps an exclusive lock on its directory while open: this open would fail
  // if the failed start had left it open.
  const second = new Coordinator(config(0), pino({ level: 'silent' }));
  t.teardown(() => second.close());
  await second.ready();
  t.regex(second.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const healthy = await fetch(`${second.url}/healthz`);
  t.is(healthy.status, 200);

  const closing = second.close();
  t.is(second.close(), closing, 'close() is memoised');
  await closing;
  t.true(second.closed);
  await t.throwsAsync(fetch(`${second.url}/healthz`), undefined, 'the HTTP listener is closed');
  await t.throwsAsync(second.ready(), { code: 'shutting_down' }, 'a closed coordinator is not reopened');
});
