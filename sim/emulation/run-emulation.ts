/**
 * Emulation mode: the scenario drives the real system instead of the model. A coordinator (in
 * process, loopback DHT bootstrap) and N real edge-node processes replicate over real Hyperswarm
 * connections with real bytes; the scenario's uploads, purchases and redemptions are replayed at
 * `simulated time ÷ timeCompression` wall time. The workload (image sizes, upload times, orders,
 * seats) is the model's own `buildWorkload`, so both modes see the same dice for a seed, and the
 * result is the same SimResults schema (mode 'emulation').
 *
 * Conversions: wall durations × timeCompression = simulated seconds. Fan wait = the redeem call's
 * wall latency × timeCompression + the printer model's printSeconds per printed unit (the file
 * printer prints instantly; the physical print time is not emulated).
 *
 * Not emulated (yet): link shaping by `tc tbf` in network namespaces (needs root, iproute2 and one
 * namespace per process; here only the edge node's own app-level background token bucket applies,
 * scaled by timeCompression), the WAN's bandwidth and RTT, the LAN's capacity and RTT, printer-down
 * windows, WAN outages, sync windows, and fans queuing behind each other at a printer.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { AppError } from '../../shared/errors.ts';
import { seededRng } from '../../shared/policy/prng.ts';
import { batchMetrics, quantiles } from '../model/metrics.ts';
import { BYTES_PER_MBIT, printerLinks } from '../model/simulation.ts';
import { buildWorkload, type OrderSpec, type Workload } from '../model/workload.ts';
import { RESULTS_SCHEMA_VERSION, type SimResults, type StrategyName, type StrategyRun } from '../results-schema.ts';
import { type Scenario, totalPrinters } from '../scenario.ts';
import { summarizeRuns } from '../stats.ts';
import { type EdgeNodeSettings, type EdgeStatus, EmulatedVenue } from './emulated-venue.ts';

/** More compression than this turns a LAN fetch of tens of ms into minutes of "simulated" wait. */
export const MAX_TIME_COMPRESSION = 1000;
/** Edge processes one emulation starts at most; N ≥ 20 is the target on a 2-core machine. */
export const MAX_EMULATED_PRINTERS = 64;
/** Images larger than this are uploaded at this size (noise JPEGs: ~0.77 bytes per pixel). */
export const MAX_EMULATED_IMAGE_BYTES = 8_000_000;
const NOISE_JPEG_BYTES_PER_PIXEL = 0.77;
const MIN_IMAGE_SIDE_PX = 16;
/** The edge node refuses sync intervals and report intervals below 1 s. */
const MIN_EDGE_INTERVAL_MS = 1000;
/** Status polling (lag samples, batch completion): never more often than this per node. */
const MIN_POLL_INTERVAL_MS = 250;
const MAX_POLL_INTERVAL_MS = 500;
const DEFAULT_EDGE_REPORT_INTERVAL_MS = 5000;

export interface RunEmulationOptions {
  /** Simulated seconds per wall second (1 = real time). */
  timeCompression: number;
  /** Start at most this many edge processes (the scenario's printer groups are trimmed to it). */
  maxPrinters?: number;
  /** Seed of the workload; the scenario's seed when absent. */
  seed?: number;
  /** Fraction of the simulated timeline done, 0..1. */
  onProgress?: (fraction: number) => void;
  /** Parent of the run's temporary directory (default: the OS temp dir); the run removes its own dir. */
  workDir?: string;
}

/**
 * How one strategy runs on the real system. Only `mesh` (the shipped edge node) exists.
 * - star-periodic would need an edge-node mode with the LAN mesh off (no Hyperswarm joins between
 *   printers) and a coordinator job that pushes every `intervalS` the images a printer lacks, e.g.
 *   the edge node pulling its missing blocks from the cloud seeder only on that timer;
 * - on-demand would need the mesh off and background sync off (fetch from the cloud at redemption
 *   only), i.e. an edge config switch such as `mesh: false` plus a schedule that never runs.
 */
export interface EmulatedStrategy {
  name: StrategyName;
  nodeSettings(scenario: Scenario, timeCompression: number): EdgeNodeSettings;
}

