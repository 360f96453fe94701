/**
 * Model mode's entry points: one strategy and seed (`runModel`), or several strategies × seeds with
 * means and 95 % Student-t intervals (`runScenario`). Deterministic: the same scenario, strategy and
 * seed give the same StrategyRun, byte for byte — which is why `wallSeconds` is 0 unless the caller
 * asks for the wall clock (`measureWallClock`, used by the benchmark).
 */
import { type Clock, systemClock } from '../shared/ports/clock.ts';
import { assertRunInvariants, type RunRecord } from './checkers/run-invariants.ts';
import { batchMetrics, quantiles } from './model/metrics.ts';
import { pooledFanWaits } from './model/pooled-queue.ts';
import { printerLinks, Simulation } from './model/simulation.ts';
import { buildWorkload, type Workload } from './model/workload.ts';
import { RESULTS_SCHEMA_VERSION, type SimResults, type StrategyName, type StrategyRun } from './results-schema.ts';
import { runRevenue } from './revenue/revenue.ts';
import { type Scenario, totalImages, totalPrinters } from './scenario.ts';
import { summarizeRuns } from './stats.ts';
import { createStrategy } from './strategies/index.ts';
import { HELD, type Strategy, type TraceEvent } from './strategies/strategy.ts';

export interface RunModelOptions {
  onProgress?: (fraction: number) => void;
  /** Receives every traced step (uploads, pushes, fetches, redemptions, prints, faults). */
  trace?: (event: TraceEvent) => void;
  /** Fill `wallSeconds` (breaks byte-identical output between runs). */
  measureWallClock?: boolean;
  /** Times `wallSeconds` (default: the system clock); the model itself runs on simulated time. */
  clock?: Clock;
  /** A workload already built for this scenario and seed (shared by the strategies of a seed). */
  workload?: Workload;
  /** Revenue runs: quote with this fee-rate table instead of the scenario's `revenue.feeTable`. */
  feeTable?: string;
}

/** A finished simulation, its workload and its metrics, before the invariant checks. */
export interface SimulatedRun {
  sim: Simulation;
  workload: Workload;
  run: StrategyRun;
}

/** Runs a strategy and computes its metrics, without checking them (runStrategy does). */
export function simulateRun(
  scenario: Scenario,
  strategy: Strategy,
  seed: number,
  opts: RunModelOptions = {},
): SimulatedRun {
  const clock = opts.clock ?? systemClock;
  const started = clock.now();
  const workload = opts.workload ?? buildWorkload(scenario, seed);
  const sim = new Simulation(scenario, workload, strategy, seed, { onProgress: opts.onProgress, trace: opts.trace });
  sim.run();
  const wanBytes = sim.network.bytes.wan;
  const run: StrategyRun = {
    strategy: strategy.name as StrategyName,
    seed,
    wanBytes,
    uniqueBytes: workload.uniqueBytes,
    wanRatio: workload.uniqueBytes > 0 ? wanBytes / workload.uniqueBytes : 0,
    lanBytes: sim.network.bytes.lan,
    fanWaitSeconds: quantiles(sim.desk.waits),
    pooledFanWaitSeconds: quantiles(Array.from(pooledFanWaits(workload.orders, printerLinks(scenario).printSeconds))),
    allLocalShare: sim.desk.scans > 0 ? sim.desk.allLocal / sim.desk.scans : 0,
    lagSeries: sim.lag,
    batches: batchMetrics(scenario, workload, printerLinks(scenario), sim.heldAt, sim.printers),
    redemptions: sim.desk.scans,
    failedRedemptions: sim.desk.failed,
    ...(scenario.redemption.kioskSuggestion ? { kioskWalks: sim.desk.kioskWalks } : {}),
    events: sim.events,
    wallSeconds: opts.measureWallClock ? (clock.now() - started) / 1000 : 0,
  };
  if (scenario.revenue) {
    const printed = { order: sim.desk.prints.order, unit: sim.desk.prints.unit, printedAt: sim.desk.printedAt };
    run.revenue = runRevenue(scenario.revenue, workload.orders, printed, seed, opts.feeTable);
  }
  return { sim, workload, run };
}

/** What the invariant checker reads of a finished run. */
export function runRecord({ sim, workload, run }: SimulatedRun): RunRecord {
  return {
    printers: sim.printers,
    images: workload.images,
    uploadAt: workload.uploadAt,
    imageBytes: workload.imageBytes,
    orders: workload.orders,
    isHeld: (p, i) => sim.state(p, i) === HELD,
    heldAt: sim.heldAt,
    prints: sim.desk.prints,
    servedOrders: sim.desk.waits.length,
    run,
  };
}

/**
 * Runs any Strategy object (e.g. one a researcher is writing) and returns its metrics, after the
 * invariant checks (sim/checkers), which stand apart from the drivers: a violation throws.
 */
export function runStrategy(
  scenario: Scenario,
  strategy: Strategy,
  seed: number,
  opts: RunModelOptions = {},
): StrategyRun {
  const done = simulateRun(scenario, strategy, seed, opts);
  assertRunInvariants(runRecord(done), { scenario: scenario.name, strategy: strategy.name, seed });
  return done.run;
}

export function runModel(
  scenario: Scenario,
  strategy: StrategyName,
  seed: number,
  opts: RunModelOptions = {},
): StrategyRun {
  return runStrategy(scenario, createStrategy(strategy, scenario), seed, opts);
}

/** Every strategy on every seed (workload built once per seed), with per-strategy summaries. */
export function runScenario(
  scenario: Scenario,
  strategies: readonly StrategyName[],
  seeds: readonly number[],
  onProgress?: (fraction: number) => void,
  opts: Pick<RunModelOptions, 'measureWallClock' | 'clock' | 'feeTable'> = {},
): SimResults {
  const runs: StrategyRun[] = [];
  const total = strategies.length * seeds.length;
  let done = 0;
  for (const seed of seeds) {
    const workload = buildWorkload(scenario, seed);
    for (const name of strategies) {
      const base = done;
      runs.push(
        runModel(scenario, name, seed, {
          workload,
          measureWallClock: opts.measureWallClock,
          clock: opts.clock,
          feeTable: opts.feeTable,
          onProgress: onProgress && ((f) => onProgress((base + f) / total)),
        }),
      );
      done++;
    }
  }
  onProgress?.(1);
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    mode: 'model',
    scenario: {
      name: scenario.name,
      printers: totalPrinters(scenario),
      images: totalImages(scenario),
      orders: scenario.orders.kind === 'generated' ? scenario.orders.count : scenario.orders.list.length,
      seed: scenario.seed,
    },
    runs,
    summaries: summarizeRuns(runs),
  };
}
