/**
 * Emulation mode: the scenario drives the real system instead of the model. A coordinator (in
 * process, its own DHT bootstrap) and N real edge-node processes replicate over real Hyperswarm
 * connections with real bytes; the scenario's uploads, purchases and redemptions are replayed at
 * `simulated time ÷ timeCompression` wall time. The workload (image sizes, upload times, orders,
 * seats) is the model's own `buildWorkload` and fans pick printers with the model's own dice, so
 * both modes see the same event for a seed, and the result is the same SimResults schema (mode
 * 'emulation'). Each strategy is an edge-node configuration (emulated-strategies.ts).
 *
 * Conversions: wall durations × timeCompression = simulated seconds, except the printers' own
 * processing time, which counts once (fan-wait.ts); print time runs on a virtual clock per printer.
 * With `linkShaping` the WAN is shaped by `tc tbf` in network namespaces (netns.ts, shaped-run.ts).
 *
 * Not emulated: the LAN's capacity, RTTs, printer-down windows, WAN outages, sync windows, and the
 * model's retries of failed redemptions.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../shared/errors.ts';
import { type Clock, systemClock } from '../../shared/ports/clock.ts';
import { batchMetrics, quantiles } from '../model/metrics.ts';
import { printerLinks } from '../model/simulation.ts';
import { buildWorkload, type Workload } from '../model/workload.ts';
import { RESULTS_SCHEMA_VERSION, type SimResults, type StrategyName, type StrategyRun } from '../results-schema.ts';
import { type Scenario, totalPrinters } from '../scenario.ts';
import { summarizeRuns } from '../stats.ts';
import { alignmentDelayMs, EMULATED_STRATEGIES, type EmulatedStrategy } from './emulated-strategies.ts';
import {
  type EdgeStatus,
  emulatedPrinters,
  emulatedVenue,
  removeDirOnExit,
  type VenueNetwork,
} from './emulated-venue.ts';
import { processingEstimateS, type Service, simulatedWaits } from './fan-wait.ts';
import { PhotoMaker } from './photo-bytes.ts';
import { calibrateProcessing, printerChooser } from './redemption-desk.ts';
import type { EmulationRunStats } from './run-stats.ts';
import { runShapedEmulation } from './shaped-run.ts';

/** More compression than this turns a LAN fetch of tens of ms into minutes of "simulated" wait. */
export const MAX_TIME_COMPRESSION = 1000;
/** Edge processes one emulation starts at most; N ≥ 20 is the target on a 2-core machine. */
export const MAX_EMULATED_PRINTERS = 64;
/** Images larger than this are uploaded at this size. */
export const MAX_EMULATED_IMAGE_BYTES = 8_000_000;
/** Redemptions with all photos local needed to estimate the printers' processing time (fan-wait.ts). */
const MIN_PROCESSING_SAMPLES = 3;
/** Status polling (lag samples, batch completion): never more often than this per node. */
const MIN_POLL_INTERVAL_MS = 250;
const MAX_POLL_INTERVAL_MS = 500;

export type { EmulationRunStats } from './run-stats.ts';

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
  /** Keep each edge node's log in `<logDir>/<printer>.log` (for diagnosing a run). */
  logDir?: string;
  /** Things worth knowing about the run that are not results (a node not answering, timings). */
  onDiagnostic?: (message: string) => void;
  /**
   * How well the run kept to its timeline: the latest an upload batch finished after its due time
   * (simulated seconds; large values mean the machine could not keep up at this compression), and
   * the printers' processing time per redemption (wall seconds; fan-wait.ts).
   */
  onRunStats?: (stats: EmulationRunStats) => void;
  /**
   * Shape the venue's WAN with `tc tbf` at `wan.bandwidthMbps × timeCompression` in network
   * namespaces (root and iproute2; netns.ts). Default: no shaping, everything on loopback.
   */
  linkShaping?: boolean;
  /** Where the parts listen; set by the shaped run for its child (shaped-child.ts). */
  network?: VenueNetwork;
  /** The run's wall clock (its timeline, waits and latencies); the system clock by default. */
  clock?: Clock;
}

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

