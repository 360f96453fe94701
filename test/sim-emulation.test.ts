import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { main } from '../sim/cli.ts';
import { capPrinters, runEmulation } from '../sim/emulation/run-emulation.ts';
import { toJson } from '../sim/report/json.ts';
import type { SimResults } from '../sim/results-schema.ts';
import { parseScenario, totalPrinters } from '../sim/scenario.ts';

const SMOKE = new URL('../sim/scenarios/emulation-smoke.json', import.meta.url);
/** 240 simulated seconds in 30 wall seconds, plus the processes' start. */
const TIME_COMPRESSION = 8;

async function smokeScenario() {
  return parseScenario(await readFile(SMOKE, 'utf8'), 'emulation-smoke.json');
}

test('emulation mode runs the smoke scenario on real processes and reports the model’s schema', async (t) => {
  t.timeout(110_000);
  const work = await mkdtemp(join(tmpdir(), 'vpm-sim-emulation-test-'));
  t.teardown(() => rm(work, { recursive: true, force: true }));
  const scenario = await smokeScenario();
  let lastProgress = 0;
  const results = await runEmulation(scenario, {
    timeCompression: TIME_COMPRESSION,
    workDir: work,
    onProgress: (f) => {
      lastProgress = f;
    },
  });

  t.is(results.mode, 'emulation');
  t.is(results.timeCompression, TIME_COMPRESSION);
  t.deepEqual(results.scenario, { name: 'emulation-smoke', printers: 4, images: 10, orders: 10, seed: 7 });
  t.is(results.runs.length, 1);
  t.is(results.summaries.length, 1);
  t.is(lastProgress, 1);
  const run = results.runs[0]!;
  t.is(run.strategy, 'mesh');
  t.is(run.seed, 7);

  // Real bytes: every printer holds every photo, the cloud sent about one copy, the rest came over the LAN.
  t.true(run.uniqueBytes > 10 * 50_000, `uniqueBytes ${run.uniqueBytes}`);
  t.true(run.wanBytes >= run.uniqueBytes * 0.99, `wanBytes ${run.wanBytes} < unique ${run.uniqueBytes}`);
  t.true(run.wanRatio <= 1.5, `wanRatio ${run.wanRatio}`);
  t.true(run.lanBytes > 0, 'no LAN bytes: the printers did not share');

  // Every redemption printed; the wait includes the model's 12 s print per unit.
  t.is(run.redemptions, 10);
  t.is(run.failedRedemptions, 0);
  t.is(run.fanWaitSeconds.count, 10);
  t.true(run.fanWaitSeconds.p50 >= 12, `p50 ${run.fanWaitSeconds.p50}`);
  t.true(run.allLocalShare >= 0 && run.allLocalShare <= 1);

  t.is(run.batches.length, 5);
  for (const b of run.batches) {
    t.not(b.completeSeconds, null, `batch ${b.batch} never reached every printer`);
    t.true(b.bytes > 0 && b.boundSeconds > 0);
  }
  t.true(run.lagSeries.length >= 240 / 20 - 2, `only ${run.lagSeries.length} lag samples`);
  for (let i = 1; i < run.lagSeries.length; i++) t.true(run.lagSeries[i]!.t > run.lagSeries[i - 1]!.t);
  t.true(run.wallSeconds > 240 / TIME_COMPRESSION);

  const parsed = JSON.parse(toJson(results)) as SimResults;
  t.deepEqual(Object.keys(parsed).slice(0, 5), ['schemaVersion', 'mode', 'scenario', 'timeCompression', 'runs']);
  t.is(parsed.runs[0]!.redemptions, 10);

  t.deepEqual(await readdir(work), [], 'the run left files behind');
});

test('capPrinters trims printer groups and keeps explicit printer indices in range', async (t) => {
  const scenario = await smokeScenario();
  const capped = capPrinters(scenario, 3);
  t.is(totalPrinters(capped), 3);
  t.is(totalPrinters(scenario), 4);
  t.is(capPrinters(scenario, 10), scenario);
});

test('runEmulation refuses strategies the edge node cannot run and bad time compression', async (t) => {
  const scenario = await smokeScenario();
  await t.throwsAsync(runEmulation(scenario, { timeCompression: 8 }, 'star-periodic'), {
    message: /runs only mesh/,
  });
  await t.throwsAsync(runEmulation(scenario, { timeCompression: 0 }), { message: /timeCompression/ });
  await t.throwsAsync(runEmulation(scenario, { timeCompression: 1, maxPrinters: 0 }), { message: /maxPrinters/ });
});

test('the CLI rejects emulation options it cannot honour with usage errors', async (t) => {
  const quiet = captureStderr(t);
  t.is(await main(['run', '--scenario', 'emulation-smoke', '--mode', 'emulation', '--strategy', 'on-demand']), 2);
  t.is(await main(['run', '--scenario', 'emulation-smoke', '--mode', 'emulation', '--time-compression', 'x']), 2);
  t.is(await main(['run', '--scenario', 'emulation-smoke', '--time-compression', '4']), 2);
  t.is(await main(['run', '--scenario', 'emulation-smoke', '--mode', 'replay']), 2);
  t.regex(quiet.text(), /--mode emulation runs only the mesh strategy/);
});

function captureStderr(t: { teardown(fn: () => void): void }) {
  const chunks: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  t.teardown(() => {
    process.stderr.write = original;
  });
  return { text: () => chunks.join('') };
}
