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

test('jobs queued on a busy CUPS queue move to a printer that becomes free (an operator loaded a roll): each unit printed once, prints left counted from the new roll', async (t) => {
  if (!cupsAvailable()) t.fail('cupsd missing: run scripts/ensure-ipp.sh');
  const [left, right] = await Promise.all([
    new CupsLab().start({ printSeconds: 2, reportsMarkers: false }),
    new CupsLab().start({ printSeconds: 2 }),
  ]);
  t.teardown(() => Promise.all([left.close(), right.close()]));
  const station = new StationPool({
    printers: [
      { name: 'left', uri: left.uri, media: 'na_index-4x6_4x6in', fit: 'fill', rollPrints: 50 },
      { name: 'right', uri: right.uri, media: 'na_index-4x6_4x6in', fit: 'fill' },
    ],
    pollMs: 200,
    stallGraceMs: 1_000,
    // Only the operator's "roll loaded" brings the left queue back in this test.
    resumeRetryMs: 600_000,
  });
  t.teardown(() => station.close());
  await station.ready();
  const src = await sharp({ create: { width: 600, height: 900, channels: 3, background: '#40a060' } })
    .jpeg()
    .toBuffer();
  await left.setEmpty(true);
  const units = Array.from({ length: 10 }, (_, i) => `order-b-${i}`);
  const accepted = new Map<string, string[]>();
  station.on('accepted', (u) => accepted.set(u.unitId, [...(accepted.get(u.unitId) ?? []), u.printer]));
  const printing = Promise.all(units.map((jobId) => station.printPhoto(src, { jobId })));
  printing.catch(() => undefined);
  // The left queue stops on its first job; every unit ends up queued on the right printer.
  for (let i = 0; i < 200 && !(await station.status()).detail.includes('out of paper'); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  for (let i = 0; i < 200 && (station.printers[0]!.inFlight > 0 || station.counters.failoverMoved === 0); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  t.is(station.printers[0]!.inFlight, 0, 'the stopped queue gave its units up');
  t.true(station.printers[1]!.inFlight >= 4, `the right queue holds the rest (${station.printers[1]!.inFlight})`);
  const failuresBefore = station.report().printers[0]!.failures;
  await left.setEmpty(false);
  const report = await station.rollLoaded('left');
  t.is(report.printsLeft, 50, 'a new roll: prints left count from a full roll');
  await printing;

  const names = async (lab: CupsLab) => (await lab.printed()).map((f) => f.replace(/^\d+-/, '').replace(/\.jpg$/, ''));
  const onLeft = await names(left);
  t.true(station.counters.rebalanced >= 1, `pending jobs moved to the idle printer (${station.counters.rebalanced})`);
  t.true(onLeft.length >= 1, 'the reloaded printer printed some of the queued units');
  t.true(
    onLeft.some((u) => accepted.get(u)?.at(-2) === 'right'),
    `the left printer printed units taken from the right one's queue: ${onLeft.map((u) => `${u}: ${accepted.get(u)?.join('>')}`).join(', ')}`,
  );
  t.deepEqual([...onLeft, ...(await names(right))].sort(), units, 'every unit printed exactly once');
  t.is(station.report().printers[0]!.printsLeft, 50 - onLeft.length);
  t.is(station.report().printers[0]!.failures, failuresBefore, 'a rebalanced job is not a failed print');
  await t.throwsAsync(() => station.rollLoaded('middle'), { message: /no photo printer "middle"/ });
});

test('a counted roll starts again from full once the printer ran out of paper and printed again', async (t) => {
  if (!cupsAvailable()) t.fail('cupsd missing: run scripts/ensure-ipp.sh');
  const cups = await new CupsLab().start({ printSeconds: 0, reportsMarkers: false });
  t.teardown(() => cups.close());
  const station = new StationPool({
    printers: [{ name: 'photo', uri: cups.uri, media: 'na_index-4x6_4x6in', fit: 'fill', rollPrints: 3 }],
    pollMs: 200,
    stallGraceMs: 60_000,
    resumeRetryMs: 500,
  });
  t.teardown(() => station.close());
  await station.ready();
  const src = await sharp({ create: { width: 600, height: 900, channels: 3, background: '#a04060' } })
    .jpeg()
    .toBuffer();
  await station.printPhoto(src, { jobId: 'order-n-0' });
  await station.printPhoto(src, { jobId: 'order-n-1' });
  t.is(station.report().printers[0]!.printsLeft, 1);
  await cups.setEmpty(true);
  const third = station.printPhoto(src, { jobId: 'order-n-2' });
  third.catch(() => undefined);
  for (let i = 0; i < 200 && station.report().printers[0]!.state !== 'paper_out'; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  t.is(station.report().printers[0]!.state, 'paper_out');
  await cups.setEmpty(false);
  await third;
  t.is(station.report().printers[0]!.printsLeft, 2, 'the print after the empty roll was the first of a new one');
  t.is((await cups.printed()).length, 3);
});

test('a photo rendered ahead is printed from that render: no decode between the code and the printer (issue #16)', async (t) => {
  if (!cupsAvailable()) t.fail('cupsd missing: run scripts/ensure-ipp.sh');
  const cups = await new CupsLab().start({ printSeconds: 0 });
  t.teardown(() => cups.close());
  const station = new StationPool({
    printers: [{ name: 'photo', uri: cups.uri, media: 'na_index-4x6_4x6in', fit: 'fill' }],
    pollMs: 200,
  });
  t.teardown(() => station.close());
  await station.ready();
  const src = await sharp({ create: { width: 900, height: 600, channels: 3, background: '#2090b0' } })
    .jpeg()
    .toBuffer();
  t.false(station.isPrerendered('img-1'));
  await station.prerender('img-1', src);
  t.true(station.isPrerendered('img-1'));
  t.true(station.prerenderCapacity > 0);
  // The bytes handed in are not a photo at all: only the render made ahead can have printed.
  await station.printPhoto(Buffer.from('not a jpeg'), { jobId: 'order-p-0', renderKey: 'img-1' });
  const files = await cups.printed();
  t.is(files.length, 1);
  const doc = await fs.readFile(path.join(cups.outDir, files[0]!));
  t.true((await compareToSource(doc, src)).maxChannelMad < 15, 'the printed document is the photo rendered ahead');
  // Without a render ahead, the same bytes are refused as unreadable.
  await t.throwsAsync(() => station.printPhoto(Buffer.from('not a jpeg'), { jobId: 'order-p-1', renderKey: 'img-2' }), {
    message: /could not be decoded|unreadable|decode/i,
  });
});