function validateOptions(opts: RunEmulationOptions, strategy: StrategyName): void {
  const f = opts.timeCompression;
  if (!Number.isFinite(f) || f <= 0 || f > MAX_TIME_COMPRESSION) {
    throw new AppError(
      'invalid_time_compression',
      `timeCompression must be > 0 and at most ${MAX_TIME_COMPRESSION}, got ${f}.`,
    );
  }
  const max = opts.maxPrinters;
  if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > MAX_EMULATED_PRINTERS)) {
    throw new AppError(
      'invalid_max_printers',
      `maxPrinters must be a whole number from 1 to ${MAX_EMULATED_PRINTERS}, got ${max}.`,
    );
  }
  if (!EMULATED_STRATEGIES.has(strategy)) {
    throw new AppError(
      'strategy_not_emulated',
      `Emulation mode runs ${[...EMULATED_STRATEGIES.keys()].join(', ')}; "${strategy}" is not one of them.`,
    );
  }
}

/** Runs the scenario once on the real system with one strategy and reports it as SimResults. */
export async function runEmulation(
  scenario: Scenario,
  opts: RunEmulationOptions,
  strategyName: StrategyName = 'mesh',
): Promise<SimResults> {
  validateOptions(opts, strategyName);
  if (opts.linkShaping) {
    // The child runs on its own system clock: a clock does not cross a process boundary.
    const { linkShaping: _, network: __, clock: ___, ...rest } = opts;
    return runShapedEmulation(scenario, rest, strategyName);
  }
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

async function emulateOnce(
  s: Scenario,
  w: Workload,
  strategy: EmulatedStrategy,
  seed: number,
  opts: RunEmulationOptions,
): Promise<StrategyRun> {
  const f = opts.timeCompression;
  const diag = opts.onDiagnostic ?? (() => {});
  const clock = opts.clock ?? systemClock;
  const started = clock.now();
  const dir = await mkdtemp(join(opts.workDir ?? tmpdir(), 'vpm-emulation-'));
  const keepDir = removeDirOnExit(dir);
  const venue = emulatedVenue(dir, { network: opts.network, clock });
  try {
    await venue.ready();
    const printers = totalPrinters(s);
    const nodes = await venue.startPrinters(emulatedPrinters(printers, strategy.nodeSettings(s, f), opts.logDir));
    const eventId = venue.event.id;
    const links = printerLinks(s);
    const lastRedeemS = w.orders.reduce((m, o) => Math.max(m, o.redeemAt), 0);
    const endS = Math.max(s.durationS, lastRedeemS);
    await clock.sleep(alignmentDelayMs(strategy.timelineAlignment?.(s, f), clock.now()));
    const t0 = clock.now();
    const simNow = () => ((clock.now() - t0) / 1000) * f;
    const until = async (simS: number) => {
      const waitMs = (simS * 1000) / f - (clock.now() - t0);
      if (waitMs > 0) await clock.sleep(waitMs);
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
    const photos = new PhotoMaker(seed);
    const uploadedBytes: number[] = new Array(w.images).fill(0);
    const uploadedAtS: number[] = new Array(w.images).fill(0);
    /** Per batch: when its last photo was on the feed (uploads run one after the other). */
    const publishedAtS: number[] = w.batches.map((b) => b.atS);
    let uploads = 0;
    let maxUploadLagS = 0;
    const uploading = (async () => {
      try {
        for (const b of w.batches) {
          const jpegs: Buffer[] = [];
          for (let i = b.first; i < b.first + b.count; i++) {
            jpegs.push(
              await photos.photo(Math.min(w.imageBytes[i]!, MAX_EMULATED_IMAGE_BYTES), `seed ${seed} photo ${i}`),
            );
          }
          await until(b.atS);
          for (let k = 0; k < jpegs.length; k++) {
            const i = b.first + k;
            const { id } = await venue.upload(jpegs[k]!, `img${i}.jpg`);
            uploadedBytes[i] = jpegs[k]!.length;
            uploadedAtS[i] = b.atS;
            uploads++;
            resolvers[i]!.ok(id);
          }
          publishedAtS[b.index] = simNow();
          maxUploadLagS = Math.max(maxUploadLagS, simNow() - b.atS);
          diag(`batch ${b.index}: due ${b.atS.toFixed(0)} s, uploaded by ${simNow().toFixed(0)} s`);
        }
      } catch (err) {
        for (const r of resolvers) r.fail(err);
        throw err;
      }
    })();

    // Orders: bought at purchaseAt (once their images are uploaded), redeemed at redeemAt.
    const chooser = printerChooser(s, w, strategy.name, seed, printers);
    const services: Service[] = [];
    let purchases = 0;
    // A printer serves one fan at a time, as a kiosk does: redemptions at one printer run in arrival
    // order. Waits are computed after the run from the measured latencies (fan-wait.ts).
    const queues = nodes.map(() => Promise.resolve());
    const printedHere = nodes.map((): string[] => []);
    const ordering = w.orders.map(async (order) => {
      await until(order.purchaseAt);
      const ids = await Promise.all(Array.from(order.images, (img) => imageIds[img]!));
      const items = ids.map((imageId, k) => ({ imageId, copies: order.copies[k]! }));
      const { token } = await venue.buyAndPay(items);
      purchases++;
      await until(order.redeemAt);
      const p = chooser.pick(order);
      chooser.busy[p]!++;
      const turn = queues[p]!.then(async () => {
        const before = clock.now();
        try {
          const res = await nodes[p]!.redeem(token);
          const wallS = (clock.now() - before) / 1000;
          const units = res.body.units ?? [];
          const printed = units.filter((u) => u.state === 'printed').length;
          const ok = res.status === 200 && units.length > 0 && printed === units.length;
          const allLocal = units.length > 0 && units.every((u) => u.source === 'local');
          services.push({ printer: p, redeemAtS: order.redeemAt, wallS, printedUnits: printed, allLocal, ok });
          if (ok) printedHere[p]!.push(...ids);
          diag(
            `P${p}: redemption at ${order.redeemAt.toFixed(0)} s took ${(wallS * 1000).toFixed(0)} ms wall, ${res.status}, ${printed}/${units.length} printed, from ${units.map((u) => u.source ?? '?').join('+')}`,
          );
        } catch (err) {
          diag(`P${p}: redemption failed: ${(err as Error).message}`);
          const wallS = (clock.now() - before) / 1000;
          services.push({ printer: p, redeemAtS: order.redeemAt, wallS, printedUnits: 0, allLocal: false, ok: false });
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
    // Counters only grow, so a node that misses a poll keeps its last answer.
    const lastStatuses: Array<EdgeStatus | null> = nodes.map(() => null);
    const statusFailures: number[] = nodes.map(() => 0);
    const pollMs = Math.max(
      MIN_POLL_INTERVAL_MS,
      Math.min(MAX_POLL_INTERVAL_MS, (s.output.sampleIntervalS * 1000) / f),
    );
    const poll = async (recordLag: boolean) => {
      const answers = await Promise.all(
        nodes.map((n) =>
          n.status().catch((err: Error) => {
            diag(`${n.name}: status failed at ${simNow().toFixed(0)} s (${n.exited() ?? err.message})`);
            return null;
          }),
        ),
      );
      answers.forEach((st, p) => {
        if (st) lastStatuses[p] = st;
        else statusFailures[p]!++;
      });
      const t = simNow();
      let sum = 0;
      let max = 0;
      lastStatuses.forEach((st, p) => {
        const e = st?.events.find((x) => x.eventId === eventId);
        // The node's images are counted, not named: the first `imagesHeld` uploads are taken as held.
        const held = Math.min(e?.imagesHeld ?? 0, uploads);
        for (let i = 0; i < held; i++)
          if (heldAt[p * w.images + i] === Number.POSITIVE_INFINITY) heldAt[p * w.images + i] = t;
        const lag = ((e?.oldestMissingAgeMs ?? 0) / 1000) * f;
        sum += lag;
        if (lag > max) max = lag;
      });
      if (recordLag) {
        lagSeries.push({ t, meanLagSeconds: printers > 0 ? sum / printers : 0, maxLagSeconds: max });
        const held = lastStatuses.map((st) => st?.events.find((x) => x.eventId === eventId)?.imagesHeld ?? 0);
        const peers = lastStatuses.map((st) => st?.lanPeers ?? 0);
        diag(
          `t ${t.toFixed(0)} s: ${uploads} uploaded; held ${Math.min(...held)}–${Math.max(...held)}; LAN peers ${Math.min(...peers)}–${Math.max(...peers)}; WAN ${(sumOf(lastStatuses, 'bytesFromCloud') / 1e6).toFixed(1)} MB`,
        );
      }
    };
    const sampler = (async () => {
      let nextSample = 0;
      while (sampling) {
        const due = simNow() >= nextSample;
        await poll(due);
        if (due) nextSample += s.output.sampleIntervalS;
        opts.onProgress?.(Math.min(1, simNow() / endS));
        await clock.sleep(pollMs);
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
    const stopped = nodes.filter((n) => n.exited() !== null);
    if (stopped.length > 0) {
      throw new AppError(
        'emulation_edge_failed',
        `Emulation: edge node ${stopped.map((n) => `${n.name} (${n.exited()})`).join(', ')} stopped during the run; its figures would be missing. Run with a log directory to see why.`,
      );
    }
    const silent = statusFailures.map((n, p) => [n, p] as const).filter(([n]) => n > 0);
    if (silent.length > 0) {
      diag(`status polls that failed: ${silent.map(([n, p]) => `P${p} ${n}`).join(', ')}`);
    }

    const wanBytes = sumOf(lastStatuses, 'bytesFromCloud');
    const lanBytes = sumOf(lastStatuses, 'bytesFromLan');
    const uniqueBytes = sum(uploadedBytes);
    // Real upload sizes, not the scenario's draws: the bound and completion refer to the bytes that moved.
    const real: Workload = {
      ...w,
      imageBytes: Float64Array.from(uploadedBytes),
      uploadAt: Float64Array.from(uploadedAtS),
      // Completion counts from when the batch was whole on the feed: the model publishes a batch at
      // once, while here the photographer's uploads take seconds (reported as `publishedAfterS`).
      batches: w.batches.map((b) => ({
        ...b,
        atS: publishedAtS[b.index]!,
        bytes: sum(uploadedBytes.slice(b.first, b.first + b.count)),
      })),
      uniqueBytes,
    };
    // The printers' processing time, counted once (fan-wait.ts); calibrated after the run when too
    // few redemptions found their photos local.
    const localSamples: Array<Pick<Service, 'wallS' | 'allLocal' | 'ok'>> = services.filter((x) => x.ok && x.allLocal);
    if (localSamples.length < MIN_PROCESSING_SAMPLES) {
      localSamples.push(
        ...(await calibrateProcessing(venue, nodes, clock, printedHere, MIN_PROCESSING_SAMPLES - localSamples.length)),
      );
    }
    const processingS = processingEstimateS(localSamples);
    diag(`processing time per redemption: ${(processingS * 1000).toFixed(0)} ms wall (${localSamples.length} samples)`);
    opts.onRunStats?.({ maxUploadLagS, processingS });
    const waits = simulatedWaits(services, f, links.printSeconds, processingS);
    const ok = services.flatMap((x, k) => (x.ok ? [waits[k]!] : []));
    return {
      strategy: strategy.name,
      seed,
      wanBytes,
      uniqueBytes,
      wanRatio: uniqueBytes > 0 ? wanBytes / uniqueBytes : 0,
      lanBytes,
      fanWaitSeconds: quantiles(ok),
      allLocalShare: services.length > 0 ? services.filter((x) => x.allLocal).length / services.length : 0,
      lagSeries,
      batches: batchMetrics(s, real, links, heldAt, printers).map((b, k) => ({
        ...b,
        publishedAfterS: Math.round((publishedAtS[k]! - w.batches[k]!.atS) * 1000) / 1000,
      })),
      redemptions: services.length,
      failedRedemptions: services.length - ok.length,
      events: uploads + purchases + services.length,
      wallSeconds: (clock.now() - started) / 1000,
    };
  } finally {
    await venue.close().catch((err: Error) => diag(`closing the venue failed: ${err.message}`));
    await rm(dir, { recursive: true, force: true });
    keepDir();
  }
}

function sumOf(statuses: ReadonlyArray<EdgeStatus | null>, key: 'bytesFromCloud' | 'bytesFromLan'): number {
  return sum(statuses.map((x) => x?.[key] ?? 0));
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
