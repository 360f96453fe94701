import type { MeanCi, SimResults, StrategyRun, StrategySummary } from '../results-schema.ts';
import { runMeanLagSeconds } from '../stats.ts';

/** RFC 4180 line break; spreadsheet tools and pandas read it either way, strict parsers need it. */
const CRLF = '\r\n';

type Cell = string | number | null;

/** One RFC 4180 field: quoted (with doubled quotes) only when it holds a comma, quote or line break. */
export function csvField(value: Cell): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvTable(header: readonly string[], rows: readonly Cell[][]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(',') + CRLF).join('');
}

const RUN_COLUMNS: ReadonlyArray<readonly [string, (run: StrategyRun) => Cell]> = [
  ['strategy', (r) => r.strategy],
  ['seed', (r) => r.seed],
  ['wanBytes', (r) => r.wanBytes],
  ['uniqueBytes', (r) => r.uniqueBytes],
  ['wanRatio', (r) => r.wanRatio],
  ['lanBytes', (r) => r.lanBytes],
  ['fanWaitP50Seconds', (r) => r.fanWaitSeconds.p50],
  ['fanWaitP95Seconds', (r) => r.fanWaitSeconds.p95],
  ['fanWaitP99Seconds', (r) => r.fanWaitSeconds.p99],
  ['fanWaitMeanSeconds', (r) => r.fanWaitSeconds.mean],
  ['allLocalShare', (r) => r.allLocalShare],
  ['redemptions', (r) => r.redemptions],
  ['failedRedemptions', (r) => r.failedRedemptions],
  ['meanLagSeconds', runMeanLagSeconds],
  ['batchesComplete', (r) => r.batches.filter((b) => b.completeSeconds !== null).length],
  ['batchesTotal', (r) => r.batches.length],
  ['events', (r) => r.events],
  ['wallSeconds', (r) => r.wallSeconds],
  ['pooledWaitP99Seconds', (r) => r.pooledFanWaitSeconds?.p99 ?? null],
];

export const RUN_CSV_HEADER: readonly string[] = RUN_COLUMNS.map(([name]) => name);

/** One row per strategy run (strategy × seed), in the order of `results.runs`. */
export function toCsv(results: SimResults): string {
  return csvTable(
    RUN_CSV_HEADER,
    results.runs.map((run) => RUN_COLUMNS.map(([, get]) => get(run))),
  );
}

const SUMMARY_METRICS: ReadonlyArray<readonly [string, (s: StrategySummary) => MeanCi]> = [
  ['wanBytes', (s) => s.wanBytes],
  ['wanRatio', (s) => s.wanRatio],
  ['lanBytes', (s) => s.lanBytes],
  ['fanWaitP50Seconds', (s) => s.fanWaitP50],
  ['fanWaitP95Seconds', (s) => s.fanWaitP95],
  ['fanWaitP99Seconds', (s) => s.fanWaitP99],
  ['allLocalShare', (s) => s.allLocalShare],
  ['meanLagSeconds', (s) => s.meanLagSeconds],
];

export const SUMMARY_CSV_HEADER: readonly string[] = [
  'strategy',
  'runs',
  ...SUMMARY_METRICS.flatMap(([name]) => [`${name}Mean`, `${name}Ci95`]),
];

/** One row per strategy: mean and 95 % CI half-width of each summary metric over its seeds. */
export function toSummaryCsv(results: SimResults): string {
  return csvTable(
    SUMMARY_CSV_HEADER,
    results.summaries.map((s) => [
      s.strategy,
      s.runs,
      ...SUMMARY_METRICS.flatMap(([, get]) => [get(s).mean, get(s).ci95]),
    ]),
  );
}
