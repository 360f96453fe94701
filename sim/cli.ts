import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError } from '../shared/config/config-error.ts';
import { AppError, isAppError } from '../shared/errors.ts';
import { type Clock, systemClock } from '../shared/ports/clock.ts';
import { MAX_EMULATED_PRINTERS, MAX_TIME_COMPRESSION, runEmulation } from './emulation/run-emulation.ts';
import { toCsv, toRevenueCsv, toSummaryCsv } from './report/csv.ts';
import { toHtml } from './report/html.ts';
import { toJson } from './report/json.ts';
import type { MeanCi, SimResults, StrategyName, StrategySummary } from './results-schema.ts';
import { simFeeSettings } from './revenue/revenue-scenario.ts';
import { revenueTable } from './revenue/revenue-table.ts';
import { runScenario } from './run-model.ts';
import { parseScenario, type Scenario } from './scenario.ts';
import { commandStation } from './station-command.ts';
import { summarizeRuns } from './stats.ts';

/**
 * `npm run sim -- <command>`: the researcher's entry point to the model-mode simulator.
 * Exit codes: 0 done, 1 the scenario or the run failed (the reason is printed), 2 usage.
 */
export const USAGE = `usage: npm run sim -- <command>
  run --scenario <name|path> [--strategy star-periodic|on-demand|mesh|all] [--runs K] [--seed N] [--out DIR]
      [--wall-clock] [--mode model|emulation] [--time-compression F] [--max-printers N] [--shape-links]
      [--fee-table ID]
      writes results.json, runs.csv, summary.csv and report.html into DIR (default ./sim-out/<scenario>);
      --seed defaults to the scenario's seed; --wall-clock fills wallSeconds (output then varies by host);
      --mode emulation runs the strategies (default: mesh only) on a real coordinator and N real edge-node
      processes (loopback), F simulated seconds per wall second (default 1), at most N printers (default ${MAX_EMULATED_PRINTERS});
      --shape-links puts the coordinator and the printers in network namespaces with the WAN shaped by
      tc tbf at the scenario's bandwidth × F (root and iproute2 only)
      --fee-table ID (scenarios with a revenue section) quotes frames with that fee-rate table;
      revenue.csv is written too when the scenario has a revenue section
  compare <name|path> [--runs K] [--seed N] [--fee-table ID]
      runs all three strategies and prints a table of the headline metrics (and, with a revenue
      section, the revenue per strategy at each fee-rate table on the same runs)
  scenarios
      lists the built-in scenarios
  validate <path>
      checks a scenario file and names every field that is wrong
  station --scenario <name|path> [--model NAME] [--photos-per-minute N] [--prints-per-minute N]
      is a station of that printer model fast enough? its CPU (the model's cpuMsPerMb, cpuMsPerPrint)
      and the model's batches; exit code 3 when it is not (e.g. station --scenario pi-station)`;

const STRATEGIES: readonly StrategyName[] = ['star-periodic', 'on-demand', 'mesh'];
const SCENARIO_DIR = fileURLToPath(new URL('./scenarios/', import.meta.url));
/** Enough seeds for a tight interval; more is a typo, not a study (each run is a full simulation). */
const MAX_RUNS_PER_STRATEGY = 1000;
const PROGRESS_BAR_WIDTH_CHARS = 30;

function parseCount(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) throw new ConfigError(`--${name} must be a whole number, got "${text}".`);
  const value = Number(text);
  if (value < min || value > max) throw new ConfigError(`--${name} must be between ${min} and ${max}, got ${value}.`);
  return value;
}

function parsePositive(name: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || value <= 0 || value > max) {
    throw new ConfigError(`--${name} must be a number > 0 and at most ${max}, got "${text}".`);
  }
  return value;
}

function parseStrategies(text: string | undefined): StrategyName[] {
  if (text === undefined || text === 'all') return [...STRATEGIES];
  const found = STRATEGIES.find((s) => s === text);
  if (!found) throw new ConfigError(`--strategy must be one of ${STRATEGIES.join(', ')} or all, got "${text}".`);
  return [found];
}

