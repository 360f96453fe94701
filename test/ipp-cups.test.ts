/**
 * A station printer behind a real CUPS queue (Debian cupsd + a test backend): the queue stops itself
 * when the printer runs out of paper, and the station resumes it by itself once paper is back; the
 * unit prints once, confirmed by its job state.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import sharp from 'sharp';
import { StationPool } from '../edge-node/printing/station-pool.ts';
import { CupsLab, cupsAvailable } from './helpers/cups-lab.ts';
import { compareToSource, isColour } from './helpers/photo-compare.ts';

test('a paused CUPS queue is resumed by itself once the printer can print again; the unit prints once', async (t) => {
  if (!cupsAvailable()) t.fail('cupsd missing: run scripts/ensure-ipp.sh');
  const cups = await new CupsLab().start({ printSeconds: 1 });
  t.teardown(() => cups.close());
  const station = new StationPool({
    printers: [{ name: 'cups', uri: cups.uri, media: 'na_index-4x6_4x6in', fit: 'fill' }],
    pollMs: 200,
    stallGraceMs: 60_000,
    resumeRetryMs: 1_000,
  });
  t.teardown(() => station.close());
  await station.ready();
  await cups.setEmpty(true);
  const src = await sharp({ create: { width: 900, height: 600, channels: 3, background: '#d04080' } })
    .jpeg()
    .toBuffer();
  const states: string[] = [];
  const details: string[] = [];
  station.on('status', (s) => {
    states.push(s.state);
    details.push(s.detail);
  });
  const printing = station.printPhoto(src, { jobId: 'order-c-0' });
  // Awaited below; this only keeps a failed assertion before that from also reporting the close.
  printing.catch(() => undefined);
  // The backend stops the queue: the station reports it cannot print.
  for (let i = 0; i < 100 && !states.includes('paper_out'); i++) await new Promise((r) => setTimeout(r, 100));
  t.true(states.includes('paper_out'), states.join(','));
  for (let i = 0; i < 100 && !details.some((d) => /paused and is resumed automatically/.test(d)); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  t.true(
    details.some((d) => /queue is paused and is resumed automatically/.test(d)),
    details.join(' | '),
  );
  await cups.setEmpty(false);
  await printing;
  t.true(station.printers[0]!.resumes >= 1);
  const files = await cups.printed();
  t.is(files.length, 1);
  const doc = await fs.readFile(path.join(cups.outDir, files[0]!));
  t.deepEqual([(await sharp(doc).metadata()).width, (await sharp(doc).metadata()).height], [1200, 1800]);
  t.true(await isColour(doc));
  t.true((await compareToSource(doc, src)).maxChannelMad < 15);
  t.is((await station.status()).state, 'ready');
  t.is(station.report().printers[0]!.printsLeft, null, 'no roll size configured: unknown, not guessed');
});
