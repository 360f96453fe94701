/**
 * `npm run sim -- station --scenario <name|path> [--model NAME] [--photos-per-minute N]
 * [--prints-per-minute N]`: "is this station fast enough?" (issue #16 item 4). Answers twice:
 *  - the arithmetic (station-cpu.ts `stationLoad`): the CPU share replication and rendering need at
 *    that upload and print rate, and the printer's own print capacity;
 *  - the model: the scenario run with the mesh (the printer model's CPU caps its receive rate), so
 *    bursts, sharing and fans' fetches are in: how long each batch takes to reach every station,
 *    and the fans' waits.
 * Stdout: a few lines for a person, then one JSON object.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../shared/config/config-error.ts';
import { stationLoad } from './model/station-cpu.ts';
import { buildWorkload } from './model/workload.ts';
import { runModel } from './run-model.ts';
import { type Scenario, totalImages, totalPrinters, validateScenario } from './scenario.ts';

/** A batch that needs longer than its upload interval to reach every station means the venue falls behind. */
const KEEP_UP_SHARE_OF_INTERVAL = 1;

function positiveNumber(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(value > 0))
    throw new ConfigError(`--${name} must be a number > 0, got "${text}".`);
  return value;
}

/** The scenario with its periodic uploads rescaled to `photosPerMinute`. */
function withUploadRate(s: Scenario, photosPerMinute: number | undefined): Scenario {
  const u = s.event.uploads;
  if (photosPerMinute === undefined) return s;
  if (u.kind !== 'periodic') throw new ConfigError('--photos-per-minute needs a scenario with periodic uploads.');
  const images = Math.max(1, Math.round((photosPerMinute * (u.endS - u.startS)) / 60));
  return validateScenario({ ...s, event: { ...s.event, uploads: { ...u, images } } });
}

function uploadMinutes(s: Scenario): number {
  const u = s.event.uploads;
  if (u.kind === 'periodic') return (u.endS - u.startS) / 60;
  const times = u.batches.map((b) => b.atS);
  return Math.max(1, (Math.max(...times) - Math.min(...times)) / 60);
}

export async function commandStation(args: string[], load: (ref: string) => Promise<Scenario>): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      scenario: { type: 'string' },
      model: { type: 'string' },
      'photos-per-minute': { type: 'string' },
      'prints-per-minute': { type: 'string' },
    },
    strict: true,
  });
  if (!values.scenario) throw new ConfigError('station needs --scenario <name|path>.');
  const loaded = withUploadRate(
    await load(values.scenario),
    positiveNumber('photos-per-minute', values['photos-per-minute']),
  );
  const modelName = values.model ?? loaded.venue.printers[0]!.model;
  const model = loaded.venue.printerModels[modelName];
  if (!model) {
    throw new ConfigError(
      `No printer model "${modelName}" in the scenario (${Object.keys(loaded.venue.printerModels).join(', ')}).`,
    );
  }
  // Every station of the venue is of the model asked about, in the model run too.
  const scenario = validateScenario({
    ...loaded,
    venue: { ...loaded.venue, printers: loaded.venue.printers.map((g) => ({ ...g, model: modelName })) },
  });
  const w = buildWorkload(scenario, scenario.seed);
  const printers = totalPrinters(scenario);
  const photosPerMinute = totalImages(scenario) / uploadMinutes(scenario);
  const meanPhotoBytes = w.uniqueBytes / Math.max(1, w.images);
  let prints = 0;
  for (const o of w.orders) for (const c of o.copies) prints += c;
  const printsPerMinute =
    positiveNumber('prints-per-minute', values['prints-per-minute']) ?? prints / printers / (scenario.durationS / 60);
  const load1 = stationLoad({ model, photosPerMinute, meanPhotoBytes, printsPerMinute });

  const run = runModel(scenario, 'mesh', scenario.seed);
  const done = run.batches.filter((b) => b.completeSeconds !== null);
  const slowest = run.batches.reduce((m, b) => Math.max(m, b.completeSeconds ?? Number.POSITIVE_INFINITY), 0);
  const meanComplete = done.reduce((a, b) => a + b.completeSeconds!, 0) / Math.max(1, done.length);
  const u = scenario.event.uploads;
  const intervalS = u.kind === 'periodic' ? u.batchIntervalS : Number.POSITIVE_INFINITY;
  const keepsUp = done.length === run.batches.length && slowest <= KEEP_UP_SHARE_OF_INTERVAL * intervalS;
  const fastEnough = load1.fastEnough && keepsUp;
  const reasons = [...load1.reasons];
  if (!keepsUp) {
    reasons.push(
      `in the model the slowest batch took ${slowest.toFixed(0)} s to reach every station, longer than the ${intervalS} s between batches: stations fall behind`,
    );
  }
  const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
  process.stdout.write(
    `${scenario.name}: ${printers} × ${modelName}, ${photosPerMinute.toFixed(1)} photos/min of ${(meanPhotoBytes / 1e6).toFixed(1)} MB, ` +
      `${printsPerMinute.toFixed(2)} prints/min per station\n` +
      `  CPU: ${pct(load1.cpuShare)} busy (replication ${pct(load1.replicationCpuShare)}, rendering ${pct(load1.renderCpuShare)}); ` +
      `printer makes ${load1.printCapacityPerMinute.toFixed(1)} prints/min\n` +
      `  model: batches reach every station in ${meanComplete.toFixed(1)} s on average, slowest ${slowest.toFixed(1)} s ` +
      `(every ${intervalS} s a batch); fans wait p95 ${run.fanWaitSeconds.p95.toFixed(0)} s; all photos local for ${pct(run.allLocalShare)} of fans\n` +
      `  ${fastEnough ? 'YES: fast enough' : `NO: ${reasons.join('; ')}`}\n`,
  );
  process.stdout.write(
    `${JSON.stringify({
      scenario: scenario.name,
      model: modelName,
      measured: model.measured ?? null,
      photosPerMinute: Number(photosPerMinute.toFixed(2)),
      printsPerMinute: Number(printsPerMinute.toFixed(3)),
      cpuShare: Number(load1.cpuShare.toFixed(3)),
      replicationCpuShare: Number(load1.replicationCpuShare.toFixed(3)),
      renderCpuShare: Number(load1.renderCpuShare.toFixed(3)),
      printCapacityPerMinute: Number(load1.printCapacityPerMinute.toFixed(2)),
      meanBatchCompleteS: Number(meanComplete.toFixed(1)),
      slowestBatchS: Number(slowest.toFixed(1)),
      p95WaitS: Number(run.fanWaitSeconds.p95.toFixed(1)),
      allLocalShare: Number(run.allLocalShare.toFixed(3)),
      fastEnough,
      reasons,
    })}\n`,
  );
  return fastEnough ? 0 : 3;
}
