import { readFile } from 'node:fs/promises';
import { runEmulation } from '../sim/emulation/run-emulation.ts';
import { runModel } from '../sim/run-model.ts';
import { parseScenario } from '../sim/scenario.ts';

/**
 * `npm run sim:validate`: does model mode agree with emulation mode? Runs the mesh strategy on one
 * small scenario and seed in both modes and prints WAN bytes and fan wait side by side with the
 * relative differences (issue #4 item 7: within 15 %). Last stdout line: one JSON object.
 * SIM_VALIDATE_SCENARIO (emulation-smoke), SIM_VALIDATE_COMPRESSION (8) override the run.
 */
const NAME = process.env.SIM_VALIDATE_SCENARIO ?? 'emulation-smoke';
const COMPRESSION = Number(process.env.SIM_VALIDATE_COMPRESSION ?? 8);

const scenario = parseScenario(
  await readFile(new URL(`../sim/scenarios/${NAME}.json`, import.meta.url), 'utf8'),
  `${NAME}.json`,
);
const model = runModel(scenario, 'mesh', scenario.seed);
const emulated = (await runEmulation(scenario, { timeCompression: COMPRESSION, seed: scenario.seed })).runs[0]!;
const rel = (a: number, b: number) => (b === 0 ? (a === 0 ? 0 : Number.POSITIVE_INFINITY) : Math.abs(a - b) / b);
const summary = {
  scenario: NAME,
  timeCompression: COMPRESSION,
  modelWanBytes: model.wanBytes,
  emulationWanBytes: emulated.wanBytes,
  modelWanRatio: Number(model.wanRatio.toFixed(3)),
  emulationWanRatio: Number(emulated.wanRatio.toFixed(3)),
  wanRatioDiff: Number(rel(emulated.wanRatio, model.wanRatio).toFixed(3)),
  modelP95WaitS: Number(model.fanWaitSeconds.p95.toFixed(1)),
  emulationP95WaitS: Number(emulated.fanWaitSeconds.p95.toFixed(1)),
  p95WaitDiff: Number(rel(emulated.fanWaitSeconds.p95, model.fanWaitSeconds.p95).toFixed(3)),
  modelAllLocalShare: model.allLocalShare,
  emulationAllLocalShare: emulated.allLocalShare,
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
