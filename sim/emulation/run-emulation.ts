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
 * A run's parts share one timeline (wall-timeline.ts): the photographer (photo-uploads.ts), the
 * fans (fan-orders.ts) and the watch on the nodes' status (status-sampler.ts).
 *
 * Not emulated: the LAN's capacity, RTTs, printer-down windows, WAN outages, sync windows that open
 * or close during the timeline (emulated-windows.ts), and the model's retries of failed redemptions.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../../shared/errors.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { processCpuSeconds } from '../../tools/venue-kit/process-cpu.ts';
import { batchMetrics, quantiles } from '../model/metrics.ts';
import { printerLinks } from '../model/simulation.ts';
import { buildWorkload, type Workload } from '../model/workload.ts';
import { RESULTS_SCHEMA_VERSION, type SimResults, type StrategyName, type StrategyRun } from '../results-schema.ts';
import { type Scenario, totalPrinters } from '../scenario.ts';
import { meanBatchCompleteSeconds, sum, summarizeRuns } from '../stats.ts';
import { CpuSampler, type RunWindow } from './cpu-sampler.ts';
import { alignmentDelayMs, EMULATED_STRATEGIES, type EmulatedStrategy } from './emulated-strategies.ts';
import { emulatedPrinters, emulatedVenue, removeDirOnExit } from './emulated-venue.ts';
import { assertWindowsEmulatable } from './emulated-windows.ts';
import {
  DEFAULT_CLOUD_PRIORITY,
  MAX_EMULATED_PRINTERS,
  type RunEmulationOptions,
  validateEmulationOptions,
} from './emulation-options.ts';
import { FanOrders } from './fan-orders.ts';
import { processingEstimateS, type Service, simulatedWaits } from './fan-wait.ts';
import { PhotoUploads } from './photo-uploads.ts';
import { calibrateProcessing, printerChooser } from './redemption-desk.ts';
import type { EmulationRunStats } from './run-stats.ts';
import { runShapedEmulation } from './shaped-run.ts';
import { StatusSampler } from './status-sampler.ts';
import { waitForSteadyVenue } from './venue-steady.ts';
import { wallTimeline } from './wall-timeline.ts';

/** Redemptions with all photos local needed to estimate the printers' processing time (fan-wait.ts). */
const MIN_PROCESSING_SAMPLES = 3;

export type { EmulationRunStats } from './run-stats.ts';

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

