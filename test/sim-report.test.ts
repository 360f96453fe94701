import test from 'ava';
import { csvField, RUN_CSV_HEADER, SUMMARY_CSV_HEADER, toCsv, toSummaryCsv } from '../sim/report/csv.ts';
import { formatBytesCi, toHtml } from '../sim/report/html.ts';
import { toJson } from '../sim/report/json.ts';
import { axisTicks, logTicks, niceTicks, wantsLogScale } from '../sim/report/svg.ts';
import type { SimResults, StrategyName, StrategyRun } from '../sim/results-schema.ts';
import { RESULTS_SCHEMA_VERSION } from '../sim/results-schema.ts';
import { meanCi, runMeanLagSeconds, summarizeRuns, tQuantile975 } from '../sim/stats.ts';

const STRATEGIES: StrategyName[] = ['star-periodic', 'on-demand', 'mesh'];

function run(strategy: StrategyName, seed: number, k: number): StrategyRun {
  return {
    strategy,
    seed,
    wanBytes: 2e9 * k,
    uniqueBytes: 1e9,
    wanRatio: 2 * k,
    lanBytes: 3.5e9 + seed * 1e8,
    fanWaitSeconds: { p50: 4 * k, p95: 9 * k + seed, p99: 15 * k + seed, mean: 5 * k, max: 20 * k, count: 100 },
    allLocalShare: 0.5 + seed / 100,
    lagSeries: [0, 60, 120, 180].map((t, i) => ({ t, meanLagSeconds: i * 10 * k, maxLagSeconds: i * 20 * k })),
    batches: [1, 2, 3].map((batch) => ({
      batch,
      bytes: 5e8,
      completeSeconds: batch === 3 && strategy === 'on-demand' ? null : 30 * batch * k,
      boundSeconds: 20 * batch,
    })),
    redemptions: 100,
    failedRedemptions: seed,
    events: 5000,
    wallSeconds: 0.25,
  };
}

function sample(name = 'club'): SimResults {
  const runs = STRATEGIES.flatMap((s, i) => [1, 2, 3].map((seed) => run(s, seed, 1 + i * 0.5)));
  return {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    mode: 'model',
    scenario: { name, printers: 8, images: 400, orders: 120, seed: 1 },
    runs,
    summaries: summarizeRuns(runs),
  };
}

