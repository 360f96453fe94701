/**
 * The print station pool against real IPP photo printers (ippeveprinter + a print engine that takes
 * the print time and keeps every document): spread, failover without double prints, the whole
 * station down, and a kill -9 between Print-Job and its completion record.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import sharp from 'sharp';
import { printerBlocksNewOrders } from '../edge-node/kiosk/kiosk-messages.ts';
import { StationPool } from '../edge-node/printing/station-pool.ts';
import { IppLab, ippAvailable, type LabPrinter, PHOTO_MEDIA } from '../tools/ipp-lab.ts';
import { compareToSource, isColour } from './helpers/photo-compare.ts';

const POLL_MS = 200;
let lab: IppLab;

test.before(async (t) => {
  if (!ippAvailable()) t.fail('ippeveprinter/avahi/dbus missing: run scripts/ensure-ipp.sh');
  lab = await new IppLab().start();
});
test.after.always(async () => {
  await lab?.close();
});

/** A distinct colour photo per unit, landscape or portrait. */
async function master(i: number, landscape = i % 2 === 0): Promise<Buffer> {
  const [w, h] = landscape ? [1500, 1000] : [1000, 1500];
  const hue = (i * 67) % 360;
  const c = (k: number) => Math.round(127 + 120 * Math.cos(((hue + k) * Math.PI) / 180));
  const band = await sharp({
    create: { width: w, height: Math.round(h / 3), channels: 3, background: { r: 250, g: 250, b: 250 } },
  })
    .png()
    .toBuffer();
  return sharp({ create: { width: w, height: h, channels: 3, background: { r: c(0), g: c(120), b: c(240) } } })
    .composite([{ input: band, left: 0, top: 0 }])
    .jpeg({ quality: 90 })
    .toBuffer();
}

function pool(printers: LabPrinter[]): StationPool {
  return new StationPool({
    printers: printers.map((p, i) => ({
      name: p.name,
      uri: p.uri,
      media: PHOTO_MEDIA,
      fit: 'fill',
      tray: `tray ${i + 1}`,
    })),
    pollMs: POLL_MS,
    stallGraceMs: 1000,
  });
}

/** Every document the printers kept, by unit id (job name), with the printer that printed it. */
async function printedByUnit(printers: LabPrinter[]): Promise<Map<string, { printer: LabPrinter; file: string }[]>> {
  const out = new Map<string, { printer: LabPrinter; file: string }[]>();
  for (const p of printers) {
    for (const file of await p.printed()) {
      const unit = file.replace(/^\d+-/, '').replace(/\.jpg$/, '');
      out.set(unit, [...(out.get(unit) ?? []), { printer: p, file: path.join(p.outDir, file) }]);
    }
  }
  return out;
}

async function checkDocuments(t: import('ava').ExecutionContext, printers: LabPrinter[], masters: Map<string, Buffer>) {
  const byUnit = await printedByUnit(printers);
  for (const [unit, src] of masters) {
    const docs = byUnit.get(unit) ?? [];
    t.is(docs.length, 1, `unit ${unit} printed exactly once (got ${docs.length})`);
    const doc = await fs.readFile(docs[0]!.file);
    const meta = await sharp(doc).metadata();
    t.deepEqual([meta.width, meta.height], [1200, 1800], unit);
    t.true(await isColour(doc), unit);
    const cmp = await compareToSource(doc, src);
    t.true(cmp.maxChannelMad < 15, `${unit} ${JSON.stringify(cmp)}`);
  }
  t.is(byUnit.size, masters.size, 'no document for a unit nobody sent');
}

test.serial('units spread over two printers, each confirmed by job state completed, each printed once', async (t) => {
  const printers = [
    await lab.addPrinter({ name: 'spreadA', printSeconds: 1 }),
    await lab.addPrinter({ name: 'spreadB', printSeconds: 1 }),
  ];
  const station = pool(printers);
  const used = new Set<string>();
  station.on('printed', (u) => used.add(u.printer));
  await station.ready();
  const masters = new Map<string, Buffer>();
  for (let i = 0; i < 6; i++) masters.set(`order-s-${i}`, await master(i));
  const trays = new Map<string, string>();
  await Promise.all(
    [...masters].map(([id, img]) => station.printPhoto(img, { jobId: id, onPlaced: (w) => trays.set(id, w.tray) })),
  );
  t.is(station.counters.unitsCompleted, 6);
  t.deepEqual([...new Set(trays.values())].sort(), ['tray 1', 'tray 2'], 'the kiosk learns the tray of every unit');
  t.deepEqual([...used].sort(), ['spreadA', 'spreadB']);
  await checkDocuments(t, printers, masters);
  const report = station.report();
  t.true(report.printers.every((p) => p.printsToday >= 1 && p.measuredSecondsPerPrint !== null));
  t.is(report.unitsWaiting, 0);
  // Idle, two working printers: about one print time, from the measured ~1 s per print.
  t.true(report.estimatedWaitSeconds !== null && report.estimatedWaitSeconds <= 3, String(report.estimatedWaitSeconds));
  await station.close();
  for (const p of printers) await p.stop();
});

