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

/** Appended when the runs have a revenue report: totals, then frames revenue at each fee table. */
const REVENUE_COLUMNS: ReadonlyArray<readonly [string, (run: StrategyRun) => Cell]> = [
  ['currency', (r) => r.revenue?.currency ?? null],
  ['feeTable', (r) => r.revenue?.feeTable ?? null],
  ['photosCents', (r) => r.revenue?.photosCents ?? null],
  ['framesCents', (r) => r.revenue?.framesCents ?? null],
  ['revenueCents', (r) => r.revenue?.totalCents ?? null],
  ['framedPrints', (r) => r.revenue?.framedPrints ?? null],
  ['repeatCustomerOrders', (r) => r.revenue?.repeatCustomerOrders ?? null],
];

function revenueColumns(results: SimResults): ReadonlyArray<readonly [string, (run: StrategyRun) => Cell]> {
  const first = results.runs.find((r) => r.revenue)?.revenue;
  if (!first) return [];
  return [
    ...REVENUE_COLUMNS,
    ...first.feeTables.map(
      (table) =>
        [
          `framesCents_${table.tableId}`,
          (r: StrategyRun) => r.revenue?.feeTables.find((x) => x.tableId === table.tableId)?.framesCents ?? null,
        ] as const,
    ),
  ];
}

/** One row per strategy run (strategy × seed), in the order of `results.runs`. */
export function toCsv(results: SimResults): string {
  const columns = [...RUN_COLUMNS, ...revenueColumns(results)];
  return csvTable(
    columns.map(([name]) => name),
    results.runs.map((run) => columns.map(([, get]) => get(run))),
  );
}

export const REVENUE_CSV_HEADER: readonly string[] = [
  'strategy',
  'seed',
  'feeTable',
  'template',
  'name',
  'basicFeeCents',
  'prints',
  'uses',
  'revenueCents',
  'band',
  'rate',
  'priceNowCents',
];

/** Revenue runs: one row per run and template, at the selected fee table; null when no run has revenue. */
export function toRevenueCsv(results: SimResults): string | null {
  if (!results.runs.some((r) => r.revenue)) return null;
  return csvTable(
    REVENUE_CSV_HEADER,
    results.runs.flatMap((run) =>
      (run.revenue?.templates ?? []).map((t) => [
        run.strategy,
        run.seed,
        run.revenue!.feeTable,
        t.id,
        t.name,
        t.basicFeeCents,
        t.prints,
        t.uses,
        t.revenueCents,
        t.band,
        t.rate,
        t.priceNowCents,
      ]),
    ),
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

const REVENUE_SUMMARY_METRICS: ReadonlyArray<readonly [string, (s: StrategySummary) => MeanCi | undefined]> = [
  ['revenueCents', (s) => s.revenueCents],
  ['framesCents', (s) => s.framesCents],
];

/** One row per strategy: mean and 95 % CI half-width of each summary metric over its seeds. */
export function toSummaryCsv(results: SimResults): string {
  const revenue = results.summaries.some((s) => s.revenueCents) ? REVENUE_SUMMARY_METRICS : [];
  return csvTable(
    [...SUMMARY_CSV_HEADER, ...revenue.flatMap(([name]) => [`${name}Mean`, `${name}Ci95`])],
    results.summaries.map((s) => [
      s.strategy,
      s.runs,
      ...SUMMARY_METRICS.flatMap(([, get]) => [get(s).mean, get(s).ci95]),
      ...revenue.flatMap(([, get]) => [get(s)?.mean ?? null, get(s)?.ci95 ?? null]),
    ]),
  );
}
