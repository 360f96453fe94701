import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { JobLog, type JobRecord } from '../edge-node/jobs/job-log.ts';
import { STORAGE_POLL_MS } from '../edge-node/status/storage-health.ts';
import { api, buyAndPay } from '../tools/venue-kit/http.ts';
import { tempDir, waitFor } from './fixtures/feed-fixtures.ts';
import { printedPhotos, printsPhoto } from './fixtures/print-output.ts';
import { mountTinyFs } from './fixtures/tiny-fs.ts';
import { startVenue, startVenuePrinter, type Venue } from './fixtures/venue-harness.ts';

const PAGE_BYTES = 4096;

function claimed(orderId: string, units: number): JobRecord {
  return {
    t: 'claimed',
    orderId,
    code: 'ABCD-EFGH',
    token: 'T'.repeat(40),
    eventId: 'ev-1',
    units: Array.from({ length: units }, (_, unit) => ({
      unit,
      imageId: `img-${unit}`,
      copy: 1,
      printedBefore: false,
    })),
    at: Date.now(),
  };
}

test('job log on a full disk: the append fails with storage_full, no torn record is left, it works again once space returns', async (t) => {
  const dir = join(await tempDir(t, 'vpm-joblog-full-'), 'data');
  const fs = await mountTinyFs(t, dir, 16 * PAGE_BYTES);
  const path = join(dir, 'jobs.log');
  const log = new JobLog(path);
  await log.ready();
  t.teardown(() => log.close());
  await log.append(claimed('order-1', 2));
  await log.append({ t: 'printing', orderId: 'order-1', unit: 0, at: Date.now() });
  const durable = (await stat(path)).size;
  t.true(durable < PAGE_BYTES / 2, 'the log ends inside its first page');

  // No free page left: a record longer than the rest of the log's page is cut at the page end.
  await fs.fill();
  const big = claimed('order-2', 80);
  t.true(JSON.stringify(big).length > PAGE_BYTES, 'the record spans a page boundary');
  const error = await t.throwsAsync(log.append(big));
  t.is((error as { code?: string }).code, 'storage_full', error?.message);
  t.regex(error?.message ?? '', /disk of this printer is full/);
  t.is((await stat(path)).size, durable, 'the partial record was cut off');
  // Small records still fit in the page: they land whole, after the whole records.
  await log.append({ t: 'printed', orderId: 'order-1', unit: 0, at: Date.now() });

  // Space returns: the same record now lands whole, and a restart reads every record back.
  await fs.unfill();
  await log.append(big);
  await log.append({ t: 'printing', orderId: 'order-2', unit: 79, at: Date.now() });
  const lines = (await readFile(path, 'utf8')).split('\n');
  t.is(lines.pop(), '', 'the file ends with a whole line');
  t.deepEqual(
    lines.map((l) => (JSON.parse(l) as JobRecord).t),
    ['claimed', 'printing', 'printed', 'claimed', 'printing'],
  );
  const reread = new JobLog(path);
  await reread.ready();
  t.teardown(() => reread.close());
  t.deepEqual([...reread.get('order-1')!.printed], [0]);
  t.is(reread.get('order-2')?.units.length, 80);
  t.deepEqual([...reread.get('order-2')!.printing], [79]);
});

/** The feed (6 noisy 1200 px JPEGs, about 6.6 MB) does not fit the printer's 4 MiB disk. */
const IMAGES = 6;
const TINY_FS_BYTES = 4 * 1024 * 1024;
const ROOMY_FS_BYTES = 64 * 1024 * 1024;
const WIDTH_DOTS = 384;

