import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import test from 'ava';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../coordinator/app.ts';
import { configSchema } from '../coordinator/config.ts';
import { Coordinator } from '../coordinator/coordinator.ts';
import { SqliteStore } from '../coordinator/store/sqlite-store.ts';
import { StoreHealth, sqliteQuickCheck } from '../coordinator/store/store-health.ts';
import { createHarness } from './fixtures/app-harness.ts';
import { startBootstrap, tempDir } from './fixtures/feed-fixtures.ts';

const PAGE_BYTES = 4096;

/** A store with enough rows to span many pages, then one page in the middle overwritten with junk. */
async function damagedStore(dir: string): Promise<string> {
  const path = join(dir, 'coordinator.sqlite');
  const store = new SqliteStore({ path });
  await store.ready();
  // Payment events: a table nothing reads at start, so the coordinator starts and must still notice.
  for (let i = 0; i < 2000; i++) {
    await store.recordPaymentEvent({
      id: `evt-${i}-${'x'.repeat(100)}`,
      orderId: `order-${i}`,
      type: 'payment.succeeded',
      receivedAt: i,
    });
  }
  await store.close();
  const size = (await stat(path)).size;
  const pages = Math.floor(size / PAGE_BYTES);
  const file = await open(path, 'r+');
  // A leaf page of the payment events keeps its header; its cell pointers now point past the page.
  const CELL_POINTERS_AT = 8;
  await file.write(Buffer.alloc(32, 0xff), 0, 32, Math.floor(pages * 0.7) * PAGE_BYTES + CELL_POINTERS_AT);
  await file.close();
  return path;
}

test('quick_check finds a damaged page; a sound file reports nothing', async (t) => {
  const dir = await tempDir(t, 'vpm-health-');
  t.deepEqual(sqliteQuickCheck(join(dir, 'missing.sqlite')).length, 1, 'a missing file is a problem too');
  const path = await damagedStore(dir);
  const problems = sqliteQuickCheck(path);
  t.true(problems.length > 0);
  t.log(problems.slice(0, 2));
  const h = await createHarness();
  t.teardown(() => h.close());
  t.deepEqual(sqliteQuickCheck(h.storePath), []);
});

test('/healthz: 503 "degraded" with the store problems; damage errors met by requests count too', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const health = new StoreHealth();
  const http = request(createApp({ ...h.deps, storeHealth: health }).callback());
  t.deepEqual((await http.get('/healthz').expect(200)).body, { status: 'ok' });
  const damage = Object.assign(new Error('database disk image is malformed'), { code: 'SQLITE_CORRUPT' });
  t.false(health.noteError(new Error('just a bug'), 1));
  t.true(health.noteError(damage, 2));
  const res = await http.get('/healthz');
  t.is(res.status, 503);
  t.is(res.body.status, 'degraded');
  t.is(res.body.store.lastError.code, 'SQLITE_CORRUPT');
});

test('a coordinator started on a damaged SQLite file says so in its log and in /healthz', async (t) => {
  const dir = await tempDir(t, 'vpm-health-');
  await damagedStore(dir);
  const bootstrap = await startBootstrap(t);
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      cb();
    },
  });
  const coordinator = new Coordinator(
    configSchema.parse({ port: 0, dataDir: dir, dhtBootstrap: bootstrap.map((b) => `${b.host}:${b.port}`).join(',') }),
    pino({ level: 'error' }, sink),
  );
  t.teardown(() => coordinator.close());
  await coordinator.ready();
  t.truthy(lines.find((l) => /SQLite store is damaged/.test(String(l.msg))));
  const res = await fetch(`${coordinator.url}/healthz`);
  t.is(res.status, 503);
  const body = (await res.json()) as { status: string; store: { problems: string[] } };
  t.is(body.status, 'degraded');
  t.true(body.store.problems.length > 0);
});
