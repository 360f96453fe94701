import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { startEdgeProcess } from '../tools/venue-kit/edge-process.ts';
import { api, buyAndPay } from '../tools/venue-kit/http.ts';
import { waitFor } from './fixtures/feed-fixtures.ts';
import { pairPrinter, startVenue } from './fixtures/venue-harness.ts';

test('kill -9 of a printer mid-order (and a power cut that lost its unsynced printing records), then restart: every remaining print comes out exactly once', async (t) => {
  t.timeout(180_000);
  const venue = await startVenue(t, { images: 2 });
  const dataDir = join(venue.dir, 'P');
  const prints = join(dataDir, 'prints');
  await pairPrinter(venue.base, venue.operator, venue.venue.id, dataDir, 'P');
  const config = {
    coordinatorUrl: venue.base,
    name: 'P',
    dhtBootstrap: venue.bootstrap,
    printer: { kind: 'file', dir: prints },
    schedule: { intervalMs: 2_000 },
    reportIntervalMs: 1_000,
  };
  const first = await startEdgeProcess(t, dataDir, config);
  t.true(
    await waitFor(async () => (await first.status()).events[0]?.imagesHeld === 2, 60_000, 200),
    'the printer replicated the event',
  );
  const { orderId, token } = await buyAndPay(venue.base, venue.event.id, [
    { imageId: venue.images[0]!.id, copies: 3 },
    { imageId: venue.images[1]!.id, copies: 3 },
  ]);
  const photos = async () =>
    (await readdir(prints)).filter(
      (f) => f.endsWith('.escpos') && f.includes(orderId.toLowerCase().replace(/[^a-z0-9]+/g, '-')),
    );
  void first.redeem(token).catch(() => {});
  t.true(await waitFor(async () => (await photos()).length >= 1, 30_000, 20), 'printing started');
  // The paper runs out mid-order and the printer is then killed outright.
  await writeFile(join(prints, 'PAPER_OUT'), '');
  await first.crash();
  const before = (await photos()).length;
  t.log(`${before} of 6 prints out before kill -9`);
  t.true(before < 6, 'the crash happened mid-order');

  // A power cut, not only a killed process, can also lose the job log's 'printing' records: they
  // are not fsync'd before the print (job-log.ts). Dropping them all is the worst such cut.
  const jobLog = join(dataDir, 'jobs.log');
  const records = (await readFile(jobLog, 'utf8')).split('\n');
  const kept = records.filter((line) => !line.includes('"t":"printing"'));
  t.true(kept.length < records.length, 'the log had printing records to lose');
  await writeFile(jobLog, kept.join('\n'));

  await rm(join(prints, 'PAPER_OUT'));
  await startEdgeProcess(t, dataDir, config);
  const fulfilled = await waitFor(
    async () =>
      (await api<{ order: { state: string } }>(venue.base, 'GET', `/api/orders/${orderId}`)).body.order.state ===
      'fulfilled',
    60_000,
    200,
  );
  t.true(fulfilled, 'the order was finished after the restart');
  const files = await photos();
  const units = files.map((f) => /-(\d+)-[a-z0-9]+-\d+-6\.escpos$/.exec(f)?.[1] ?? f);
  t.is(files.length, 6, `six photos, no more: ${files.join(', ')}`);
  t.is(new Set(units).size, 6, 'each unit exactly once');
});
