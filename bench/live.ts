import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../shared/ports/clock.ts';
import { growHeapForReplication, REPLICATION_HEAP_GROWING_PERCENT } from '../shared/process/heap-growth.ts';
import { heldEverywhere } from '../test/fixtures/printer-holdings.ts';
import type { EdgeProcess } from '../tools/venue-kit/edge-process.ts';
import { noisyJpeg } from '../tools/venue-kit/photos.ts';
import { cpuSecondsOf } from '../tools/venue-kit/process-cpu.ts';
import { VenueKit } from '../tools/venue-kit/venue-kit.ts';

/**
 * `npm run bench:live`: what printers spend per MB while photos arrive live (the photographer
 * uploading one after another), the case validation-8 and a venue live in; bench:mesh measures bulk
 * catch-up instead. One run measures two venues one after the other, identical but for V8's heap
 * growing factor (VPM_HEAP_GROWING_PERCENT: 0 = V8's own, then the daemons' default):
 *  - printerCpuMsPerMb: the printers' CPU (user + system, /proc) from the first upload until every
 *    printer holds every photo, per MB they received (serving their peers included);
 *  - coordinatorCpuSeconds: this process's CPU over the same time (the in-process coordinator taking
 *    the uploads and seeding them, and the uploading client);
 *  - printerMajorGcs: the printers' full GCs meanwhile (what the factor is for);
 *  - printerMaxRssMB: the largest printer's resident set at the end (what the larger heap costs);
 *  - printerCpuRatio and coordinatorCpuRatio: the default's figures ÷ V8's own.
 * BENCH_LIVE_PRINTERS (4), BENCH_LIVE_PHOTOS (16), BENCH_LIVE_GAP_MS (1000) scale it. Last stdout line: one JSON object.
 */
const PRINTERS = Number(process.env.BENCH_LIVE_PRINTERS ?? 4);
const PHOTOS = Number(process.env.BENCH_LIVE_PHOTOS ?? 16);
const GAP_MS = Number(process.env.BENCH_LIVE_GAP_MS ?? 1000);
const PHOTO_SIDE_PX = 2600;
/** The printers follow the feed live; this only sets their catch-up tick (validation-8 uses 10 s). */
const PRINTER_CONFIG = { schedule: { intervalMs: 10_000 } };
/**
 * The printers idle this long before the photos come, as a venue's do between batches (a minute in
 * validation-8). It matters: after 8 s of quiet V8's memory reducer shrinks the heap's limits, and
 * photos then arrive at a process with little room. With 3 s here both factors measured the same
 * (ratios 0.93 and 1.00); with 20 s, 0.75, 1.18 and 0.91: printerMajorGcs says which state a run saw.
 */
const IDLE_BEFORE_PHOTOS_MS = 20_000;
const HOLD_TIMEOUT_MS = 300_000;
const MB = 1024 * 1024;
const clock = systemClock;
const progress = (msg: string) => process.stderr.write(`[bench:live] ${msg}\n`);

interface VenueRun {
  heapGrowingPercent: number;
  seconds: number;
  receivedMB: number;
  printerCpuSeconds: number;
  printerCpuMsPerMb: number;
  coordinatorCpuSeconds: number;
  /** Full (mark-compact) GCs of all printers together while the photos came. */
  printerMajorGcs: number;
  /** The largest resident set of any printer at the end (what the larger heap costs). */
  printerMaxRssMB: number;
}

async function holdAll(printers: EdgeProcess[], count: number): Promise<void> {
  if (!(await heldEverywhere(printers, count, HOLD_TIMEOUT_MS, 200)))
    throw new Error(`the printers did not hold ${count} photos within ${HOLD_TIMEOUT_MS} ms`);
}

async function received(printers: EdgeProcess[]): Promise<number> {
  const statuses = await Promise.all(printers.map((p) => p.status()));
  return statuses.reduce((n, s) => n + s.bytesFromLan + s.bytesFromCloud, 0);
}

const RSS_BYTES = /^process_resident_memory_bytes (\S+)$/m;
const MAJOR_GCS = /^nodejs_gc_duration_seconds_count\{kind="major"\} (\S+)$/m;

