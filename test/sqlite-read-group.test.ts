import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { SqliteConnection } from '../coordinator/store/sqlite-connection.ts';

async function openConnection(t: ExecutionContext): Promise<SqliteConnection> {
  const dir = await mkdtemp(join(tmpdir(), 'vpm-reads-'));
  const conn = SqliteConnection.open(join(dir, 'db.sqlite'));
  t.teardown(async () => {
    conn.close();
    await rm(dir, { recursive: true, force: true });
  });
  return conn;
}

const putLease = (conn: SqliteConnection, name: string, holder: string) =>
  conn.sql('INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, 0)').run(name, holder);

test('read group: reads of one turn run together after it, each answered, a failing one alone', async (t) => {
  const conn = await openConnection(t);
  putLease(conn, 'a', 'x');
  const ran: string[] = [];
  const reads = Promise.allSettled([
    conn.readGrouped(() => {
      ran.push('first');
      return conn.sql('SELECT holder FROM leases WHERE name = ?').get('a');
    }),
    conn.readGrouped(() => {
      ran.push('second');
      throw new Error('second fails');
    }),
    conn.readDocGrouped('SELECT holder AS doc FROM leases WHERE name = ?', 'missing'),
  ]);
  t.deepEqual(ran, [], 'nothing runs before the turn ends');
  // Written in the same turn, before the reads run: they see it.
  putLease(conn, 'b', 'y');
  const results = await reads;
  t.deepEqual(ran, ['first', 'second']);
  t.deepEqual(results[0], { status: 'fulfilled', value: { holder: 'x' } });
  t.is(results[1].status, 'rejected');
  t.deepEqual(results[2], { status: 'fulfilled', value: null });
  t.deepEqual(
    await conn.readDocGrouped("SELECT json_object('holder', holder) AS doc FROM leases WHERE name = ?", 'b'),
    {
      holder: 'y',
    },
  );
});

test('read group: close() answers the reads still queued', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vpm-reads-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const conn = SqliteConnection.open(join(dir, 'db.sqlite'));
  putLease(conn, 'a', 'x');
  const read = conn.readGrouped(() => conn.sql('SELECT holder FROM leases WHERE name = ?').get('a'));
  conn.close();
  t.deepEqual(await read, { holder: 'x' });
});
