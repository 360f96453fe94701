/**
 * `npm run sim -- compare <name|path> [--runs K] [--seed N] [--fee-table ID]`: all three strategies
 * on the same seeds, as a table of the headline metrics (and the revenue per strategy at each
 * fee-rate table for a scenario that sells frames).
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../shared/config/config-error.ts';
import type { Clock } from '../shared/ports/clock.ts';
import { MAX_RUNS_PER_STRATEGY, parseCount, parseFeeTable, STRATEGIES } from './cli-options.ts';
import type { MeanCi, SimResults, StrategySummary } from './results-schema.ts';
import { revenueTable } from './revenue/revenue-table.ts';
import { simulate } from './run-with-progress.ts';
import { loadScenario, scenarioPath } from './scenario-files.ts';

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

export async function commandCompare(args: string[], clock: Clock): Promise<number> {
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
