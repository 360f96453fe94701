/**
 * sim:validate's calibrated model (issue #16 item 4): the scenario with its printers' CPU per MB
 * set so that the model charges what an emulation run measured, the split between receiving and
 * serving kept, so that model and emulation are compared on the same host's CPU.
 */
import test from 'ava';
import { AppError } from '../shared/errors.ts';
import { calibrateScenarioCpu } from '../sim/model/cpu-calibration.ts';
import { coresOf, cpuReceiveBytesPerSec, cpuMsPerMbReceived as modelCpuMsPerMb } from '../sim/model/station-cpu.ts';
import { runModel } from '../sim/run-model.ts';
import { meanBatchCompleteSeconds } from '../sim/stats.ts';
import { builtIn, near, variant } from './sim-helpers.ts';

test('stated CPU per MB: receive cost plus the served cost for the share of bytes also served', (t) => {
  t.is(modelCpuMsPerMb({ printSeconds: 12, cpuMsPerMb: 29, cpuMsPerMbServed: 14.5 }, 0.8), 29 + 14.5 * 0.8);
  t.is(modelCpuMsPerMb({ printSeconds: 12 }, 0.8), 0);
  t.is(modelCpuMsPerMb({ printSeconds: 12, cpuMsPerMb: 29, cpuMsPerMbServed: 14.5 }), 43.5);
});

test('calibration scales receive and serve by one factor, so the model receives at the measured cost', (t) => {
  const scenario = builtIn('validation-8-short');
  const model = scenario.venue.printerModels['dnp-ds620']!;
  const measured = 2 * modelCpuMsPerMb(model);
  const { scenario: calibrated, factor } = calibrateScenarioCpu(scenario, measured);
  t.true(near(factor!, 2), `${factor}`);
  const after = calibrated.venue.printerModels['dnp-ds620']!;
  // What the model itself does with it: the receive cap is cores × 1000 MB/s ÷ the measured ms per MB.
  t.true(near(cpuReceiveBytesPerSec(after), (coresOf(model) * 1000 * 1e6) / measured));
  t.true(near(after.cpuMsPerMb! / after.cpuMsPerMbServed!, model.cpuMsPerMb! / model.cpuMsPerMbServed!));
  // Print time, cores and the original scenario are untouched.
  t.is(after.printSeconds, model.printSeconds);
  t.is(after.cores, model.cores);
  t.is(scenario.venue.printerModels['dnp-ds620']!.cpuMsPerMb, model.cpuMsPerMb);
});

test('two printer models: one factor from what the venue is charged on average, weighted by printer count', (t) => {
  const venue = variant('club', (raw) => {
    raw.venue.printerModels['dnp-ds620'] = { printSeconds: 12, cpuMsPerMb: 30, cpuMsPerMbServed: 10 };
    raw.venue.printerModels['citizen-cx02'] = { printSeconds: 15, cpuMsPerMb: 60, cpuMsPerMbServed: 20 };
    raw.venue.printers.push({ count: 5, model: 'citizen-cx02' });
  });
  // Five of each: (40 + 80) ÷ 2 = 60 ms/MB charged on average; 120 measured is twice that.
  const { scenario, factor } = calibrateScenarioCpu(venue, 120);
  t.true(near(factor!, 2), `${factor}`);
  t.is(modelCpuMsPerMb(scenario.venue.printerModels['dnp-ds620']!), 80);
  t.is(modelCpuMsPerMb(scenario.venue.printerModels['citizen-cx02']!), 160);
});

test('a model calibrated to a slower host completes batches later, and its bounds follow', (t) => {
  const scenario = builtIn('validation-8-short');
  const charged = modelCpuMsPerMb(scenario.venue.printerModels['dnp-ds620']!);
  const slow = calibrateScenarioCpu(scenario, 2 * charged).scenario;
  const same = calibrateScenarioCpu(scenario, charged).scenario;
  const base = runModel(scenario, 'mesh', 7);
  const atSame = runModel(same, 'mesh', 7);
  const atSlow = runModel(slow, 'mesh', 7);
  // Calibrating to what the model already charges changes nothing.
  t.deepEqual(
    atSame.batches.map((b) => b.completeSeconds),
    base.batches.map((b) => b.completeSeconds),
  );
  t.true(meanBatchCompleteSeconds(atSlow.batches)! > 1.5 * meanBatchCompleteSeconds(base.batches)!);
  t.true(atSlow.batches.every((b, i) => b.boundSeconds > base.batches[i]!.boundSeconds));
});