async function builtInNames(): Promise<string[]> {
  const files = await readdir(SCENARIO_DIR).catch(() => [] as string[]);
  return files
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

async function exists(path: string): Promise<boolean> {
  return readFile(path).then(
    () => true,
    () => false,
  );
}

/** A bare name is a built-in scenario; anything else (or a name with no built-in) is a file path. */
async function scenarioPath(ref: string): Promise<string> {
  if (/^[\w-]+$/.test(ref)) {
    const builtIn = join(SCENARIO_DIR, `${ref}.json`);
    if (await exists(builtIn)) return builtIn;
  }
  if (await exists(ref)) return resolve(ref);
  const names = (await builtInNames()).join(', ');
  throw new ConfigError(`No scenario "${ref}": not a built-in (${names}) and no such file.`);
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One problem per line ("venue.wan.bandwidthMbps: expected a number > 0") reads better than one long line. */
function describeScenarioError(path: string, err: unknown): string {
  const problems = isAppError(err) ? err.details?.problems : undefined;
  if (!Array.isArray(problems) || problems.length === 0) return describeError(err);
  return `Invalid scenario ${path}:\n${problems.map((p) => `  ${String(p)}`).join('\n')}`;
}

async function loadScenario(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AppError('invalid_scenario', `Cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return parseScenario(text, basename(path));
  } catch (err) {
    throw new AppError('invalid_scenario', describeScenarioError(path, err));
  }
}

/** Redraws one line on stderr; only when a person is watching (a TTY), never into a log file or pipe. */
function progressBar(label: string): { update: (fraction: number) => void; done: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, done: () => {} };
  let shown = -1;
  const update = (fraction: number) => {
    const percent = Math.max(0, Math.min(100, Math.floor(fraction * 100)));
    if (percent === shown) return;
    shown = percent;
    const filled = Math.round((percent / 100) * PROGRESS_BAR_WIDTH_CHARS);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(PROGRESS_BAR_WIDTH_CHARS - filled)}`;
    process.stderr.write(`\r${label} ${bar} ${String(percent).padStart(3)} %`);
  };
  return { update, done: () => process.stderr.write('\r\x1b[2K') };
}

function simulate(
  clock: Clock,
  scenario: Scenario,
  strategies: StrategyName[],
  runs: number,
  seed: number,
  measureWallClock = false,
  feeTable?: string,
): SimResults {
  const seeds = Array.from({ length: runs }, (_, i) => seed + i);
  const name = scenario.name;
  const bar = progressBar(`${name}:`);
  const started = clock.now();
  try {
    return runScenario(scenario, strategies, seeds, bar.update, { measureWallClock, clock, feeTable });
  } finally {
    bar.done();
    const seconds = ((clock.now() - started) / 1000).toFixed(1);
    process.stderr.write(
      `${strategies.length * runs} runs of ${name} (seeds ${seeds[0]}..${seeds.at(-1)}) took ${seconds} s\n`,
    );
  }
}

/**
 * Emulation runs one strategy and seed at a time (each starts its own coordinator and printers);
 * results are merged.
 */
async function emulate(
  clock: Clock,
  scenario: Scenario,
  strategies: readonly StrategyName[],
  runs: number,
  seed: number,
  settings: { timeCompression: number; maxPrinters: number; linkShaping: boolean },
): Promise<SimResults> {
  const bar = progressBar(`${scenario.name} (emulation):`);
  const started = clock.now();
  const all: SimResults[] = [];
  const total = strategies.length * runs;
  try {
    for (const strategy of strategies) {
      for (let k = 0; k < runs; k++) {
        const done = all.length;
        all.push(
          await runEmulation(
            scenario,
            {
              ...settings,
              seed: seed + k,
              onProgress: (f) => bar.update((done + f) / total),
            },
            strategy,
          ),
        );
      }
    }
  } finally {
    bar.done();
    const seconds = ((clock.now() - started) / 1000).toFixed(1);
    process.stderr.write(
      `${total} emulation runs of ${scenario.name} (× ${settings.timeCompression}) took ${seconds} s\n`,
    );
  }
  const merged = all.flatMap((r) => r.runs);
  return { ...all[0]!, runs: merged, summaries: summarizeRuns(merged) };
}

/** `--fee-table`: one of the scenario's fee-rate tables, and only for a scenario that sells frames. */
function parseFeeTable(text: string | undefined, scenario: Scenario): string | undefined {
  if (text === undefined) return undefined;
  if (!scenario.revenue) throw new ConfigError(`--fee-table needs a scenario with a revenue section.`);
  const ids = simFeeSettings(scenario.revenue).tables.map((t) => t.id);
  if (!ids.includes(text)) throw new ConfigError(`--fee-table must be one of ${ids.join(', ')}, got "${text}".`);
  return text;
}

function safeDirName(name: string): string {
  return name.replace(/[^\w.-]+/g, '-') || 'scenario';
}

async function commandRun(args: string[], clock: Clock): Promise<number> {
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

function cell(m: MeanCi, runs: number, scale: number, digits: number): string {
  const mean = (m.mean / scale).toFixed(digits);
  return runs < 2 ? mean : `${mean} ± ${(m.ci95 / scale).toFixed(digits)}`;
}

const COMPARE_COLUMNS: ReadonlyArray<readonly [string, (s: StrategySummary) => string]> = [
  ['strategy', (s) => s.strategy],
  ['WAN ratio', (s) => cell(s.wanRatio, s.runs, 1, 2)],
  ['LAN GB', (s) => cell(s.lanBytes, s.runs, 1e9, 2)],
  ['wait p50 s', (s) => cell(s.fanWaitP50, s.runs, 1, 1)],
  ['wait p95 s', (s) => cell(s.fanWaitP95, s.runs, 1, 1)],
  ['wait p99 s', (s) => cell(s.fanWaitP99, s.runs, 1, 1)],
  ['all-local %', (s) => cell(s.allLocalShare, s.runs, 0.01, 1)],
  ['mean lag s', (s) => cell(s.meanLagSeconds, s.runs, 1, 1)],
  ['ideal p99 s', (s) => (s.pooledWaitP99 ? cell(s.pooledWaitP99, s.runs, 1, 1) : 'n/a')],
];

/** Fixed-width text table: strategy left-aligned, numbers right-aligned, two spaces between columns. */
export function compareTable(results: SimResults): string {
  const rows = [COMPARE_COLUMNS.map(([h]) => h), ...results.summaries.map((s) => COMPARE_COLUMNS.map(([, f]) => f(s)))];
  const widths = COMPARE_COLUMNS.map((_, c) => Math.max(...rows.map((r) => r[c]?.length ?? 0)));
  const line = (r: string[]) =>
    r.map((text, c) => (c === 0 ? text.padEnd(widths[c] ?? 0) : text.padStart(widths[c] ?? 0))).join('  ');
  const runs = results.summaries[0]?.runs ?? 0;
  const note = runs < 2 ? 'one run per strategy: no confidence interval' : `mean ± 95 % CI over ${runs} seeds`;
  return `${rows.map(line).join('\n')}\n(${note})\n`;
}

async function commandCompare(args: string[], clock: Clock): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { runs: { type: 'string' }, seed: { type: 'string' }, 'fee-table': { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new ConfigError('compare needs exactly one scenario: compare <name|path>.');
  const runs = parseCount('runs', values.runs, 1, 1, MAX_RUNS_PER_STRATEGY);
  const path = await scenarioPath(positionals[0] ?? '');
  const scenario = await loadScenario(path);
  const seed = parseCount('seed', values.seed, scenario.seed, 0, Number.MAX_SAFE_INTEGER - runs);
  const feeTable = parseFeeTable(values['fee-table'], scenario);
  const results = simulate(clock, scenario, [...STRATEGIES], runs, seed, false, feeTable);
  process.stdout.write(compareTable(results));
  const revenue = revenueTable(results);
  if (revenue !== '') process.stdout.write(`\n${revenue}`);
  return 0;
}

async function commandScenarios(args: string[]): Promise<number> {
  parseArgs({ args, options: {}, strict: true });
  const names = await builtInNames();
  const width = Math.max(0, ...names.map((n) => n.length));
  for (const name of names) {
    const scenario = await loadScenario(join(SCENARIO_DIR, `${name}.json`));
    process.stdout.write(`${name.padEnd(width)}  ${scenario.description ?? ''}\n`);
  }
  return 0;
}

async function commandValidate(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new ConfigError('validate needs exactly one file: validate <path>.');
  const path = positionals[0] ?? '';
  await loadScenario(path);
  process.stdout.write(`OK ${path}\n`);
  return 0;
}

const COMMANDS: Record<string, (args: string[], clock: Clock) => Promise<number>> = {
  run: commandRun,
  compare: commandCompare,
  scenarios: commandScenarios,
  validate: commandValidate,
  station: (args) => commandStation(args, async (ref) => loadScenario(await scenarioPath(ref))),
};

/** `clock` times the runs (the wall-clock figures); the model itself runs on simulated time. */
export async function main(argv: string[], clock: Clock = systemClock): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const handler = command === undefined ? undefined : COMMANDS[command];
  try {
    if (!handler) throw new ConfigError(command === undefined ? 'No command given.' : `Unknown command "${command}".`);
    return await handler(rest, clock);
  } catch (err) {
    if (err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
      return 2;
    }
    // A failure the user fixes in their input (an unreadable or invalid scenario): no stack trace.
    if (isAppError(err, 'invalid_scenario')) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    process.stderr.write(`The simulation failed: ${describeError(err)}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  // Exit (not die) on a signal, so that an emulation run's edge-node processes are stopped with it.
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