const meshStrategy: EmulatedStrategy = {
  name: 'mesh',
  nodeSettings(scenario, f) {
    const m = scenario.strategies.mesh;
    return {
      schedule: { intervalMs: Math.max(MIN_EDGE_INTERVAL_MS, Math.round((m.syncIntervalS * 1000) / f)) },
      // Bytes per simulated second become bytes per wall second × f: the cap keeps its share of the timeline.
      backgroundBytesPerSec:
        m.backgroundCapMbps === undefined ? undefined : Math.round(m.backgroundCapMbps * BYTES_PER_MBIT * f),
      reportIntervalMs: Math.max(MIN_EDGE_INTERVAL_MS, Math.min(DEFAULT_EDGE_REPORT_INTERVAL_MS, 10_000 / f)),
    };
  },
};

export const EMULATED_STRATEGIES: ReadonlyMap<StrategyName, EmulatedStrategy> = new Map([['mesh', meshStrategy]]);

/** The scenario with its printer groups trimmed to at most `max` printers in all. */
export function capPrinters(scenario: Scenario, max: number): Scenario {
  if (totalPrinters(scenario) <= max) return scenario;
  const printers: Scenario['venue']['printers'] = [];
  let left = max;
  for (const g of scenario.venue.printers) {
    if (left === 0) break;
    printers.push({ ...g, count: Math.min(g.count, left) });
    left -= Math.min(g.count, left);
  }
  const limit = (list: number[]) => list.filter((p) => p < max);
  const faults = {
    ...scenario.faults,
    printerDown: scenario.faults.printerDown
      .map((w) => ({ ...w, printers: limit(w.printers) }))
      .filter((w) => w.printers.length > 0),
  };
  const orders =
    scenario.orders.kind === 'explicit'
      ? {
          ...scenario.orders,
          list: scenario.orders.list.map((o) => (o.printer === undefined ? o : { ...o, printer: o.printer % max })),
        }
      : scenario.orders;
  return { ...scenario, venue: { ...scenario.venue, printers }, faults, orders };
}

/** An incompressible (noise) JPEG of roughly `bytes` bytes. */
export async function noiseJpeg(bytes: number, seed: number): Promise<Buffer> {
  const side = Math.max(MIN_IMAGE_SIDE_PX, Math.round(Math.sqrt(bytes / NOISE_JPEG_BYTES_PER_PIXEL)));
  return sharp({
    create: {
      width: side,
      height: side,
      channels: 3,
      background: { r: seed % 255, g: (seed >> 8) % 255, b: 90 },
      noise: { type: 'gaussian', mean: 120 + (seed % 7), sigma: 50 },
    },
  })
    .jpeg({ quality: 92 })
    .toBuffer();
}

function validateOptions(opts: RunEmulationOptions, strategy: StrategyName): void {
  const f = opts.timeCompression;
  if (!Number.isFinite(f) || f <= 0 || f > MAX_TIME_COMPRESSION) {
    throw new AppError(
      400,
      'invalid_time_compression',
      `timeCompression must be > 0 and at most ${MAX_TIME_COMPRESSION}, got ${f}.`,
    );
  }
  const max = opts.maxPrinters;
  if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > MAX_EMULATED_PRINTERS)) {
    throw new AppError(
      400,
      'invalid_max_printers',
      `maxPrinters must be a whole number from 1 to ${MAX_EMULATED_PRINTERS}, got ${max}.`,
    );
  }
  if (!EMULATED_STRATEGIES.has(strategy)) {
    throw new AppError(
      400,
      'strategy_not_emulated',
      `Emulation mode runs only ${[...EMULATED_STRATEGIES.keys()].join(', ')}; "${strategy}" needs edge-node support first (see sim/README.md).`,
    );
  }
}

/** Runs the scenario once on the real system (mesh strategy) and reports it as SimResults. */
export async function runEmulation(
  scenario: Scenario,
  opts: RunEmulationOptions,
  strategyName: StrategyName = 'mesh',
): Promise<SimResults> {
  validateOptions(opts, strategyName);
  const cap = Math.min(opts.maxPrinters ?? MAX_EMULATED_PRINTERS, MAX_EMULATED_PRINTERS);
  const effective = capPrinters(scenario, cap);
  const seed = opts.seed ?? scenario.seed;
  const workload = buildWorkload(effective, seed);
  const run = await emulateOnce(effective, workload, EMULATED_STRATEGIES.get(strategyName)!, seed, opts);
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    mode: 'emulation',
    scenario: {
      name: scenario.name,
      printers: totalPrinters(effective),
      images: workload.images,
      orders: workload.orders.length,
      seed: scenario.seed,
    },
    timeCompression: opts.timeCompression,
    runs: [run],
    summaries: summarizeRuns([run]),
  };
}