test('printer models: none stating CPU get the measured cost as receive cost; a mix is refused; so are bad figures', (t) => {
  const club = builtIn('club');
  const { scenario, factor } = calibrateScenarioCpu(club, 60);
  t.is(factor, null);
  for (const m of Object.values(scenario.venue.printerModels)) {
    t.is(m.cpuMsPerMb, 60);
    t.is(m.cpuMsPerMbServed, 0);
  }
  const mixed = variant('club', (raw) => {
    raw.venue.printerModels['dnp-ds620'] = { printSeconds: 12, cpuMsPerMb: 30, cpuMsPerMbServed: 10 };
    raw.venue.printers.push({ count: 2, model: 'citizen-cx02' });
  });
  const refusedMix = t.throws(() => calibrateScenarioCpu(mixed, 60), { instanceOf: AppError });
  t.is(refusedMix?.code, 'invalid_scenario');
  for (const ms of [0, Number.NaN, -1, Number.POSITIVE_INFINITY]) {
    const e = t.throws(() => calibrateScenarioCpu(club, ms), { instanceOf: AppError });
    t.is(e?.code, 'invalid_scenario');
  }
});

test('calibrated cores: every model scaled by one factor to the cores the printers had; later batches with fewer', (t) => {
  const scenario = builtIn('validation-8-short');
  const model = scenario.venue.printerModels['dnp-ds620']!;
  const charged = modelCpuMsPerMb(model);
  const stated = calibrateScenarioCpu(scenario, charged);
  t.is(stated.coresFactor, null, "not asked: the scenario's cores");
  t.is(stated.scenario.venue.printerModels['dnp-ds620']!.cores, model.cores);
  const fewer = calibrateScenarioCpu(scenario, charged, 0.8 * model.cores!);
  t.true(near(fewer.coresFactor!, 0.8), `${fewer.coresFactor}`);
  const after = fewer.scenario.venue.printerModels['dnp-ds620']!;
  t.true(near(after.cores!, 0.8 * model.cores!));
  t.true(near(cpuReceiveBytesPerSec(after), 0.8 * cpuReceiveBytesPerSec(model)), 'the receive cap follows');
  t.is(after.cpuMsPerMb, model.cpuMsPerMb, 'the CPU per MB is its own calibration');
  const base = runModel(stated.scenario, 'mesh', 7);
  const slower = runModel(fewer.scenario, 'mesh', 7);
  t.true(meanBatchCompleteSeconds(slower.batches)! > meanBatchCompleteSeconds(base.batches)!);
  t.true(slower.batches.every((b, i) => b.boundSeconds >= base.batches[i]!.boundSeconds));
  // Two models: one factor from the venue's mean (a model stating no cores has one).
  const mixed = variant('club', (raw) => {
    raw.venue.printerModels['dnp-ds620'] = { printSeconds: 12, cpuMsPerMb: 30, cores: 0.5 };
    raw.venue.printerModels['citizen-cx02'] = { printSeconds: 15, cpuMsPerMb: 60 };
    raw.venue.printers.push({ count: 5, model: 'citizen-cx02' });
  });
  const halved = calibrateScenarioCpu(mixed, 45, 0.375);
  t.true(near(halved.coresFactor!, 0.5), `${halved.coresFactor}`);
  t.true(near(halved.scenario.venue.printerModels['dnp-ds620']!.cores!, 0.25));
  t.true(near(halved.scenario.venue.printerModels['citizen-cx02']!.cores!, 0.5));
  for (const cores of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    const refused = t.throws(() => calibrateScenarioCpu(scenario, charged, cores), { instanceOf: AppError });
    t.is(refused?.code, 'invalid_scenario');
  }
});