test('a printer whose disk fills up while replicating: a clear error, no peer blamed, no restart loop; once space returns it finishes and prints the genuine photo', async (t) => {
  t.timeout(170_000);
  const venue = await startVenue(t, { images: IMAGES, imageSide: 1200 });
  t.true(venue.images.reduce((n, i) => n + i.bytes, 0) > TINY_FS_BYTES, 'the feed is larger than the disk');
  const dataDir = join(venue.dir, 'D');
  const fs = await mountTinyFs(t, dataDir, TINY_FS_BYTES);
  // The paper is not on the disk: prints go elsewhere, as with a real printer.
  const prints = join(venue.dir, 'D-prints');
  let printer = await startVenuePrinter(t, venue, 'D', {
    printer: { kind: 'file', dir: prints, widthDots: WIDTH_DOTS },
  });
  const url = printer.url;
  const status = async () => (await printer.status()) as unknown as NodeStatus;

  // 1. A clear error, locally, in the metrics and at the coordinator; the cloud is not blamed.
  t.true(
    await waitFor(async () => /disk of this printer is full/.test((await status()).lastError ?? ''), 60_000, 250),
    'the status names the full disk',
  );
  const full = await status();
  t.is(full.blockedPeers, 0, 'no peer was cut off for what the local disk could not store');
  t.true(full.events[0]!.imagesHeld < IMAGES, 'the feed did not fit');
  t.regex(await metricsText(url), /vpm_edge_storage_errors_total\{kind="disk_full"\} [1-9]/);
  t.true(
    await waitFor(async () => /full/.test((await coordinatorReport(venue))?.lastError ?? ''), 20_000, 500),
    'the dashboard of the coordinator shows it',
  );
  // A fan's code meanwhile: printed from what is local, or refused with a clear reason.
  const early = await buyAndPay(venue.base, venue.event.id, [{ imageId: venue.images[0]!.id, copies: 1 }]);
  const during = await printer.redeem(early.token);
  t.log(`redemption on the full disk: ${during.status} ${JSON.stringify(during.body).slice(0, 300)}`);
  const code = (during.body.error as { code?: string } | undefined)?.code;
  t.true(
    (during.status === 200 && during.body.units?.every((u) => u.state === 'printed')) ||
      (during.status === 507 && code === 'storage_full'),
    'printed, or refused as storage_full',
  );

  // 2. Space returns: the node reopens its storage by itself (same local port) and finishes the feed.
  await fs.resize(ROOMY_FS_BYTES);
  t.true(
    await waitFor(async () => (await status().catch(() => null))?.events[0]?.imagesHeld === IMAGES, 90_000, 500),
    'replication completed once space returned',
  );
  t.is(printer.url, url);
  const recovered = await status();
  t.is(recovered.lastError, null);
  t.is(recovered.blockedPeers, 0);
  t.is(printer.logs.filter((l) => l.includes('local storage has room again')).length, 1, 'reopened once');

  // 3. Full again, then kill -9: the restarted node waits for room instead of exiting into a loop.
  await fs.fill();
  await printer.crash();
  let waiting = false;
  let failed = false;
  const restarted = printer.restart({
    readyTimeoutMs: 120_000,
    onLine: (line) => {
      waiting ||= line.includes('waiting for room before starting');
      failed ||= line.includes('failed to start');
    },
  });
  restarted.catch(() => {});
  t.true(await waitFor(() => waiting, 60_000, 100), 'the restart on a full disk waits for room');
  await sleep(3 * STORAGE_POLL_MS);
  t.false(failed, 'it did not exit');
  await fs.unfill();
  printer = await restarted;
  t.true(await waitFor(async () => (await status()).events[0]?.imagesHeld === IMAGES, 30_000, 250));

  // 4. What prints is the genuine photo, and the job log is whole.
  const order = await buyAndPay(venue.base, venue.event.id, [{ imageId: venue.images[IMAGES - 1]!.id, copies: 1 }]);
  const result = await printer.redeem(order.token);
  t.is(result.status, 200, JSON.stringify(result.body));
  t.deepEqual(
    result.body.units?.map((u) => u.state),
    ['printed'],
  );
  // The fan turned away on the full disk comes back: the order prints now, once.
  const again = await printer.redeem(early.token);
  t.is(again.status, 200, JSON.stringify(again.body));
  const { photos } = await printedPhotos([prints], [order.orderId, early.orderId]);
  const photo = photos.find((p) => p.orderId === order.orderId);
  t.truthy(photo);
  t.true(await printsPhoto(join(prints, photo!.file), venue.images[IMAGES - 1]!.data, WIDTH_DOTS));
  t.is(photos.filter((p) => p.orderId === early.orderId).length, 1, 'the early order printed once');
  const lines = (await readFile(join(dataDir, 'jobs.log'), 'utf8')).split('\n');
  t.is(lines.pop(), '');
  for (const line of lines) t.notThrows(() => JSON.parse(line), line);
});

interface NodeStatus {
  events: Array<{ imagesHeld: number }>;
  blockedPeers: number;
  lastError: string | null;
}

async function metricsText(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

async function coordinatorReport(venue: Venue): Promise<{ lastError: string | null } | null> {
  const res = await api<{
    printers: Array<{ printer: { name: string }; report: { lastError: string | null } | null }>;
  }>(venue.base, 'GET', '/api/printers/status', { token: venue.operator });
  return res.body.printers.find((p) => p.printer.name === 'D')?.report ?? null;
}
