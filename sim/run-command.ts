/**
 * `npm run sim -- run --scenario <name|path> ...` (options in cli.ts USAGE): runs the scenario in
 * model or emulation mode and writes results.json, runs.csv, summary.csv, report.html (and
 * revenue.csv for a scenario that sells frames) into the output directory.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../shared/config/config-error.ts';
import type { Clock } from '../shared/ports/clock.ts';
import { MAX_RUNS_PER_STRATEGY, parseCount, parseFeeTable, parsePositive, parseStrategies } from './cli-options.ts';
import { MAX_EMULATED_PRINTERS, MAX_TIME_COMPRESSION } from './emulation/emulation-options.ts';
import { toCsv, toRevenueCsv, toSummaryCsv } from './report/csv.ts';
import { toHtml } from './report/html.ts';
import { toJson } from './report/json.ts';
import type { SimResults } from './results-schema.ts';
import { emulate, simulate } from './run-with-progress.ts';
import { loadScenario, scenarioPath } from './scenario-files.ts';

function safeDirName(name: string): string {
  return name.replace(/[^\w.-]+/g, '-') || 'scenario';
}

export async function commandRun(args: string[], clock: Clock): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      scenario: { type: 'string' },
      strategy: { type: 'string' },
      runs: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      'wall-clock': { type: 'boolean' },
      mode: { type: 'string' },
      'time-compression': { type: 'string' },
      'max-printers': { type: 'string' },
      'shape-links': { type: 'boolean' },
      'fee-table': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 0) throw new ConfigError(`run takes no positional arguments, got "${positionals[0]}".`);
  if (!values.scenario) throw new ConfigError('run needs --scenario <name|path>.');
  const mode = values.mode ?? 'model';
  if (mode !== 'model' && mode !== 'emulation')
    throw new ConfigError(`--mode must be model or emulation, got "${mode}".`);
  if (
    mode === 'model' &&
    (values['time-compression'] !== undefined || values['max-printers'] !== undefined || values['shape-links'])
  ) {
    throw new ConfigError('--time-compression, --max-printers and --shape-links need --mode emulation.');
  }
  if (mode === 'emulation' && values['fee-table'] !== undefined) {
    throw new ConfigError('--fee-table needs --mode model: emulation runs have no revenue report.');
  }
  const runs = parseCount('runs', values.runs, 1, 1, MAX_RUNS_PER_STRATEGY);
  let results: SimResults;
  if (mode === 'emulation') {
    // One emulation run takes minutes of wall time: mesh unless more are asked for.
    const strategies = parseStrategies(values.strategy ?? 'mesh');
    const timeCompression = parsePositive('time-compression', values['time-compression'], 1, MAX_TIME_COMPRESSION);
    const maxPrinters = parseCount(
      'max-printers',
      values['max-printers'],
      MAX_EMULATED_PRINTERS,
      1,
      MAX_EMULATED_PRINTERS,
    );
    const scenario = await loadScenario(await scenarioPath(values.scenario));
    const seed = parseCount('seed', values.seed, scenario.seed, 0, Number.MAX_SAFE_INTEGER - runs);
    results = await emulate(clock, scenario, strategies, runs, seed, {
      timeCompression,
      maxPrinters,
      linkShaping: values['shape-links'] ?? false,
    });
  } else {
    const strategies = parseStrategies(values.strategy);
    const scenario = await loadScenario(await scenarioPath(values.scenario));
    const seed = parseCount('seed', values.seed, scenario.seed, 0, Number.MAX_SAFE_INTEGER - runs);
    const feeTable = parseFeeTable(values['fee-table'], scenario);
    results = simulate(clock, scenario, strategies, runs, seed, values['wall-clock'] ?? false, feeTable);
  }
  const out = resolve(values.out ?? join('sim-out', safeDirName(results.scenario.name)));
  await mkdir(out, { recursive: true });
  const files: Array<[string, string]> = [
    ['results.json', toJson(results)],
    ['runs.csv', toCsv(results)],
    ['summary.csv', toSummaryCsv(results)],
    ['report.html', toHtml(results)],
  ];
  const revenueCsv = toRevenueCsv(results);
  if (revenueCsv !== null) files.push(['revenue.csv', revenueCsv]);
  for (const [file, text] of files) await writeFile(join(out, file), text);
  process.stdout.write(`${files.map(([file]) => join(out, file)).join('\n')}\n`);
  return 0;
}
