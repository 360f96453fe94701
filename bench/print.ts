/**
 * npm run bench:print — a print station on real IPP printers: two ippeveprinter photo printers (print
 * engine: --print-seconds per print, default 10 like a dye-sub) and a file receipt printer behind one
 * StationPool, 20 orders of 1–3 photos from ~5 MB masters arriving at about the station's capacity;
 * half way through the ideal run one printer's roll runs out (the print in progress aborts) and is
 * reloaded after --empty-seconds. Every document the printers kept is decoded and checked: colour, the media's pixel
 * size, the photo it should be. Last stdout line: one JSON object.
 *
 * --lab cups (default) drives two CUPS queues (Debian cupsd with a test backend: the path a Linux
 * station with Gutenprint takes), which hold several jobs each, so a code is accepted by a printer at
 * once; --lab ippeveprinter drives two IPP Everywhere printers, which take one job at a time.
 *
 * Flags: --orders N (20) --print-seconds S (10) --empty-seconds S (2 × print time) --seed N (1)
 *        --lab cups|ippeveprinter --queue-depth N
 *        --arrival paced|burst (paced: orders at the station's ideal pace; burst: all scanned at once,
 *        which measures the station's throughput against the ideal) --gap-seconds S (paced gap)
 *        --trace (a timeline of unit events and printer health on stderr)
 *        --prerender (photos rendered ahead, as the edge node does for photos it holds while quiet)
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { FilePrinter } from '../edge-node/printing/file-printer.ts';
import { StationPool, type UnitPlaced } from '../edge-node/printing/station-pool.ts';
import { seededRng } from '../shared/policy/prng.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { CupsLab } from '../test/helpers/cups-lab.ts';
import { compareToSource, isColour } from '../test/helpers/photo-compare.ts';
import { IppLab, PHOTO_MEDIA } from '../tools/ipp-lab.ts';

const MASTER_COUNT = 6;
const MASTER_WIDTH = 4000;
const MASTER_HEIGHT = 3000;
/** A document differing from its master by more than this (mean per channel, 0–255) is not that photo. */
const MATCH_MAD = 15;

const { values: flags } = parseArgs({
  options: {
    orders: { type: 'string', default: '20' },
    'print-seconds': { type: 'string', default: '10' },
    'empty-seconds': { type: 'string' },
    seed: { type: 'string', default: '1' },
    arrival: { type: 'string', default: 'paced' },
    lab: { type: 'string', default: 'cups' },
    /** Jobs sent ahead to each printer (default: the printer kind's, 4 for a CUPS queue). */
    'queue-depth': { type: 'string' },
    /** Overrides the paced gap between orders (e.g. an idle station: a gap longer than an order). */
    'gap-seconds': { type: 'string' },
    /** Writes every unit's accepted/printed/moved event and printer health change to stderr. */
    trace: { type: 'boolean', default: false },
    /** The masters are rendered for the media before the first code, as the edge node's pre-renderer does for local photos. */
    prerender: { type: 'boolean', default: false },
  },
});
const ORDERS = Number(flags.orders);
const PRINT_S = Number(flags['print-seconds']);
const EMPTY_S = flags['empty-seconds'] ? Number(flags['empty-seconds']) : 2 * PRINT_S;
const rng = seededRng(Number(flags.seed));
const clock = systemClock;

