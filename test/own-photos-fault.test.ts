import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { PAPER_OUT_FILE } from '../edge-node/printing/file-printer.ts';
import { api } from '../tools/venue-kit/http.ts';
import { labelledPhoto } from '../tools/venue-kit/photos.ts';
import { waitFor } from './fixtures/feed-fixtures.ts';
import { printSlug } from './fixtures/print-output.ts';
import { startVenue, startVenuePrinter } from './fixtures/venue-harness.ts';

const PHOTOS = 3;
const FAULT_TEST_TIMEOUT_MS = 150_000;

interface ConsoleJob {
  id: string;
  state: string;
  printedBy: string | null;
  imagesDeletedAt: number | null;
}

test('kill -9 of the printer in the middle of an own-photo job: after the restart each photo is printed once and the job completes', async (t) => {
  t.timeout(FAULT_TEST_TIMEOUT_MS);
  const venue = await startVenue(t, { images: 1, imageSide: 400 });
  let printer = await startVenuePrinter(t, venue, 'Printer A');
  const prints = join(venue.dir, 'Printer A', 'prints');

  // The fan's phone uploads three photos.
  const form = new FormData();
  for (let i = 0; i < PHOTOS; i++) {
    form.append('photos', new Blob([await labelledPhoto(i)], { type: 'image/jpeg' }), `IMG_${i}.jpg`);
  }
  const upload = await fetch(`${venue.base}/own-photos/upload`, {
    method: 'POST',
    body: form,
    headers: { accept: 'application/json' },
  });
  t.is(upload.status, 201);
  const { code, pin } = (await upload.json()) as { code: string; pin: string };

  // At the kiosk: open, pay on the phone, print.
  const lookup = await api<{ jobs: Array<{ id: string }> }>(printer.url, 'POST', '/kiosk/own/lookup', {
    body: { code, pin },
  });
  t.is(lookup.status, 200);
  const jobId = lookup.body.jobs[0]!.id;
  const pay = await api<{ checkoutUrl: string }>(printer.url, 'POST', `/kiosk/own/jobs/${jobId}/pay`);
  t.is(pay.status, 200);
  const paid = await fetch(pay.body.checkoutUrl, {
    method: 'POST',
    body: new URLSearchParams({ outcome: 'pay' }),
    redirect: 'manual',
  });
  await paid.arrayBuffer();
  const unitRe = new RegExp(`-${printSlug(`own-${jobId}`)}-(\\d+)-`);
  const units = async () =>
    (await readdir(prints).catch(() => [] as string[]))
      // One .escpos file per print (its .png and .txt previews come with it).
      .filter((f) => f.endsWith('.escpos'))
      .map((f) => unitRe.exec(f)?.[1])
      .filter((u): u is string => u !== undefined)
      .map(Number);
  const started = await api(printer.url, 'POST', `/kiosk/own/jobs/${jobId}/print`);
  t.is(started.status, 200, JSON.stringify(started.body));

  // As soon as the first photo is out: the paper runs out (the next prints wait), then kill -9.
  t.true(await waitFor(async () => (await units()).length >= 1, 60_000, 10), 'the first photo printed');
  await writeFile(join(prints, PAPER_OUT_FILE), '');
  await printer.crash();
  const before = await units();
  t.log(`${before.length} of ${PHOTOS} photos printed before the kill`);
  await rm(join(prints, PAPER_OUT_FILE), { force: true });
  printer = await printer.restart();

  const job = async () =>
    (await api<{ jobs: ConsoleJob[] }>(venue.base, 'GET', '/api/own-photos', { token: venue.operator })).body.jobs[0];
  t.true(await waitFor(async () => (await job())?.imagesDeletedAt !== null, 90_000, 200), 'the job completed');
  const done = (await job())!;
  t.is(done.state, 'printed');
  const after = await units();
  // Each photo of the job once (a unit cut off mid-print is printed again under the same job id,
  // which the file printer recognises, so a duplicate would show as a second file).
  t.deepEqual(
    [...after].sort((a, b) => a - b),
    [0, 1, 2],
  );
  t.truthy(printer.url);
});
