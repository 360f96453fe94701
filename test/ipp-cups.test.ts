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

test('CUPS queues take several jobs at once (a unit is accepted while the one before it prints); a stopped queue’s jobs move to the other printer, none twice', async (t) => {
  if (!cupsAvailable()) t.fail('cupsd missing: run scripts/ensure-ipp.sh');
  const [left, right] = await Promise.all([
    new CupsLab().start({ printSeconds: 2 }),
    new CupsLab().start({ printSeconds: 2 }),
  ]);
  t.teardown(() => Promise.all([left.close(), right.close()]));
  const station = new StationPool({
    printers: [
      { name: 'left', uri: left.uri, media: 'na_index-4x6_4x6in', fit: 'fill' },
      { name: 'right', uri: right.uri, media: 'na_index-4x6_4x6in', fit: 'fill' },
    ],
    pollMs: 200,
    stallGraceMs: 1_000,
    // The left roll stays empty for the whole test: its queue is not resumed to fail again and again.
    resumeRetryMs: 600_000,
  });
  t.teardown(() => station.close());
  await station.ready();
  t.deepEqual(
    station.printers.map((p) => p.queueDepth),
    [8, 8],
    'a CUPS queue (/printers/NAME) holds several jobs',
  );
  await left.setEmpty(true);
  const src = await sharp({ create: { width: 600, height: 900, channels: 3, background: '#3070c0' } })
    .jpeg()
    .toBuffer();
  // Jobs each printer holds at once, from the station's own events.
  const open = new Map<string, Set<string>>();
  const mostOpen = new Map<string, number>();
  const log: string[] = [];
  station.on('accepted', (u) => {
    const jobs = open.get(u.printer) ?? new Set<string>();
    open.set(u.printer, jobs.add(u.unitId));
    mostOpen.set(u.printer, Math.max(mostOpen.get(u.printer) ?? 0, jobs.size));
    log.push(`${u.printer} took ${u.unitId}`);
  });
  const ended = (what: string) => (u: { printer: string; unitId: string }) => {
    open.get(u.printer)?.delete(u.unitId);
    log.push(`${u.printer} ${what} ${u.unitId}`);
  };
  station.on('printed', ended('printed'));
  station.on('moved', ended('gave up'));
  const units = Array.from({ length: 6 }, (_, i) => `order-q-${i}`);
  await Promise.all(units.map((jobId) => station.printPhoto(src, { jobId })));

  t.true((mostOpen.get('right') ?? 0) >= 2, `the healthy queue held several jobs at once: ${log.join(', ')}`);
  t.true(station.counters.failoverMoved >= 1, 'the jobs queued on the stopped printer moved');
  t.deepEqual(await left.printed(), [], 'the empty printer printed nothing');
  const printed = (await right.printed()).map((f) => f.replace(/^\d+-/, '').replace(/\.jpg$/, '')).sort();
  t.deepEqual(printed, units, 'each unit printed once, on the printer that could');
  t.is(station.counters.unitsCompleted, units.length);
});

test('a CUPS queue that stopped with no job left in it prints again once its roll is back (the resumed queue is probed with one job)', async (t) => {
  if (!cupsAvailable()) t.fail('cupsd missing: run scripts/ensure-ipp.sh');
  const [left, right] = await Promise.all([
    new CupsLab().start({ printSeconds: 1 }),
    new CupsLab().start({ printSeconds: 1 }),
  ]);
  t.teardown(() => Promise.all([left.close(), right.close()]));
  const station = new StationPool({
    printers: [
      // Shallow queues: the right printer cannot take the whole second batch, so units wait for the
      // left one to come back (with deep queues the healthy printer would simply take them all).
      { name: 'left', uri: left.uri, media: 'na_index-4x6_4x6in', fit: 'fill', queueDepth: 2 },
      { name: 'right', uri: right.uri, media: 'na_index-4x6_4x6in', fit: 'fill', queueDepth: 2 },
    ],
    pollMs: 200,
    stallGraceMs: 1_000,
    resumeRetryMs: 1_000,
  });
  t.teardown(() => station.close());
  await station.ready();
  const src = await sharp({ create: { width: 600, height: 900, channels: 3, background: '#c08030' } })
    .jpeg()
    .toBuffer();
  await left.setEmpty(true);
  const first = Array.from({ length: 4 }, (_, i) => `order-r-${i}`);
  await Promise.all(first.map((jobId) => station.printPhoto(src, { jobId })));
  t.deepEqual(await left.printed(), [], 'nothing printed while the left roll was empty');
  // The roll is back, but the stopped queue still carries the backend's media-empty reason and holds
  // no job that would run the backend and clear it.
  await left.setEmpty(false);
  const second = Array.from({ length: 6 }, (_, i) => `order-s-${i}`);
  await Promise.all(second.map((jobId) => station.printPhoto(src, { jobId })));
  const names = async (lab: CupsLab) => (await lab.printed()).map((f) => f.replace(/^\d+-/, '').replace(/\.jpg$/, ''));
  const onLeft = await names(left);
  t.true(onLeft.length > 0, 'the reloaded printer took units again');
  const all = [...onLeft, ...(await names(right))].sort();
  t.deepEqual(all, [...first, ...second].sort(), 'every unit printed exactly once');
});
