import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import Database from 'better-sqlite3';
import { SQLITE_SCHEMA_VERSION } from '../coordinator/store/sqlite-schema.ts';
import { SqliteStore } from '../coordinator/store/sqlite-store.ts';
import { AppError } from '../shared/errors.ts';
import { CLAIM_TTL_MS, orderRecord, printerRecord, T0 } from './fixtures/store-records.ts';
import { storeContract } from './store-contract.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = join(HERE, '..');
const WORKER = join(HERE, 'fixtures', 'sqlite-claim-worker.ts');
const WORKER_COUNT = 4;
const ATTEMPTS_PER_WORKER = 50;
const WORKER_DEADLINE_MS = 60_000;

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vpm-sqlite-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function openStore(t: ExecutionContext, path: string): Promise<SqliteStore> {
  const store = new SqliteStore({ path });
  t.teardown(() => store.close());
  await store.ready();
  return store;
}

storeContract('sqlite file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vpm-sqlite-'));
  const store = new SqliteStore({ path: join(dir, 'store.db') });
  const cleanup = async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await store.ready();
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { store, cleanup };
});

test('sqlite: redeemOrderByCode tells every renewal, concurrent ones too (one new claim in 200 calls)', async (t) => {
  const store = await openStore(t, join(await tempDir(t), 'store.db'));
  await store.insertOrder(orderRecord('o1'));
  const results = await Promise.all(
    Array.from({ length: 200 }, (_, i) => store.redeemOrderByCode('CODE-o1', `p${i % 10}`, 'v1', T0, CLAIM_TTL_MS)),
  );
  const claimed = results.filter((r) => r.outcome === 'claimed');
  t.is(claimed.length, 20);
  // The claim and the renewal check are one step inside the group commit: only the first is new.
  t.is(claimed.filter((r) => !r.renewed).length, 1);
});

test('sqlite: the file is in WAL mode and survives a reopen', async (t) => {
  const path = join(await tempDir(t), 'store.db');
  const first = new SqliteStore({ path });
  await first.ready();
  await first.insertOrder(orderRecord('o1'));
  await first.close();

  const raw = new Database(path, { readonly: true });
  t.teardown(() => raw.close());
  t.is(raw.pragma('journal_mode', { simple: true }), 'wal');

  const second = await openStore(t, path);
  t.deepEqual(await second.getOrder('o1'), orderRecord('o1'));
});

test('sqlite: a schema-1 file is migrated on open: printers keep their records and get card readers, one printer each', async (t) => {
  const path = join(await tempDir(t), 'store.db');
  // The printers table as schema 1 wrote it (no card_reader_id column); the rest is created on open.
  const old = new Database(path);
  old.exec(`CREATE TABLE printers (id TEXT PRIMARY KEY, venue_id TEXT NOT NULL, paired_at INTEGER NOT NULL, doc TEXT NOT NULL);
            CREATE INDEX printers_by_venue ON printers (venue_id, paired_at);`);
  const insert = old.prepare('INSERT INTO printers (id, venue_id, paired_at, doc) VALUES (?, ?, ?, ?)');
  for (const p of [printerRecord('k1', 'v1'), printerRecord('k2', 'v1', { pairedAt: T0 + 1 })]) {
    insert.run(p.id, p.venueId, p.pairedAt, JSON.stringify(p));
  }
  old.pragma('user_version = 1');
  old.close();

  const store = new SqliteStore({ path });
  await store.ready();
  t.deepEqual(await store.getPrinter('k1'), printerRecord('k1', 'v1'), 'the record is as it was');
  t.like(await store.setPrinterCardReader('k1', 'tmr_a'), { cardReaderId: 'tmr_a' });
  await t.throwsAsync(store.setPrinterCardReader('k2', 'tmr_a'), { code: 'store_conflict' });
  await store.close();

  const raw = new Database(path, { readonly: true });
  t.teardown(() => raw.close());
  t.is(raw.pragma('user_version', { simple: true }), SQLITE_SCHEMA_VERSION);
  t.deepEqual(raw.prepare('SELECT id, card_reader_id AS reader FROM printers ORDER BY id').all(), [
    { id: 'k1', reader: 'tmr_a' },
    { id: 'k2', reader: null },
  ]);
  // Opening the migrated file again changes nothing and keeps the rule.
  const again = await openStore(t, path);
  t.is((await again.getPrinter('k1'))?.cardReaderId, 'tmr_a');
  await t.throwsAsync(again.setPrinterCardReader('k2', 'tmr_a'), { code: 'store_conflict' });
});

