/**
 * sim:validate's calibrated model (issue #16 item 4): the scenario with its printers' CPU per MB
 * set to what an emulation run measured, the split between receiving and serving kept, so that
 * model and emulation are compared on the same host's CPU.
 */
import test from 'ava';
import { AppError } from '../shared/errors.ts';
import { calibrateScenarioCpu, statedCpuMsPerMb } from '../sim/model/cpu-calibration.ts';
import { runModel } from '../sim/run-model.ts';
import { meanBatchCompleteSeconds } from '../sim/stats.ts';
import { builtIn, near } from './sim-helpers.ts';

test('stated CPU per MB: receive cost plus the served cost for the share of bytes also served', (t) => {
  t.is(statedCpuMsPerMb({ printSeconds: 12, cpuMsPerMb: 29, cpuMsPerMbServed: 14.5 }, 0.8), 29 + 14.5 * 0.8);
  t.is(statedCpuMsPerMb({ printSeconds: 12 }, 0.8), 0);
});

test('calibration scales receive and serve by one factor, so the stated figure becomes the measured one', (t) => {
  const scenario = builtIn('validation-8-short');
  const model = scenario.venue.printerModels['dnp-ds620']!;
  const share = 0.875;
  const measured = 2 * statedCpuMsPerMb(model, share);
  const { scenario: calibrated, factor } = calibrateScenarioCpu(scenario, measured, share);
  t.true(near(factor!, 2), `${factor}`);
  const after = calibrated.venue.printerModels['dnp-ds620']!;
  t.true(near(statedCpuMsPerMb(after, share), measured));
  t.true(near(after.cpuMsPerMb! / after.cpuMsPerMbServed!, model.cpuMsPerMb! / model.cpuMsPerMbServed!));
  // Print time, cores and the original scenario are untouched.
  t.is(after.printSeconds, model.printSeconds);
  t.is(after.cores, model.cores);
  t.is(scenario.venue.printerModels['dnp-ds620']!.cpuMsPerMb, model.cpuMsPerMb);
});

test('a model calibrated to a slower host completes batches later, and its bounds follow', (t) => {
  const scenario = builtIn('validation-8-short');
  const model = scenario.venue.printerModels['dnp-ds620']!;
  const stated = statedCpuMsPerMb(model, 0.875);
  const slow = calibrateScenarioCpu(scenario, 2 * stated, 0.875).scenario;
  const same = calibrateScenarioCpu(scenario, stated, 0.875).scenario;
  const base = runModel(scenario, 'mesh', 7);
  const atSame = runModel(same, 'mesh', 7);
  const atSlow = runModel(slow, 'mesh', 7);
  // Calibrating to the stated figure changes nothing.
  t.deepEqual(
    atSame.batches.map((b) => b.completeSeconds),
    base.batches.map((b) => b.completeSeconds),
  );
  t.true(meanBatchCompleteSeconds(atSlow.batches)! > 1.5 * meanBatchCompleteSeconds(base.batches)!);
  t.true(atSlow.batches.every((b, i) => b.boundSeconds > base.batches[i]!.boundSeconds));
});

test('a scenario without CPU figures gets the measured cost as receive cost; bad figures are refused', (t) => {
  const club = builtIn('club');
  const { scenario, factor } = calibrateScenarioCpu(club, 60, 0.9);
  t.is(factor, null);
  for (const m of Object.values(scenario.venue.printerModels)) {
    t.is(m.cpuMsPerMb, 60);
    t.is(m.cpuMsPerMbServed, 0);
  }
  for (const [ms, share] of [
    [0, 0.5],
    [Number.NaN, 0.5],
    [40, 1.5],
    [40, -0.1],
  ] as const) {
    const e = t.throws(() => calibrateScenarioCpu(club, ms, share), { instanceOf: AppError });
    t.is(e?.code, 'invalid_scenario');
  }
});
