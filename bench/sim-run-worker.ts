/**
 * One model run of bench:sim in a worker thread (bench/sim.ts): the scenario, strategy and seed
 * arrive as workerData; the run goes back as one message. The workload is built here from the seed
 * (a quarter of a second), the same in every worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildWorkload } from '../sim/model/workload.ts';
import type { StrategyName } from '../sim/results-schema.ts';
import { runModel } from '../sim/run-model.ts';
import type { Scenario } from '../sim/scenario.ts';

const { scenario, strategy, seed } = workerData as { scenario: Scenario; strategy: StrategyName; seed: number };
const workload = buildWorkload(scenario, seed);
parentPort!.postMessage(runModel(scenario, strategy, seed, { workload, measureWallClock: true }));
