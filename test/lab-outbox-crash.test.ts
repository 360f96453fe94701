import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { LAB_LEASE_MS } from '../coordinator/after-event/lab-dispatcher.ts';
import { SqliteReorderStore } from '../coordinator/after-event/sqlite-reorder-store.ts';
import { HotFolderLab } from '../coordinator/lab/hot-folder-lab.ts';
import { cryptoRandom } from '../shared/ports/random.ts';
import { LAB_STATUS_FORMAT } from '../shared/protocol/lab-manifest.ts';
import { createAfterEventHarness, endedEventWithOrder, SHIP_TO } from './fixtures/after-event-harness.ts';

const WORKER = fileURLToPath(new URL('./fixtures/lab-outbox-worker.ts', import.meta.url));
const WORKER_TIMEOUT_MS = 60_000;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function runWorker(env: Record<string, string>): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), WORKER_TIMEOUT_MS);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

/** An ended event and `n` placed (unpaid) reorders, in a directory the workers reopen. */
async function setup(t: import('ava').ExecutionContext, n: number, withDigital = false) {
  const dir = await mkdtemp(join(tmpdir(), 'vpm-outbox-crash-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const start = Date.now();
  const h = await createAfterEventHarness({
    dir,
    clockStart: start,
    lab: () => new HotFolderLab({ root: join(dir, 'lab'), random: cryptoRandom }),
  });
  const { event, images } = await endedEventWithOrder(h, { images: 2 });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await h.http
      .post('/api/reorders')
      .send({
        eventId: event.id,
        lines: [
          { imageId: images[i % 2]!.id, productId: 'print_8x10', quantity: 1 },
          ...(withDigital ? [{ imageId: images[1]!.id, productId: 'digital_file', quantity: 1 }] : []),
        ],
        shippingMethodId: 'standard',
        address: SHIP_TO,
      })
      .expect(201);
    ids.push(res.body.reorder.id);
  }
  await h.close();
  const env = (phase: string, fault: string, clockStart = start) => ({
    VPM_DIR: dir,
    PHASE: phase,
    FAULT: fault,
    CLOCK_START: String(clockStart),
    REORDER_IDS: ids.join(','),
  });
  /** Opens the reorder store read-side (between worker runs), closes it after `fn`. */
  const inspect = async <T>(fn: (s: SqliteReorderStore) => Promise<T>): Promise<T> => {
    const s = new SqliteReorderStore({ path: join(dir, 'reorders.sqlite') });
    await s.ready();
    try {
      return await fn(s);
    } finally {
      await s.close();
    }
  };
  return { dir, ids, env, inspect, start };
}

async function status(dir: string, name: string, body: Record<string, unknown>) {
  await writeFile(
    join(dir, 'lab', 'status', name),
    JSON.stringify({ format: LAB_STATUS_FORMAT, at: '2026-12-06T10:00:00Z', ...body }),
  );
}

test('kill -9 between payment and hand-off, during hand-off and before a status is acknowledged: every job reaches the lab exactly once', async (t) => {
  t.timeout(4 * WORKER_TIMEOUT_MS);
  const { dir, ids, env, inspect, start } = await setup(t, 3);

  // 1. Payments are committed with their outbox jobs; the process dies before any hand-off.
  const paid = await runWorker(env('pay', 'after_payment'));
  t.is(paid.signal, 'SIGKILL', paid.stderr);
  await inspect(async (s) => {
    for (const id of ids) {
      t.is((await s.getReorder(id))!.state, 'paid');
      t.deepEqual(
        (await s.listLabJobs(id)).map((j) => j.state),
        ['pending'],
      );
    }
  });
  t.deepEqual(await readdir(join(dir, 'lab')).catch(() => []), [], 'nothing handed off yet');

  // 2. The lab gets the first package; the process dies before the outbox records it.
  const handoff = await runWorker(env('dispatch', 'after_handoff'));
  t.is(handoff.signal, 'SIGKILL', handoff.stderr);
  const first = await readdir(join(dir, 'lab', 'orders'));
  t.is(first.length, 1);
  const before = await stat(join(dir, 'lab', 'orders', first[0]!, 'manifest.json'));
  await inspect(async (s) => t.is((await s.listLabJobs(first[0]!.split('.')[0]!))[0]!.state, 'pending'));

  // 3. A restart after the crashed process's lease ran out finishes the outbox.
  const resumed = await runWorker(env('dispatch', '', start + LAB_LEASE_MS + 1));
  t.is(resumed.code, 0, resumed.stderr);
  const packages = (await readdir(join(dir, 'lab', 'orders'))).sort();
  t.deepEqual(packages, ids.map((id) => `${id}.1`).sort(), 'one package per reorder, none lost, none twice');
  const after = await stat(join(dir, 'lab', 'orders', first[0]!, 'manifest.json'));
  t.deepEqual(
    [after.ino, after.mtimeMs],
    [before.ino, before.mtimeMs],
    'the package handed off before the crash was not written again',
  );
  t.deepEqual(await readdir(join(dir, 'lab', '.partial')), []);
  await inspect(async (s) => {
    for (const id of ids) {
      t.is((await s.getReorder(id))!.state, 'sent_to_lab');
      t.deepEqual(
        (await s.listLabJobs(id)).map((j) => j.state),
        ['handed_off'],
      );
    }
  });

  // 4. The lab ships everything; the process dies after applying the first status, before acknowledging it.
  for (const [i, id] of ids.entries()) {
    await status(dir, `000${i}-${id}.json`, {
      jobId: `${id}.1`,
      status: 'shipped',
      carrier: 'DHL',
      trackingNumber: `JJD00${i}1234`,
    });
  }
  const ack = await runWorker(env('status', 'before_ack', start + LAB_LEASE_MS + 2));
  t.is(ack.signal, 'SIGKILL', ack.stderr);
  const again = await runWorker(env('status', '', start + LAB_LEASE_MS + 3));
  t.is(again.code, 0, again.stderr);
  await inspect(async (s) => {
    for (const [i, id] of ids.entries()) {
      const r = (await s.getReorder(id))!;
      t.is(r.state, 'shipped');
      t.is(r.trackingNumber, `JJD00${i}1234`);
    }
  });
  t.is((await readdir(join(dir, 'lab', 'status', 'done'))).length, 3);
});

test('kill -9 right after the refund of a rejected job: refunded once, and the order says so', async (t) => {
  t.timeout(4 * WORKER_TIMEOUT_MS);
  const { dir, ids, env, inspect, start } = await setup(t, 1, true);
  t.is((await runWorker(env('pay', ''))).code, 0);
  t.is((await runWorker(env('dispatch', ''))).code, 0);
  await status(dir, '0001.json', { jobId: `${ids[0]}.1`, status: 'rejected', reason: 'print file damaged' });
  const crashed = await runWorker(env('status', 'after_refund', start + 1));
  t.is(crashed.signal, 'SIGKILL', crashed.stderr);
  await inspect(async (s) => t.is((await s.getReorder(ids[0]!))!.state, 'rejected', 'refund made, not yet recorded'));
  const resumed = await runWorker(env('status', '', start + 2));
  t.is(resumed.code, 0, resumed.stderr);
  const again = await runWorker(env('status', '', start + 3));
  t.is(again.code, 0, again.stderr);

  const lines = async (f: string) =>
    (await readFile(join(dir, f), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  const refunds = await lines('refunds.jsonl');
  t.is(refunds.length, 1, 'one refund at the provider');
  t.is((await lines('refund-calls.jsonl')).length, 2, 'asked twice (before and after the crash), with one key');
  await inspect(async (s) => {
    const r = (await s.getReorder(ids[0]!))!;
    t.is(r.state, 'refunded');
    t.is(r.refundId, refunds[0].refundId);
    t.is(r.refundCents, r.labPartCents);
    t.is(refunds[0].amountCents, r.labPartCents);
    t.true(r.labPartCents < r.totalCents, 'the delivered digital file is not refunded');
  });
});