/** Noisy colour masters, so JPEG keeps them at about 5 MB like a camera's. */
async function makeMaster(i: number): Promise<Buffer> {
  const noise = Buffer.alloc((MASTER_WIDTH / 4) * (MASTER_HEIGHT / 4) * 3);
  for (let k = 0; k < noise.length; k++) noise[k] = rng.int(256);
  const base = sharp({
    create: {
      width: MASTER_WIDTH,
      height: MASTER_HEIGHT,
      channels: 3,
      background: { r: (i * 90) % 256, g: 200 - i * 30, b: 60 + i * 30 },
    },
  });
  const grain = await sharp(noise, { raw: { width: MASTER_WIDTH / 4, height: MASTER_HEIGHT / 4, channels: 3 } })
    .resize(MASTER_WIDTH, MASTER_HEIGHT, { kernel: 'nearest' })
    .png()
    .toBuffer();
  const band = await sharp({
    create: { width: MASTER_WIDTH / 2, height: MASTER_HEIGHT, channels: 3, background: { r: 245, g: 245, b: 245 } },
  })
    .png()
    .toBuffer();
  const img = base
    .composite([
      { input: grain, blend: 'soft-light' },
      { input: band, left: 0, top: 0, blend: 'multiply' },
    ])
    .jpeg({ quality: 92 });
  // Half the masters portrait: orientation is chosen per photo.
  return i % 2 === 0
    ? img.toBuffer()
    : sharp(await img.toBuffer())
        .rotate(90)
        .jpeg({ quality: 92 })
        .toBuffer();
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

/** One bench printer, whichever lab runs it. */
interface BenchPrinter {
  name: string;
  uri: string;
  outDir: string;
  printed(): Promise<string[]>;
  emptyRoll(): Promise<void>;
  loadRoll(): Promise<void>;
}

async function cupsPrinter(name: string): Promise<BenchPrinter & { close(): Promise<void> }> {
  const cups = await new CupsLab().start({ printSeconds: PRINT_S });
  return {
    name,
    uri: cups.uri,
    outDir: cups.outDir,
    printed: () => cups.printed(),
    emptyRoll: () => cups.setEmpty(true),
    loadRoll: () => cups.setEmpty(false),
    close: () => cups.close(),
  };
}

const LAB = flags.lab === 'ippeveprinter' ? 'ippeveprinter' : 'cups';
const lab = LAB === 'ippeveprinter' ? await new IppLab().start() : null;
const cupsPrinters: Array<{ close(): Promise<void> }> = [];
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'vpm-bench-print-'));
try {
  const addPrinter = async (name: string): Promise<BenchPrinter> => {
    if (lab) return lab.addPrinter({ name, printSeconds: PRINT_S });
    const p = await cupsPrinter(name);
    cupsPrinters.push(p);
    return p;
  };
  const a = await addPrinter('left');
  const b = await addPrinter('right');
  const masters = await Promise.all(Array.from({ length: MASTER_COUNT }, (_, i) => makeMaster(i)));
  const station = new StationPool({
    printers: [a, b].map((p, i) => ({
      name: p.name,
      uri: p.uri,
      media: PHOTO_MEDIA,
      fit: 'fill' as const,
      tray: i === 0 ? 'left tray' : 'right tray',
      secondsPerPrint: PRINT_S,
      ...(flags['queue-depth'] ? { queueDepth: Number(flags['queue-depth']) } : {}),
    })),
    receipt: new FilePrinter({ dir: path.join(tmp, 'receipts') }),
    pollMs: 250,
    stallGraceMs: 2_000,
  });
  await station.ready();
  const orders = Array.from({ length: ORDERS }, (_, o) => ({
    id: `order-${o}`,
    units: Array.from({ length: 1 + rng.int(3) }, () => rng.int(MASTER_COUNT)),
  }));
  const units = orders.reduce((n, o) => n + o.units.length, 0);
  const idealPerMinute = (2 * 60) / PRINT_S;
  // Orders arrive at the station's ideal pace, so a queue builds only from the failover.
  const gapMs =
    flags.arrival === 'burst'
      ? 0
      : flags['gap-seconds']
        ? Number(flags['gap-seconds']) * 1000
        : (units / ORDERS / (idealPerMinute / 60)) * 1000;
  const scanAt = new Map<string, number>();
  const acceptLatency: number[] = [];
  // The station's own share: from the later of "code in" and "a printer became free" to accepted.
  const dispatchLatency: number[] = [];
  const freeSince = new Map<string, number>();
  station.on('accepted', (u: UnitPlaced) => {
    const t0 = scanAt.get(u.unitId);
    if (t0 !== undefined) {
      const now = clock.now();
      acceptLatency.push(now - t0);
      dispatchLatency.push(now - Math.max(t0, freeSince.get(u.printer) ?? 0));
      scanAt.delete(u.unitId);
    }
  });
  const freed = (u: UnitPlaced) => freeSince.set(u.printer, clock.now());
  station.on('printed', freed);
  station.on('moved', freed);
  if (flags.prerender) for (const [i, m] of masters.entries()) await station.prerender(`m${i}`, m);
  const startedAt = clock.now();
  if (flags.trace) {
    const at = () => ((clock.now() - startedAt) / 1000).toFixed(1).padStart(6);
    for (const event of ['accepted', 'printed', 'moved'] as const) {
      station.on(event, (u: UnitPlaced) =>
        process.stderr.write(`${at()} s ${event.padEnd(8)} ${u.unitId} @ ${u.printer}\n`),
      );
    }
    for (const p of station.printers) {
      p.on('health', () =>
        process.stderr.write(`${at()} s health   ${p.name}: ${p.health.state} ${p.health.detail}\n`),
      );
    }
  }
  // Half way through the ideal run, the left printer's roll runs out (its print in progress aborts)
  // and an operator loads a new one EMPTY_S later.
  const idealRunMs = (units / (idealPerMinute / 60)) * 1000;
  const failover = clock
    .sleep(idealRunMs / 2)
    .then(() => a.emptyRoll())
    .then(() => clock.sleep(EMPTY_S * 1000))
    .then(() => a.loadRoll());
  const runs: Promise<void>[] = [failover];
  for (const order of orders) {
    const scannedAt = clock.now();
    runs.push(
      (async () => {
        // An order's units are handed in side by side, as the redemption service does at a station.
        await Promise.all(
          order.units.map((m, u) => {
            const unitId = `${order.id}-${u}`;
            scanAt.set(unitId, scannedAt);
            return station.printPhoto(masters[m]!, {
              jobId: unitId,
              ...(flags.prerender ? { renderKey: `m${m}` } : {}),
            });
          }),
        );
        await station.printReceipt({
          orderId: order.id,
          orderCode: order.id,
          venue: 'bench',
          printer: 'station',
          printedAt: clock.now(),
          items: order.units.map((m) => ({ imageId: `m${m}`, copies: 1 })),
        });
      })(),
    );
    await clock.sleep(gapMs);
  }
  await Promise.all(runs);
  const elapsedMin = (clock.now() - startedAt) / 60_000;

  let colourDocuments = 0;
  let doubleUnits = 0;
  const seen = new Map<string, number>();
  for (const p of [a, b]) {
    for (const f of await p.printed()) {
      const unitId = f.replace(/^\d+-/, '').replace(/\.jpg$/, '');
      seen.set(unitId, (seen.get(unitId) ?? 0) + 1);
      const [orderPart, unitIdx] = [unitId.replace(/-\d+$/, ''), Number(unitId.split('-').pop())];
      const order = orders.find((o) => o.id === orderPart);
      const src = order ? masters[order.units[unitIdx]!] : undefined;
      const doc = await fs.readFile(path.join(p.outDir, f));
      const meta = await sharp(doc).metadata();
      const ok =
        src !== undefined &&
        meta.width === 1200 &&
        meta.height === 1800 &&
        (await isColour(doc)) &&
        (await compareToSource(doc, src)).maxChannelMad < MATCH_MAD;
      if (ok) colourDocuments++;
    }
  }
  for (const n of seen.values()) if (n > 1) doubleUnits += n - 1;
  const report = station.report();
  const result = {
    bench: 'print',
    lab: LAB,
    printers: 2,
    queueDepth: station.printers.map((p) => p.queueDepth),
    printSeconds: PRINT_S,
    orders: ORDERS,
    units,
    unitsCompleted: report.counters.unitsCompleted,
    colourDocuments,
    doubleUnits,
    failoverMoved: report.counters.failoverMoved,
    rebalanced: report.counters.rebalanced,
    scanToJobAcceptedP50Ms: Math.round(percentile(acceptLatency, 50)),
    scanToJobAcceptedP99Ms: Math.round(percentile(acceptLatency, 99)),
    dispatchP50Ms: Math.round(percentile(dispatchLatency, 50)),
    dispatchP99Ms: Math.round(percentile(dispatchLatency, 99)),
    arrival: flags.arrival,
    prerendered: flags.prerender,
    stationPrintsPerMinute: Number((report.counters.unitsCompleted / elapsedMin).toFixed(2)),
    idealPrintsPerMinute: idealPerMinute,
    measuredSecondsPerPrint: report.printers.map((p) => p.measuredSecondsPerPrint),
    receipts: (await fs.readdir(path.join(tmp, 'receipts'))).filter((f) => f.endsWith('.escpos')).length,
    elapsedS: Math.round(elapsedMin * 60),
    masterMeanBytes: Math.round(masters.reduce((n, m) => n + m.length, 0) / masters.length),
  };
  await station.close();
  console.log(JSON.stringify(result));
} finally {
  await Promise.all(cupsPrinters.map((p) => p.close()));
  await lab?.close();
  await fs.rm(tmp, { recursive: true, force: true });
}