test.serial('a printer running out of paper mid-order: its unit moves, none lost, none printed twice', async (t) => {
  const a = await lab.addPrinter({ name: 'failA', printSeconds: 2 });
  const b = await lab.addPrinter({ name: 'failB', printSeconds: 2 });
  const station = pool([a, b]);
  await station.ready();
  let emptied = false;
  station.on('accepted', (u) => {
    if (u.printer === 'failA' && !emptied) {
      emptied = true;
      void a.emptyRoll();
    }
  });
  const moved: string[] = [];
  station.on('moved', (u) => moved.push(u.unitId));
  const masters = new Map<string, Buffer>();
  for (let i = 0; i < 5; i++) masters.set(`order-f-${i}`, await master(i + 10));
  await Promise.all([...masters].map(([id, img]) => station.printPhoto(img, { jobId: id })));
  t.true(emptied);
  t.true(station.counters.failoverMoved >= 1, `moved ${moved.join(',')}`);
  t.is(station.counters.unitsCompleted, 5);
  t.deepEqual(await a.printed(), [], 'the emptied printer printed nothing');
  await checkDocuments(t, [a, b], masters);
  const rep = station.report().printers.find((p) => p.name === 'failA')!;
  t.is(rep.state, 'paper_out');
  t.true(rep.failures >= 1);
  await station.close();
  await a.stop();
  await b.stop();
});

test.serial(
  'every printer down: the kiosk refuses codes; a roll loaded again and the waiting unit prints',
  async (t) => {
    const a = await lab.addPrinter({ name: 'downA', printSeconds: 1 });
    const b = await lab.addPrinter({ name: 'downB', printSeconds: 1 });
    const station = pool([a, b]);
    await station.ready();
    t.false(printerBlocksNewOrders((await station.status()).state));
    const states: string[] = [];
    station.on('status', (s) => states.push(s.state));
    await a.emptyRoll();
    await b.emptyRoll();
    await waitUntil(async () => printerBlocksNewOrders((await station.status()).state));
    const s = await station.status();
    t.is(s.state, 'paper_out');
    t.regex(s.detail, /another print station/);
    t.false(station.report().canTakeCodes);
    const printing = station.printPhoto(await master(3), { jobId: 'order-d-0' });
    await b.loadRoll();
    await printing;
    t.false(printerBlocksNewOrders((await station.status()).state));
    t.true(states.includes('paper_out'));
    t.is((await b.printed()).length, 1);
    t.deepEqual(await a.printed(), []);
    await station.close();
    await a.stop();
    await b.stop();
  },
);

test.serial('kill -9 between Print-Job and its completion record: found completed, not printed again', async (t) => {
  const a = await lab.addPrinter({ name: 'crashA', printSeconds: 2 });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vpm-crash-'));
  const file = path.join(dir, 'master.jpg');
  const img = await master(7);
  await fs.writeFile(file, img);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/fixtures/ipp/pool-child.ts', a.uri, file, 'order-K-0Ab'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('accepted')) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.once('exit', () => reject(new Error(`child exited before the job was accepted: ${out}`)));
  });
  await new Promise((r) => child.once('exit', r));
  t.false(out.includes('printed'), 'killed before it recorded the print');
  // The restarted node prints the same unit: the printer already has it (printing or done).
  const station = pool([a]);
  await station.ready();
  await station.printPhoto(img, { jobId: 'order-K-0Ab' });
  t.is(station.counters.recoveredCompleted, 1);
  // And again later (e.g. the redemption log replays it): still not printed a second time.
  await station.printPhoto(img, { jobId: 'order-K-0Ab' });
  t.is((await a.printed()).filter((f) => f.endsWith('-order-k-0ab.jpg')).length, 1);
  await checkDocuments(t, [a], new Map([['order-k-0ab', img]]));
  await station.close();
  await a.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