/** Runs the scenario once on the real system with one strategy and reports it as SimResults. */
export async function runEmulation(
  scenario: Scenario,
  opts: RunEmulationOptions,
  strategyName: StrategyName = 'mesh',
): Promise<SimResults> {
  validateEmulationOptions(opts, strategyName);
  if (scenario.redemption.kioskSuggestion) {
    // Its file printers print at once, so a station's queue exists only in the fan waits computed
    // after the run (fan-wait.ts), too late for a kiosk to suggest anything from it.
    throw new AppError(
      'invalid_scenario',
      `Scenario "${scenario.name}": emulation does not model the kiosk's suggestion (redemption.kioskSuggestion); run it with --mode model, or remove that field to emulate.`,
    );
  }
  // Windows that open or close during the timeline are refused here, before anything starts.
  assertWindowsEmulatable(scenario, [strategyName], opts.timeCompression);
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
  const venue = emulatedVenue(dir, {
    network: opts.network,
    clock,
    cloudPriority: opts.cloudPriority ?? DEFAULT_CLOUD_PRIORITY,
    // The coordinator tells every printer the venue's photo overlay, as the model has it.
    photoOverlayRings: s.strategies.mesh.photoOverlayRings,
  });
  try {
    await venue.ready();
    const printers = totalPrinters(s);
    // The nodes read the real clock, whatever clock drives the run: their schedule is placed on it.
    const nodes = await venue.startPrinters(emulatedPrinters(printers, strategy.nodeSettings(s, f, systemClock), opts));
    // The printers' CPU over the run (replication, serving, status answers, the fans' prints), for
    // comparison with the scenario's CPU per MB; and the cloud's, which shares this host.
    const pids = nodes.flatMap((n) => (n.child.pid === undefined ? [] : [n.child.pid]));
    const cloudPid = venue.coordinatorPid;
    const cloudCpuAtStart = cloudPid === null ? 0 : await processCpuSeconds(cloudPid);
    const links = printerLinks(s);
    const lastRedeemS = w.orders.reduce((m, o) => Math.max(m, o.redeemAt), 0);
    const endS = Math.max(s.durationS, lastRedeemS);
    if (strategy.replicatesOnLan) {
      const { steady, waitedMs, lanPeers } = await waitForSteadyVenue(nodes, clock);
      diag(
        steady
          ? `every printer connected to its ${printers - 1} LAN peers ${(waitedMs / 1000).toFixed(1)} s after they started`
          : `printers still not all connected after ${(waitedMs / 1000).toFixed(0)} s (LAN peers: ${lanPeers.join(', ')}); starting anyway, batch 0 carries the rest of their start`,
      );
    }
    await clock.sleep(alignmentDelayMs(strategy.timelineAlignment?.(s, f), clock.now()));
    const timeline = wallTimeline(clock, f);
    const uploads = new PhotoUploads(venue, w, seed, timeline, diag);
    const chooser = printerChooser(s, w, strategy.name, seed, printers);
    const fans = new FanOrders(venue, nodes, w.orders, uploads.imageIds, chooser, timeline, clock, diag);
    const cpu = new CpuSampler(pids, timeline, clock);
    await cpu.start();
    const sampler = new StatusSampler({
      nodes,
      eventId: venue.event.id,
      images: w.images,
      timeCompression: f,
      timeline,
      uploads: () => uploads.uploads,
      diag,
    });
    sampler.start(s.output.sampleIntervalS, endS, clock, opts.onProgress);

    try {
      await uploads.done;
      await fans.finished();
      await timeline.until(endS);
    } finally {
      await sampler.stop();
      await cpu.stop();
    }
    await sampler.poll(true);
    const cloudCpuSeconds = cloudPid === null ? null : (await processCpuSeconds(cloudPid)) - cloudCpuAtStart;
    opts.onProgress?.(1);
    const stopped = nodes.filter((n) => n.exited() !== null);
    if (stopped.length > 0) {
      throw new AppError(
        'emulation_edge_failed',
        `Emulation: edge node ${stopped.map((n) => `${n.name} (${n.exited()})`).join(', ')} stopped during the run; its figures would be missing. Run with a log directory to see why.`,
      );
    }
    sampler.reportFailedPolls();

    const { uploadedBytes, publishedAtS } = uploads;
    const { services, printedHere } = fans;
    const wanBytes = sampler.bytes('bytesFromCloud');
    const lanBytes = sampler.bytes('bytesFromLan');
    const uniqueBytes = sum(uploadedBytes);
    // Real upload sizes and publication times, not the scenario's draws: the bound and completion
    // refer to the bytes that moved, from when each photo was on the feed (batchMetrics).
    const real: Workload = {
      ...w,
      imageBytes: Float64Array.from(uploadedBytes),
      uploadAt: Float64Array.from(publishedAtS),
      batches: w.batches.map((b) => ({ ...b, bytes: sum(uploadedBytes.slice(b.first, b.first + b.count)) })),
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
    // Batch completion from the nodes' own stamps; the polled figure is kept for comparison.
    const polled = batchMetrics(s, real, links, Float64Array.from(sampler.heldAt), printers);
    const stamped = await sampler.stampArrivals(await Promise.all(uploads.imageIds));
    const batches = batchMetrics(s, real, links, sampler.heldAt, printers);
    diag(
      `batch completion from the printers' stamps (${stamped} of ${printers * w.images}): mean ${seconds(meanBatchCompleteSeconds(batches))}; as polled every ${sampler.pollMs} ms: ${seconds(meanBatchCompleteSeconds(polled))}`,
    );
    const detours = sampler.detours();
    diag(
      `detours (links for fans' photos to printers off the photo overlay): asked ${detours.asked}, served ${detours.served}, declined ${detours.declined}`,
    );
    opts.onRunStats?.({
      photoDetours: detours,
      maxUploadLagS: uploads.maxUploadLagS,
      processingS,
      publishedAtS: [...publishedAtS],
      ...replicationCpu(cpu, real, batches, printers),
      cloudCpuSeconds,
    });
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
      lagSeries: sampler.lagSeries,
      batches,
      redemptions: services.length,
      failedRedemptions: services.length - ok.length,
      events: uploads.uploads + fans.purchases + services.length,
      wallSeconds: (clock.now() - started) / 1000,
    };
  } finally {
    await venue.close().catch((err: Error) => diag(`closing the venue failed: ${err.message}`));
    await rm(dir, { recursive: true, force: true });
    keepDir();
  }
}

/** A mean batch completion for a diagnostic line. */
const seconds = (s: number | null): string => (s === null ? 'none complete' : `${s.toFixed(2)} s`);

/**
 * The printers' CPU: over the whole run, and while batches replicated (from each batch's due time
 * until every printer held it), per MB the printers received then (each printer receives each
 * photo of such a batch once, from the cloud or a peer), which is what a scenario's `cpuMsPerMb`
 * states, and the cores the host left each printer meanwhile. Only batches that reached every
 * printer count: the printers did not receive the others whole. None did (sync windows closed,
 * on-demand): null.
 */
export function replicationCpu(
  cpu: Pick<CpuSampler, 'totalCpuSeconds' | 'cpuSecondsDuring' | 'hostCoresDuring'>,
  w: Pick<Workload, 'batches'>,
  batches: StrategyRun['batches'],
  printers: number,
): Pick<EmulationRunStats, 'edgeCpuSeconds' | 'edgeCpuMsPerMbReplicating' | 'printerCoresAvailable'> {
  const windows: RunWindow[] = [];
  let bytes = 0;
  batches.forEach((b, k) => {
    if (b.completeSeconds === null) return;
    const dueS = w.batches[k]!.atS;
    windows.push({ fromS: dueS, toS: dueS + (b.publishedAfterS ?? 0) + b.completeSeconds });
    bytes += b.bytes;
  });
  const receivedMb = (printers * bytes) / 1e6;
  const host = receivedMb > 0 ? cpu.hostCoresDuring(windows) : null;
  const left = host && host.cpus - host.otherCores;
  return {
    edgeCpuSeconds: cpu.totalCpuSeconds,
    edgeCpuMsPerMbReplicating: receivedMb > 0 ? (cpu.cpuSecondsDuring(windows) * 1000) / receivedMb : null,
    // Others using every CPU would leave the printers nothing, which no run that completed a batch saw.
    printerCoresAvailable: left !== null && left > 0 ? left / printers : null,
  };
}
