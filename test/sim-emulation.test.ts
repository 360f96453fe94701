import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import sharp from 'sharp';
import { main } from '../sim/cli.ts';
import { alignmentDelayMs } from '../sim/emulation/emulated-strategies.ts';
import { processingEstimateS, type Service, simulatedWaits } from '../sim/emulation/fan-wait.ts';
import { PhotoMaker, padJpeg } from '../sim/emulation/photo-bytes.ts';
import { capPrinters, runEmulation } from '../sim/emulation/run-emulation.ts';
import { toJson } from '../sim/report/json.ts';
import type { SimResults, StrategyName } from '../sim/results-schema.ts';
import { runModel } from '../sim/run-model.ts';
import { parseScenario, totalPrinters } from '../sim/scenario.ts';

const SMOKE = new URL('../sim/scenarios/emulation-smoke.json', import.meta.url);
/** 240 simulated seconds in 30 wall seconds, plus the processes' start. */
const TIME_COMPRESSION = 8;

async function smokeScenario() {
  return parseScenario(await readFile(SMOKE, 'utf8'), 'emulation-smoke.json');
}

test.serial('emulation mode runs the smoke scenario on real processes and reports the model’s schema', async (t) => {
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

test.serial(
  'star-periodic on real processes: every printer pulls every photo from the cloud on the push timer, nothing moves on the LAN',
  async (t) => {
    t.timeout(90_000);
    const work = await mkdtemp(join(tmpdir(), 'vpm-sim-emulation-test-'));
    t.teardown(() => rm(work, { recursive: true, force: true }));
    const smoke = await smokeScenario();
    // Two printers, a push every simulated minute: pushes at 60, 120 and 180 s carry all five batches.
    const scenario = { ...smoke, strategies: { ...smoke.strategies, starPeriodic: { intervalS: 60 } } };
    const results = await runEmulation(
      scenario,
      { timeCompression: 16, maxPrinters: 2, workDir: work },
      'star-periodic',
    );
    const run = results.runs[0]!;
    t.is(run.strategy, 'star-periodic');
    t.is(results.scenario.printers, 2);
    t.is(run.lanBytes, 0, 'no LAN peers in a star');
    t.true(
      run.wanRatio > 1.9 && run.wanRatio < 2.2,
      `each of 2 printers pulled each photo once: wanRatio ${run.wanRatio}`,
    );
    t.is(run.failedRedemptions, 0);
    t.is(run.fanWaitSeconds.count, 10);
    for (const b of run.batches) t.not(b.completeSeconds, null, `batch ${b.batch} never reached both printers`);
    t.deepEqual(await readdir(work), []);
  },
);

test.serial(
  'with the sync windows closed all through, nothing replicates in the background: only the photos fans redeem move',
  async (t) => {
    t.timeout(110_000);
    const work = await mkdtemp(join(tmpdir(), 'vpm-sim-emulation-test-'));
    t.teardown(() => rm(work, { recursive: true, force: true }));
    const smoke = await smokeScenario();
    // The run starts at 17:00 UTC; the venue syncs only from 06:00 to 07:00.
    const scenario = {
      ...smoke,
      strategies: {
        ...smoke.strategies,
        mesh: { ...smoke.strategies.mesh, syncWindows: [{ start: '06:00', end: '07:00' }] },
      },
    };
    const model = runModel(scenario, 'mesh', scenario.seed).wanRatio;
    const results = await runEmulation(scenario, { timeCompression: TIME_COMPRESSION, workDir: work });
    const run = results.runs[0]!;
    t.is(run.failedRedemptions, 0);
    t.is(run.fanWaitSeconds.count, 10);
    // With the windows open every printer holds every photo (the smoke test above); here none does.
    for (const b of run.batches) t.is(b.completeSeconds, null, `batch ${b.batch} reached every printer`);
    // The bought photos only (the model: 0.60 of the unique bytes), each from the cloud about once.
    // Two fans' printers fetching one photo within the same second may both take it from the
    // cloud, so up to one extra photo of the ten (about 0.15) is allowed; with the windows open
    // every photo would cross (1.0).
    t.true(model < 0.9, `model wanRatio ${model}`);
    t.true(
      run.wanRatio > model * 0.85 && run.wanRatio < model + 0.2,
      `wanRatio ${run.wanRatio} against the model's ${model}`,
    );
    t.deepEqual(await readdir(work), []);
  },
);

test('capPrinters trims printer groups and keeps explicit printer indices in range', async (t) => {
  const scenario = await smokeScenario();
  const capped = capPrinters(scenario, 3);
  t.is(totalPrinters(capped), 3);
  t.is(totalPrinters(scenario), 4);
  t.is(capPrinters(scenario, 10), scenario);
});

test('runEmulation refuses unknown strategies, bad time compression and bad coordinator priorities', async (t) => {
  const scenario = await smokeScenario();
  await t.throwsAsync(runEmulation(scenario, { timeCompression: 8 }, 'push-pull' as StrategyName), {
    message: /is not one of them/,
  });
  await t.throwsAsync(runEmulation(scenario, { timeCompression: 0 }), { message: /timeCompression/ });
  await t.throwsAsync(runEmulation(scenario, { timeCompression: 1, maxPrinters: 0 }), { message: /maxPrinters/ });
  await t.throwsAsync(runEmulation(scenario, { timeCompression: 1, cloudPriority: 25 }), { message: /cloudPriority/ });
  await t.throwsAsync(runEmulation(scenario, { timeCompression: 1, cloudPriority: 1.5 }), { message: /cloudPriority/ });
});

test('the CLI rejects emulation options it cannot honour with usage errors', async (t) => {
  const quiet = captureStderr(t);
  t.is(await main(['run', '--scenario', 'emulation-smoke', '--mode', 'emulation', '--strategy', 'star']), 2);
  t.is(await main(['run', '--scenario', 'emulation-smoke', '--mode', 'emulation', '--time-compression', 'x']), 2);
  t.is(await main(['run', '--scenario', 'emulation-smoke', '--time-compression', '4']), 2);
  t.is(await main(['run', '--scenario', 'emulation-smoke', '--shape-links']), 2);
  t.is(await main(['run', '--scenario', 'emulation-smoke', '--mode', 'replay']), 2);
  t.regex(quiet.text(), /--strategy must be one of star-periodic, on-demand, mesh or all/);
  t.regex(quiet.text(), /--shape-links need --mode emulation/);
});

test('photos: exact sizes, distinct bytes, and still JPEGs that decode', async (t) => {
  const maker = new PhotoMaker(3);
  const sizes = [120_000, 150_001, 131_072];
  const photos = await Promise.all(sizes.map((n, i) => maker.photo(n, `photo ${i}`)));
  t.deepEqual(
    photos.map((p) => p.length),
    sizes,
  );
  t.is(new Set(photos.map((p) => createHash('sha256').update(p).digest('hex'))).size, 3);
  t.true(maker.baseCount <= 2, `${maker.baseCount} bases encoded for three similar sizes`);
  for (const p of photos) {
    const meta = await sharp(p).metadata();
    t.is(meta.format, 'jpeg');
    await t.notThrowsAsync(sharp(p, { failOn: 'error' }).raw().toBuffer());
  }
  // Padding needing a remainder of 1–3 bytes after full segments still lands exactly.
  const base = photos[0]!.subarray(0, 2);
  for (const extra of [65_537 + 1, 65_537 + 3, 2 * 65_537 + 2]) {
    t.is(padJpeg(Buffer.concat([base, Buffer.from([0xff, 0xd9])]), 4 + extra, 'x').length, 4 + extra);
  }
});

test('fan waits: local work counts once, fetches F times, and fans queue at a printer', (t) => {
  const s = (printer: number, redeemAtS: number, wallS: number, allLocal: boolean, printedUnits = 1): Service => ({
    printer,
    redeemAtS,
    wallS,
    allLocal,
    printedUnits,
    ok: true,
  });
  const services = [s(0, 100, 0.2, true), s(0, 101, 0.4, true), s(1, 100, 1.3, false), s(0, 102, 0.3, false, 2)];
  t.is(Number(processingEstimateS(services).toFixed(9)), 0.3, 'median of the all-local latencies');
  const waits = simulatedWaits(services, 10, [12, 12]);
  // P0: 100 → 100.2 + 12; the second fan queues: 112.2 + 0.4 + 12 = 124.6; the third: + 0.3 + 24.
  t.deepEqual(
    waits.map((w) => Number(w.toFixed(3))),
    [12.2, 23.6, 0.3 + 1.0 * 10 + 12, 46.9],
  );
  t.is(processingEstimateS([s(0, 0, 1, false)]), 0, 'no local redemption: nothing to estimate from');
});

test('star-periodic timelines start so that the first pull lands at firstPushAtS', (t) => {
  // Pulls every 30 s of wall time; first push 15 s after the start.
  const delay = alignmentDelayMs({ periodMs: 30_000, offsetMs: 15_000 }, 1_000_004_000);
  t.true(delay >= 0 && delay < 30_000);
  t.is((1_000_004_000 + delay + 15_000) % 30_000, 0);
  t.is(alignmentDelayMs(undefined, 123), 0);
  // No push during the run: start where the next pull is at least the run's length away.
  t.is(alignmentDelayMs({ periodMs: 100_000, quietMs: 30_000 }, 1_000_000_010), 0);
  t.is(alignmentDelayMs({ periodMs: 100_000, quietMs: 30_000 }, 1_000_080_000), 20_001);
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
