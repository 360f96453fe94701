import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import Database from 'better-sqlite3';
import { SqliteConnection } from '../coordinator/store/sqlite-connection.ts';

test('group commit: operations of one turn share a transaction; a failing one is rolled back alone', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vpm-group-'));
  const conn = SqliteConnection.open(join(dir, 'db.sqlite'));
  t.teardown(async () => {
    conn.close();
    await rm(dir, { recursive: true, force: true });
  });
  const put = (name: string, holder: string) =>
    conn.sql('INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, 0)').run(name, holder);
  const results = await Promise.allSettled([
    conn.lockedGrouped(() => {
      put('a', 'x');
      return 'first';
    }),
    conn.lockedGrouped(() => {
      put('b', 'x');
      throw new Error('second fails after writing');
    }),
    conn.lockedGrouped(() => {
      put('c', 'x');
      return 'third';
    }),
  ]);
  t.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  const names = (conn.sql('SELECT name FROM leases ORDER BY name').all() as Array<{ name: string }>).map((r) => r.name);
  t.deepEqual(names, ['a', 'c'], "the failing operation's write was rolled back, the others committed");
});

test('group commit: close() commits what was queued', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vpm-group-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'db.sqlite');
  const conn = SqliteConnection.open(path);
  const pending = conn.lockedGrouped(() =>
    conn.sql('INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, 0)').run('late', 'x'),
  );
  conn.close();
  await pending;
  const again = SqliteConnection.open(path);
  t.teardown(() => again.close());
  t.is((again.sql('SELECT COUNT(*) AS n FROM leases').get() as { n: number }).n, 1);
});

test('group commit: while another process holds the write lock, the event loop keeps running and the commit follows', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vpm-group-'));
  const path = join(dir, 'db.sqlite');
  const conn = SqliteConnection.open(path);
  // Stands in for a second coordinator process committing on the same file.
  const other = new Database(path);
  t.teardown(async () => {
    if (other.inTransaction) other.exec('ROLLBACK');
    other.close();
    conn.close();
    await rm(dir, { recursive: true, force: true });
  });
  other.exec('BEGIN IMMEDIATE');
  let committed = false;
  const write = conn
    .lockedGrouped(() => conn.sql('INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, 0)').run('a', 'x'))
    .then(() => {
      committed = true;
    });
  // Blocking in SQLite's busy handler would stall these turns (and, here, never let the lock go).
  for (let turn = 0; turn < 20; turn++) await new Promise((r) => setImmediate(r));
  t.false(committed, 'not committed while the lock is held');
  other.exec('COMMIT');
  await write;
  t.true(committed);
  t.is((conn.sql('SELECT count(*) AS n FROM leases').get() as { n: number }).n, 1);
});