/** What the bench reads of a printer's /metrics (prom-client's process and GC metrics), in one request. */
async function printerMetrics(printer: EdgeProcess): Promise<{ majorGcs: number; rssBytes: number }> {
  const text = await (await fetch(`${printer.url}/metrics`)).text();
  const value = (pattern: RegExp) => {
    const match = pattern.exec(text);
    if (!match) throw new Error(`the printer does not report ${pattern.source}`);
    return Number(match[1]);
  };
  return { majorGcs: value(MAJOR_GCS), rssBytes: value(RSS_BYTES) };
}

async function venue(heapGrowingPercent: number, photos: Buffer[]): Promise<VenueRun> {
  // The in-process coordinator lives in this process: it gets the factor as its daemon would.
  growHeapForReplication(heapGrowingPercent);
  const dir = await mkdtemp(join(tmpdir(), 'vpm-bench-live-'));
  const kit = new VenueKit({ dir });
  try {
    await kit.ready();
    await kit.upload(await noisyJpeg(PHOTOS, PHOTO_SIDE_PX), 'warm-up.jpg');
    const env = { ...process.env, VPM_HEAP_GROWING_PERCENT: String(heapGrowingPercent) };
    const printers = await kit.startPrinters(
      Array.from({ length: PRINTERS }, (_, i) => ({ name: `P${i}`, config: PRINTER_CONFIG, process: { env } })),
    );
    await holdAll(printers, 1);
    await clock.sleep(IDLE_BEFORE_PHOTOS_MS);
    const pids = printers.map((p) => p.child.pid!);
    const bytesBefore = await received(printers);
    const cpuBefore = await cpuSecondsOf(pids);
    const before = await Promise.all(printers.map(printerMetrics));
    const ownBefore = process.cpuUsage();
    const started = clock.now();
    for (const [i, photo] of photos.entries()) {
      await kit.upload(photo, `live${i}.jpg`);
      await clock.sleep(GAP_MS);
    }
    await holdAll(printers, photos.length + 1);
    const seconds = (clock.now() - started) / 1000;
    const own = process.cpuUsage(ownBefore);
    const printerCpuSeconds = (await cpuSecondsOf(pids)) - cpuBefore;
    const receivedMB = ((await received(printers)) - bytesBefore) / MB;
    const after = await Promise.all(printers.map(printerMetrics));
    const printerMajorGcs = after.reduce((n, m, i) => n + m.majorGcs - before[i]!.majorGcs, 0);
    return {
      heapGrowingPercent,
      seconds: Number(seconds.toFixed(1)),
      receivedMB: Number(receivedMB.toFixed(1)),
      printerCpuSeconds: Number(printerCpuSeconds.toFixed(2)),
      printerCpuMsPerMb: Number(((printerCpuSeconds / receivedMB) * 1000).toFixed(1)),
      coordinatorCpuSeconds: Number(((own.user + own.system) / 1e6).toFixed(2)),
      printerMajorGcs,
      printerMaxRssMB: Math.round(Math.max(...after.map((m) => m.rssBytes)) / MB),
    };
  } finally {
    await kit.close();
    await rm(dir, { recursive: true, force: true });
  }
}

progress(`making ${PHOTOS} photos of ${PHOTO_SIDE_PX}² px`);
const photos: Buffer[] = [];
for (let i = 0; i < PHOTOS; i++) photos.push(await noisyJpeg(i, PHOTO_SIDE_PX));
progress(`${PRINTERS} printers, V8's own heap growing factor`);
const v8Own = await venue(0, photos);
progress(`${PRINTERS} printers, heap growing factor ${REPLICATION_HEAP_GROWING_PERCENT} %`);
const tuned = await venue(REPLICATION_HEAP_GROWING_PERCENT, photos);
console.log(
  JSON.stringify({
    printers: PRINTERS,
    photos: PHOTOS,
    gapMs: GAP_MS,
    v8Own,
    tuned,
    printerCpuRatio: Number((tuned.printerCpuMsPerMb / v8Own.printerCpuMsPerMb).toFixed(3)),
    coordinatorCpuRatio: Number((tuned.coordinatorCpuSeconds / v8Own.coordinatorCpuSeconds).toFixed(3)),
  }),
);