test('sqlite: :memory: works for quick use', async (t) => {
  const store = await openStore(t, ':memory:');
  await store.insertOrder(orderRecord('o1'));
  t.is((await store.claimOrder('o1', 'p', T0, 1000)).outcome, 'claimed');
});

test('sqlite: a store that is not ready says so', async (t) => {
  const store = new SqliteStore({ path: ':memory:' });
  const err = await t.throwsAsync(store.getOrder('o1'), { instanceOf: AppError });
  t.is(err?.code, 'store_not_ready');
});

test('sqlite: two connections to one file claim exactly once', async (t) => {
  const path = join(await tempDir(t), 'store.db');
  const a = await openStore(t, path);
  const b = await openStore(t, path);
  await a.insertOrder(orderRecord('o1'));
  t.is((await b.claimOrder('o1', 'pB', T0, 60_000)).outcome, 'claimed');
  t.is((await a.claimOrder('o1', 'pA', T0 + 1, 60_000)).outcome, 'held_by_other');
  t.is((await a.getOrder('o1'))?.claim?.printerId, 'pB');
});

interface WorkerReport {
  identity: string;
  outcomes: string[];
}

function withDeadline<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer within ${WORKER_DEADLINE_MS} ms`)),
      WORKER_DEADLINE_MS,
    );
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Starts the workers, releases them together, and collects each one's outcomes. */
async function race(t: ExecutionContext, dbPath: string, mode: 'claim' | 'lease', target: string) {
  const children: ChildProcess[] = [];
  t.teardown(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const workers = Array.from({ length: WORKER_COUNT }, (_, i) => {
    const identity = `${mode}-worker-${i}`;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', WORKER, dbPath, mode, identity, target, String(ATTEMPTS_PER_WORKER)],
      { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    children.push(child);
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const next = async (): Promise<string> => {
      const line = await lines.next();
      if (line.done) throw new Error(`${identity} exited with ${await exited} before answering`);
      return line.value;
    };
    return { child, next, exited };
  });
  for (const worker of workers) t.is(await withDeadline(worker.next(), 'worker start'), 'ready');
  for (const worker of workers) worker.child.stdin!.end('go\n');
  const reports: WorkerReport[] = [];
  for (const worker of workers) reports.push(JSON.parse(await withDeadline(worker.next(), 'worker result')));
  for (const worker of workers) t.is(await withDeadline(worker.exited, 'worker exit'), 0);
  return reports;
}

test.serial('sqlite: worker processes racing claimOrder on one file claim exactly once', async (t) => {
  const dbPath = join(await tempDir(t), 'shared.db');
  const setup = await openStore(t, dbPath);
  await setup.insertOrder(orderRecord('o1'));

  const reports = await race(t, dbPath, 'claim', 'o1');
  const winners = reports.filter((r) => r.outcomes.includes('claimed'));
  t.is(winners.length, 1, 'exactly one printer id ever got "claimed"');
  t.true(
    winners[0]!.outcomes.every((o) => o === 'claimed'),
    "the winner's retries are renewals",
  );
  for (const report of reports) {
    t.is(report.outcomes.length, ATTEMPTS_PER_WORKER);
    if (report !== winners[0])
      t.true(
        report.outcomes.every((o) => o === 'held_by_other'),
        report.identity,
      );
  }
  t.is((await setup.getOrder('o1'))?.claim?.printerId, winners[0]!.identity);
});

test.serial('sqlite: worker processes racing acquireLease on one file get one holder', async (t) => {
  const dbPath = join(await tempDir(t), 'shared.db');
  await openStore(t, dbPath);

  const reports = await race(t, dbPath, 'lease', 'feed/e1');
  const holders = reports.filter((r) => r.outcomes.includes('acquired'));
  t.is(holders.length, 1, 'exactly one process ever held the lease');
  t.true(
    holders[0]!.outcomes.every((o) => o === 'acquired'),
    'the holder keeps renewing',
  );
  for (const report of reports) {
    if (report !== holders[0])
      t.true(
        report.outcomes.every((o) => o === 'refused'),
        report.identity,
      );
  }
});
