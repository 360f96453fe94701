/**
 * One model run of bench:sim in a worker thread (bench/sim.ts): the scenario, strategy, seed and
 * the workload the main thread built arrive as workerData; the run goes back as one message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Workload } from '../sim/model/workload.ts';
import type { StrategyName } from '../sim/results-schema.ts';
import { runModel } from '../sim/run-model.ts';
import type { Scenario } from '../sim/scenario.ts';

const { scenario, strategy, seed, workload } = workerData as {
  scenario: Scenario;
  strategy: StrategyName;
  seed: number;
  workload: Workload;
};
parentPort!.postMessage(runModel(scenario, strategy, seed, { workload, measureWallClock: true }));