/** The same data with every object's keys inserted in reverse order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reversedKeys(v)]),
  );
}

test('meanCi matches hand-computed Student t intervals', (t) => {
  const five = meanCi([1, 2, 3, 4, 5]);
  t.is(five.mean, 3);
  t.true(Math.abs(five.ci95 - (2.776 * Math.sqrt(2.5)) / Math.sqrt(5)) < 1e-3);
  const two = meanCi([10, 14]);
  t.is(two.mean, 12);
  // s = sqrt(8), t(1) = 12.706
  t.true(Math.abs(two.ci95 - (12.706 * Math.sqrt(8)) / Math.sqrt(2)) < 1e-3);
  t.deepEqual(meanCi([7]), { mean: 7, ci95: 0 });
  t.is(meanCi([4, 4, 4]).ci95, 0);
  t.is(tQuantile975(30), 2.042272);
  t.is(tQuantile975(31), 1.96);
  t.throws(() => meanCi([]), { message: /at least one/ });
  t.throws(() => meanCi([1, Number.NaN]), { message: /NaN/ });
});

test('summarizeRuns groups by strategy and averages the lag series', (t) => {
  const results = sample();
  t.deepEqual(
    results.summaries.map((s) => [s.strategy, s.runs]),
    STRATEGIES.map((s) => [s, 3]),
  );
  t.is(runMeanLagSeconds(results.runs[0]!), 15);
  const mesh = results.summaries[2]!;
  t.is(mesh.wanRatio.mean, 4);
  t.is(mesh.wanRatio.ci95, 0);
  t.true(Math.abs(mesh.fanWaitP95.mean - 20) < 1e-9);
  t.true(Math.abs(mesh.fanWaitP95.ci95 - 4.302653 / Math.sqrt(3)) < 1e-6);
});

test('JSON is byte-stable, independent of key insertion order, and round-trips', (t) => {
  const results = sample();
  const text = toJson(results);
  t.is(toJson(sample()), text);
  t.is(toJson(reversedKeys(results) as SimResults), text);
  t.true(text.endsWith('}\n'));
  t.true(text.startsWith('{\n  "schemaVersion": 1,\n  "mode": "model",\n  "scenario": {\n    "name": "club"'));
  t.regex(text, /\{\n {6}"strategy": "star-periodic",\n {6}"seed": 1,\n {6}"wanBytes"/);
  t.deepEqual(JSON.parse(text), results);
  const emulated = { ...results, timeCompression: 10 };
  t.regex(toJson(emulated), /"mode": "model",\n {2}"scenario": \{[^}]*\},\n {2}"timeCompression": 10,\n {2}"runs"/);
});

test('runs CSV has one row per run, the documented columns and RFC 4180 quoting', (t) => {
  const results = sample();
  const lines = toCsv(results).split('\r\n');
  t.is(lines.pop(), '');
  t.is(lines.length, 1 + results.runs.length);
  t.is(
    lines[0],
    'strategy,seed,wanBytes,uniqueBytes,wanRatio,lanBytes,fanWaitP50Seconds,fanWaitP95Seconds,fanWaitP99Seconds,' +
      'fanWaitMeanSeconds,allLocalShare,redemptions,failedRedemptions,meanLagSeconds,batchesComplete,batchesTotal,' +
      'events,wallSeconds,pooledWaitP99Seconds',
  );
  t.is(RUN_CSV_HEADER.length, 19);
  const onDemand = lines[4]!.split(',');
  t.deepEqual(onDemand.slice(0, 3), ['on-demand', '1', '3000000000']);
  t.is(onDemand[13], '22.5');
  t.is(onDemand[14], '2');
  t.is(onDemand[15], '3');
  t.is(csvField('plain'), 'plain');
  t.is(csvField('a,b'), '"a,b"');
  t.is(csvField('say "hi"'), '"say ""hi"""');
  t.is(csvField('two\nlines'), '"two\nlines"');
  t.is(csvField(null), '');
  const odd = sample();
  odd.runs[0]!.strategy = 'x,"y"' as StrategyName;
  t.true(toCsv(odd).split('\r\n')[1]!.startsWith('"x,""y""",1,'));
});

test('summary CSV has mean and ci95 columns per metric', (t) => {
  const results = sample();
  const lines = toSummaryCsv(results).trimEnd().split('\r\n');
  t.is(lines.length, 4);
  t.is(lines[0], SUMMARY_CSV_HEADER.join(','));
  t.true(lines[0]!.startsWith('strategy,runs,wanBytesMean,wanBytesCi95,wanRatioMean,wanRatioCi95,'));
  t.true(lines[0]!.endsWith(',meanLagSecondsMean,meanLagSecondsCi95'));
  const mesh = lines[3]!.split(',');
  t.is(mesh[0], 'mesh');
  t.is(mesh[1], '3');
  t.is(Number(mesh[4]), 4);
  t.is(Number(mesh[5]), 0);
  t.is(mesh.length, SUMMARY_CSV_HEADER.length);
});

test('HTML report: one svg per chart, every strategy, the CI numbers, escaped text', (t) => {
  const results = sample('<script>alert("x")</script> & co');
  const html = toHtml(results);
  t.true(html.startsWith('<!doctype html>'));
  t.is(html.match(/<svg /g)?.length, 4);
  t.is(html.match(/<svg [^>]*viewBox="0 0 \d+ \d+"/g)?.length, 4);
  t.is(html.match(/<svg [^>]*><title id=/g)?.length, 4);
  t.false(html.includes('<script'));
  t.false(/src=|href=|@import|url\(/.test(html), 'no external resources');
  t.true(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co'));
  for (const s of STRATEGIES) t.true(html.includes(`<th scope="col">${s}</th>`), s);
  t.true(html.includes('Kumar–Ross bound'));
  t.true(html.includes('ideal 1.0'));
  // star-periodic fan wait p95 over seeds 1..3: 10, 11, 12 → 11 ± 4.302653 / sqrt(3)
  t.true(html.includes(`<td>11.0 ±\u00a0${(4.302653 / Math.sqrt(3)).toFixed(2)}\u00a0s</td>`));
  // star-periodic LAN bytes 3.6, 3.7, 3.8 GB → 3.70 ± 0.25 GB
  t.true(html.includes('<td>3.70 ±\u00a00.25\u00a0GB</td>'));
  t.true(html.includes('<td>52.0 ±\u00a02.48\u00a0%</td>'));
  t.true(html.includes('on-demand: 1 of 3 batches never reached every printer'));
  t.is(toHtml(sample('<script>alert("x")</script> & co')), html, 'deterministic');
});

test('HTML report copes with a single run and no lag samples', (t) => {
  const one = run('mesh', 7, 1);
  one.lagSeries = [];
  const html = toHtml({
    schemaVersion: RESULTS_SCHEMA_VERSION,
    mode: 'emulation',
    scenario: { name: 'tiny', printers: 1, images: 1, orders: 1, seed: 7 },
    timeCompression: 20,
    runs: [one],
    summaries: summarizeRuns([one]),
  });
  t.is(html.match(/<svg /g)?.length, 4);
  t.true(html.includes('time compression: 20×'));
  t.true(html.includes('<td>2.00\u00a0GB</td>'), 'a single run shows no ± interval');
  t.false(html.includes('NaN'));
});

test('batch chart switches to a log axis when the bound is far below the slowest batch', (t) => {
  const results = sample();
  for (const r of results.runs) for (const b of r.batches) b.boundSeconds = 0.5;
  const html = toHtml(results);
  t.regex(html, /time to all printers \(s, log\)/);
  t.false(toHtml(sample()).includes(', log)'));
});

test('formatting helpers', (t) => {
  t.is(formatBytesCi({ mean: 1.5e9, ci95: 2e8 }, 3), '1.50 ±\u00a00.20\u00a0GB');
  t.is(formatBytesCi({ mean: 512, ci95: 0 }, 1), '512\u00a0B');
  t.deepEqual(niceTicks(0, 10), [0, 2, 4, 6, 8, 10]);
  t.deepEqual(niceTicks(0, 1.08), [0, 0.5, 1]);
  t.deepEqual(axisTicks(3.7), [0, 1, 2, 3, 4]);
  t.deepEqual(axisTicks(0), [0, 1]);
  t.deepEqual(logTicks(3.6, 14_400), [1, 10, 100, 1000, 10_000, 100_000]);
  t.deepEqual(logTicks(3, 40), [1, 2, 5, 10, 20, 50, 100]);
  t.true(wantsLogScale([0, 3.6, 14_400]));
  t.false(wantsLogScale([0, 10, 200]));
});