interface RedemptionRecord {
  waitS: number;
  allLocal: boolean;
  ok: boolean;
}

async function emulateOnce(
  s: Scenario,
  w: Workload,
  strategy: EmulatedStrategy,
  seed: number,
  opts: RunEmulationOptions,
): Promise<StrategyRun> {
  const f = opts.timeCompression;
  const started = performance.now();
  const dir = await mkdtemp(join(opts.workDir ?? tmpdir(), 'vpm-emulation-'));
  const venue = new EmulatedVenue(dir);
  try {
    await venue.start();
    const printers = totalPrinters(s);
    await venue.startPrinters(printers, strategy.nodeSettings(s, f));
    const links = printerLinks(s);
    const lastRedeemS = w.orders.reduce((m, o) => Math.max(m, o.redeemAt), 0);
    const endS = Math.max(s.durationS, lastRedeemS);
    const t0 = performance.now();
    const simNow = () => ((performance.now() - t0) / 1000) * f;
    const until = async (simS: number) => {
      const waitMs = (simS * 1000) / f - (performance.now() - t0);
      if (waitMs > 0) await sleep(waitMs);
    };

    // Uploads: one chain in batch order; each batch's JPEGs are made before its upload time.
    const imageIds: Array<Promise<string>> = [];
    const resolvers: Array<{ ok: (id: string) => void; fail: (err: unknown) => void }> = [];
    for (let i = 0; i < w.images; i++) {
      imageIds.push(
        new Promise<string>((ok, fail) => {
          resolvers.push({ ok, fail });
        }),
      );
      imageIds[i]!.catch(() => {});
    }
    const uploadedBytes: number[] = new Array(w.images).fill(0);
    const uploadedAtS: number[] = new Array(w.images).fill(0);
    let uploads = 0;
    const uploading = (async () => {
      try {
        for (const b of w.batches) {
          const jpegs: Buffer[] = [];
          for (let i = b.first; i < b.first + b.count; i++) {
            jpegs.push(await noiseJpeg(Math.min(w.imageBytes[i]!, MAX_EMULATED_IMAGE_BYTES), seed * 1_000_003 + i));
          }
          await until(b.atS);
          for (let k = 0; k < jpegs.length; k++) {
            const i = b.first + k;
            const id = await venue.upload(jpegs[k]!, `img${i}.jpg`);
            uploadedBytes[i] = jpegs[k]!.length;
            uploadedAtS[i] = b.atS;
            uploads++;
            resolvers[i]!.ok(id);
          }
        }
      } catch (err) {
        for (const r of resolvers) r.fail(err);
        throw err;
      }
    })();

    // Orders: bought at purchaseAt (once their images are uploaded), redeemed at redeemAt.
    const chooser = printerChooser(s, seed, printers);
    const records: RedemptionRecord[] = [];
    let purchases = 0;
    // A printer serves one fan at a time, as a kiosk does: redemptions at one printer run in arrival
    // order, and its virtual clock (simulated seconds) carries each print's time, since the file
    // printer itself prints instantly.
    const queues = venue.nodes.map(() => Promise.resolve());
    const freeAtS = venue.nodes.map(() => 0);
    const ordering = w.orders.map(async (order) => {
      await until(order.purchaseAt);
      const ids = await Promise.all(Array.from(order.images, (img) => imageIds[img]!));
      const items = ids.map((imageId, k) => ({ imageId, copies: order.copies[k]! }));
      const token = await venue.buyAndPay(items);
      purchases++;
      await until(order.redeemAt);
      const p = chooser.pick(order);
      chooser.busy[p]!++;
      const turn = queues[p]!.then(async () => {
        const before = performance.now();
        const startS = Math.max(order.redeemAt, freeAtS[p]!);
        try {
          const res = await venue.nodes[p]!.redeem(token);
          const wallS = (performance.now() - before) / 1000;
          const printed = res.units.filter((u) => u.state === 'printed').length;
          const ok = res.status === 200 && res.units.length > 0 && printed === res.units.length;
          freeAtS[p] = startS + wallS * f + printed * links.printSeconds[p]!;
          records.push({
            waitS: freeAtS[p]! - order.redeemAt,
            allLocal: res.units.length > 0 && res.units.every((u) => u.source === 'local'),
            ok,
          });
        } catch {
          freeAtS[p] = startS + ((performance.now() - before) / 1000) * f;
          records.push({ waitS: freeAtS[p]! - order.redeemAt, allLocal: false, ok: false });
        } finally {
          chooser.busy[p]!--;
        }
      });
      queues[p] = turn;
      await turn;
    });

    // Sampling: lag every sampleIntervalS of simulated time, and batch completion at each poll.
    const heldAt = new Float64Array(printers * w.images).fill(Number.POSITIVE_INFINITY);
    const lagSeries: StrategyRun['lagSeries'] = [];
    let sampling = true;
    let lastStatuses: Array<EdgeStatus | null> = [];
    const pollMs = Math.max(
      MIN_POLL_INTERVAL_MS,
      Math.min(MAX_POLL_INTERVAL_MS, (s.output.sampleIntervalS * 1000) / f),
    );
    const poll = async (recordLag: boolean) => {
      lastStatuses = await Promise.all(venue.nodes.map((n) => n.status().catch(() => null)));
      const t = simNow();
      let sum = 0;
      let max = 0;
      lastStatuses.forEach((st, p) => {
        const e = st?.events.find((x) => x.eventId === venue.eventId);
        // The node's images are counted, not named: the first `imagesHeld` uploads are taken as held.
        const held = Math.min(e?.imagesHeld ?? 0, uploads);
        for (let i = 0; i < held; i++)
          if (heldAt[p * w.images + i] === Number.POSITIVE_INFINITY) heldAt[p * w.images + i] = t;
        const lag = ((e?.oldestMissingAgeMs ?? 0) / 1000) * f;
        sum += lag;
        if (lag > max) max = lag;
      });
      if (recordLag) lagSeries.push({ t, meanLagSeconds: printers > 0 ? sum / printers : 0, maxLagSeconds: max });
    };
    const sampler = (async () => {
      let nextSample = 0;
      while (sampling) {
        const due = simNow() >= nextSample;
        await poll(due);
        if (due) nextSample += s.output.sampleIntervalS;
        opts.onProgress?.(Math.min(1, simNow() / endS));
        await sleep(pollMs);
      }
    })();

    try {
      await uploading;
      await Promise.all(ordering);
      await until(endS);
    } finally {
      sampling = false;
      await sampler;
    }
    await poll(true);
    opts.onProgress?.(1);

    const wanBytes = sum(lastStatuses.map((x) => x?.bytesFromCloud ?? 0));
    const lanBytes = sum(lastStatuses.map((x) => x?.bytesFromLan ?? 0));
    const uniqueBytes = sum(uploadedBytes);
    // Real upload sizes, not the scenario's draws: the bound and completion refer to the bytes that moved.
    const real: Workload = {
      ...w,
      imageBytes: Float64Array.from(uploadedBytes),
      uploadAt: Float64Array.from(uploadedAtS),
      batches: w.batches.map((b) => ({
        ...b,
        bytes: sum(uploadedBytes.slice(b.first, b.first + b.count)),
      })),
      uniqueBytes,
    };
    const ok = records.filter((r) => r.ok);
    return {
      strategy: strategy.name,
      seed,
      wanBytes,
      uniqueBytes,
      wanRatio: uniqueBytes > 0 ? wanBytes / uniqueBytes : 0,
      lanBytes,
      fanWaitSeconds: quantiles(ok.map((r) => r.waitS)),
      allLocalShare: records.length > 0 ? records.filter((r) => r.allLocal).length / records.length : 0,
      lagSeries,
      batches: batchMetrics(s, real, links, heldAt, printers),
      redemptions: records.length,
      failedRedemptions: records.length - ok.length,
      events: uploads + purchases + records.length,
      wallSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    await venue.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** Where a fan redeems: the scenario's choice, over the printers actually running. */
function printerChooser(s: Scenario, seed: number, printers: number) {
  const rng = seededRng(`${seed}/emulation-choice`);
  const busy = new Array<number>(printers).fill(0);
  const pick = (order: OrderSpec): number => {
    if (order.fixedPrinter >= 0) return order.fixedPrinter % printers;
    switch (s.redemption.choice) {
      case 'nearest':
        return order.seat % printers;
      case 'random':
        return Math.floor(rng.next() * printers);
      case 'shortest-queue': {
        let best = order.seat % printers;
        for (let p = 0; p < printers; p++) if (busy[p]! < busy[best]!) best = p;
        return best;
      }
    }
  };
  return { busy, pick };
}
