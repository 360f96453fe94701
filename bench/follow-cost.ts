import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../shared/ports/clock.ts';
import { waitFor } from '../test/fixtures/feed-fixtures.ts';
import { heldEverywhere } from '../test/fixtures/printer-holdings.ts';
import type { EdgeProcess } from '../tools/venue-kit/edge-process.ts';
import { noisyJpeg } from '../tools/venue-kit/photos.ts';
import { cpuSecondsOf, percentile, processCpuSeconds } from '../tools/venue-kit/process-cpu.ts';
import { VenueKit } from '../tools/venue-kit/venue-kit.ts';

/**
 * `npm run bench:follow`: what an order redeemed at one printer costs every other printer of the
 * venue, which only watches (follows the orders feed and the scanning printer's claims log).
 *
 * BENCH_FOLLOW_PRINTERS printers (default 11) hold a few small photos; then BENCH_FOLLOW_ORDERS fans
 * (default 40) buy and redeem, one after the other, at the first printer. Reported:
 *  - idleCpuMsPerSecondPerWatcher: the watchers' CPU while nobody orders (IDLE_WINDOW_MS), per watcher;
 *  - cpuMsPerOrderPerWatcher: the watchers' CPU from the first order until every watcher knows every
 *    order, less the idle rate over that time, per order and per watcher;
 *  - scanP50Ms / scanP99Ms: scan → print at the scanning printer (small photos, so mostly claim work);
 *  - slowestScanCpuMs: who used the CPU during the slowest scan (the scanning printer, the watchers
 *    together, this process with the in-process coordinator), from /proc every SAMPLE_MS.
 * BENCH_FOLLOW_PROF=<dir>: the scanning printer and the first watcher run with `node --cpu-prof` (profiles written on stop).
 * BENCH_FOLLOW_LIST=1: every scan's time and the watchers' CPU per sample (idle, then scans) in the JSON too.
 * Last stdout line: one JSON object.
 */
const PRINTERS = Number(process.env.BENCH_FOLLOW_PRINTERS ?? 11);
const ORDERS = Number(process.env.BENCH_FOLLOW_ORDERS ?? 40);
const PROF_DIR = process.env.BENCH_FOLLOW_PROF;
const PHOTOS = 4;
const PHOTO_SIDE_PX = 400;
/** Long enough to see the watchers' steady background work (status reports, sync ticks). */
const IDLE_WINDOW_MS = 10_000;
const CATCH_UP_TIMEOUT_MS = 120_000;
const PRINTER_CONFIG = { schedule: { intervalMs: 2_000 } };
const clock = systemClock;
const progress = (msg: string) => process.stderr.write(`[bench:follow] ${msg}\n`);

/** How often the CPU sampler reads the processes' CPU times. */
const SAMPLE_MS = 100;

interface CpuSample {
  /** performance.now() at the end of the interval. */
  at: number;
  /** CPU seconds each pid used in the interval. */
  perPid: number[];
  /** This process (the bench and the in-process coordinator). */
  self: number;
}

/** Samples the CPU of these processes and this one every SAMPLE_MS until stopped. */
function sampleCpu(pids: readonly number[]): { stop: () => Promise<CpuSample[]> } {
  const samples: CpuSample[] = [];
  let running = true;
  const loop = (async () => {
    let last = await Promise.all(pids.map(processCpuSeconds));
    let lastSelf = process.cpuUsage();
    while (running) {
      await clock.sleep(SAMPLE_MS);
      const now = await Promise.all(pids.map(processCpuSeconds));
      const self = process.cpuUsage(lastSelf);
      lastSelf = process.cpuUsage();
      samples.push({
        at: performance.now(),
        perPid: now.map((v, i) => v - last[i]!),
        self: (self.user + self.system) / 1e6,
      });
      last = now;
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return samples;
    },
  };
}

async function main(kit: VenueKit): Promise<void> {
  await kit.ready();
  const photos = await kit.uploadPhotos(PHOTOS, (i) => noisyJpeg(i, PHOTO_SIDE_PX));
  progress(`starting ${PRINTERS} printers`);
  const specs = Array.from({ length: PRINTERS }, (_, i) => ({
    name: `P${i}`,
    config: PRINTER_CONFIG,
    process: { nodeArgs: i <= 1 && PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROF_DIR}`] : [] },
  }));
  const printers = await kit.startPrinters(specs);
  const [scanner, ...watchers] = printers as [EdgeProcess, ...EdgeProcess[]];
  const holdAll = await heldEverywhere(printers, PHOTOS, CATCH_UP_TIMEOUT_MS);
  if (!holdAll) throw new Error('the printers did not get the photos');
  const pids = watchers.map((w) => w.child.pid!);

  progress('idle window');
  const idleFrom = clock.now();
  const idleCpu0 = await cpuSecondsOf(pids);
  const idleSampler = sampleCpu(pids);
  await clock.sleep(IDLE_WINDOW_MS);
  const idleSamples = await idleSampler.stop();
  const idleRate = ((await cpuSecondsOf(pids)) - idleCpu0) / ((clock.now() - idleFrom) / 1000);

  progress(`${ORDERS} orders redeemed at ${scanner.name}`);
  const before = (await Promise.all(watchers.map((w) => w.status()))).map((s) => s.offline?.ordersKnown ?? 0);
  const from = clock.now();
  const cpu0 = await cpuSecondsOf(pids);
  const scans: number[] = [];
  const windows: Array<[number, number]> = [];
  const sampler = sampleCpu([scanner, ...watchers].map((p) => p.child.pid!));
  for (let i = 0; i < ORDERS; i++) {
    const { token } = await kit.buyAndPay([{ imageId: photos[i % PHOTOS]!.id, copies: 1 }]);
    const t0 = performance.now();
    const res = await scanner.redeem(token);
    if (res.status !== 200 || res.body.units?.[0]?.state !== 'printed')
      throw new Error(`redeem failed: ${JSON.stringify(res.body)}`);
    scans.push(performance.now() - t0);
    windows.push([t0, performance.now()]);
  }
  const samples = await sampler.stop();
  const slowest = scans.indexOf(Math.max(...scans));
  const [w0, w1] = windows[slowest]!;
  const inWindow = samples.filter((s) => s.at >= w0 && s.at <= w1 + SAMPLE_MS);
  const slowestScanCpuMs = {
    scan: slowest,
    ms: Math.round(scans[slowest]!),
    scanner: Math.round(inWindow.reduce((n, s) => n + s.perPid[0]!, 0) * 1000),
    watchers: Math.round(inWindow.reduce((n, s) => n + s.perPid.slice(1).reduce((a, b) => a + b, 0), 0) * 1000),
    benchAndCoordinator: Math.round(inWindow.reduce((n, s) => n + s.self, 0) * 1000),
  };
  const scansSeconds = (clock.now() - from) / 1000;
  const caughtUp = await waitFor(
    async () =>
      (await Promise.all(watchers.map((w) => w.status()))).every(
        (s, k) => (s.offline?.ordersKnown ?? 0) >= before[k]! + ORDERS,
      ),
    CATCH_UP_TIMEOUT_MS,
    250,
  );
  if (!caughtUp) throw new Error('the watchers did not learn every order');
  const seconds = (clock.now() - from) / 1000;
  const cpu = (await cpuSecondsOf(pids)) - cpu0;
  const perOrder = ((cpu - idleRate * seconds) * 1000) / ORDERS / watchers.length;
  console.log(
    JSON.stringify({
      printers: PRINTERS,
      orders: ORDERS,
      idleCpuMsPerSecondPerWatcher: Number(((idleRate * 1000) / watchers.length).toFixed(1)),
      cpuMsPerOrderPerWatcher: Number(perOrder.toFixed(2)),
      watchersCpuSeconds: Number(cpu.toFixed(2)),
      scansSeconds: Number(scansSeconds.toFixed(1)),
      catchUpSeconds: Number((seconds - scansSeconds).toFixed(1)),
      scanP50Ms: Math.round(percentile(scans, 50)),
      scanP99Ms: Math.round(percentile(scans, 99)),
      slowestScanCpuMs,
      scans: process.env.BENCH_FOLLOW_LIST ? scans.map(Math.round) : undefined,
      idleWatchersCpuMsPerSample: process.env.BENCH_FOLLOW_LIST
        ? idleSamples.map((s) => Math.round(s.perPid.reduce((a, b) => a + b, 0) * 1000))
        : undefined,
      watchersCpuMsPerSample: process.env.BENCH_FOLLOW_LIST
        ? samples.map((s) => Math.round(s.perPid.slice(1).reduce((a, b) => a + b, 0) * 1000))
        : undefined,
    }),
  );
}

const dir = await mkdtemp(join(tmpdir(), 'vpm-bench-follow-'));
const kit = new VenueKit({ dir });
try {
  await main(kit);
} finally {
  await kit.close();
  await rm(dir, { recursive: true, force: true });
}
