import { AppError } from '../shared/errors.ts';
import type { MeanCi, StrategyName, StrategyRun, StrategySummary } from './results-schema.ts';

/**
 * Two-sided 95 % Student t quantiles (t_{0.975, df}) for df = 1..30. Small seed counts are the normal
 * case for simulator runs, and there the normal 1.96 would understate the interval badly (df 2: 4.30).
 */
const T_975_BY_DF: readonly number[] = [
  12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139, 2.200985,
  2.178813, 2.160369, 2.144787, 2.13145, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658,
  2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.04523, 2.042272,
];
/** Beyond df 30 the t quantile is within 2 % of the normal one. */
const Z_975 = 1.96;

export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) {
    throw new AppError('sim_bad_degrees_of_freedom', `Degrees of freedom must be a positive integer, got ${df}.`);
  }
  return T_975_BY_DF[df - 1] ?? Z_975;
}

/** Mean seconds from a batch's last photo until every printer held it, over the batches completed (null: none). */
export function meanBatchCompleteSeconds(batches: StrategyRun['batches']): number | null {
  const done = batches.flatMap((b) => (b.completeSeconds === null ? [] : [b.completeSeconds]));
  return done.length === 0 ? null : sum(done) / done.length;
}

export function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** Mean and half-width of the two-sided 95 % Student t interval (df = n − 1); ci95 is 0 for a single value. */
export function meanCi(values: readonly number[]): MeanCi {
  if (values.length === 0) {
    throw new AppError('sim_empty_sample', 'A mean needs at least one value; run at least one seed.');
  }
  if (!values.every(Number.isFinite)) {
    throw new AppError('sim_non_finite_value', 'Cannot summarise NaN or infinite values; check the run output.');
  }
  const n = values.length;
  const mean = values.reduce((sum, v) => sum + v, 0) / n;
  // Identical values would otherwise leave rounding noise (1e-14) as a fake interval.
  if (n < 2 || values.every((v) => v === values[0])) return { mean, ci95: 0 };
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1);
  return { mean, ci95: (tQuantile975(n - 1) * Math.sqrt(variance)) / Math.sqrt(n) };
}

/** The run's replication lag as one number: the average of its lag samples (0 when it took none). */
export function runMeanLagSeconds(run: StrategyRun): number {
  if (run.lagSeries.length === 0) return 0;
  return run.lagSeries.reduce((sum, s) => sum + s.meanLagSeconds, 0) / run.lagSeries.length;
}

/** The pooled-queue ideal's p99 over the runs, when every run has it (model mode). */
function pooledSummary(list: readonly StrategyRun[]): Pick<StrategySummary, 'pooledWaitP99'> {
  const p99s = list.map((r) => r.pooledFanWaitSeconds?.p99);
  if (p99s.some((v) => v === undefined)) return {};
  return { pooledWaitP99: meanCi(p99s as number[]) };
}

/** Mean revenue over the runs, when every run has a revenue report. */
function revenueSummary(list: readonly StrategyRun[]): Pick<StrategySummary, 'revenueCents' | 'framesCents'> {
  if (list.some((r) => r.revenue === undefined)) return {};
  return {
    revenueCents: meanCi(list.map((r) => r.revenue!.totalCents)),
    framesCents: meanCi(list.map((r) => r.revenue!.framesCents)),
  };
}

/** One summary per strategy, in the order strategies first appear in `runs`. */
export function summarizeRuns(runs: readonly StrategyRun[]): StrategySummary[] {
  const byStrategy = new Map<StrategyName, StrategyRun[]>();
  for (const run of runs) {
    const list = byStrategy.get(run.strategy);
    if (list) list.push(run);
    else byStrategy.set(run.strategy, [run]);
  }
  return [...byStrategy].map(([strategy, list]) => ({
    strategy,
    runs: list.length,
    wanBytes: meanCi(list.map((r) => r.wanBytes)),
    wanRatio: meanCi(list.map((r) => r.wanRatio)),
    lanBytes: meanCi(list.map((r) => r.lanBytes)),
    fanWaitP50: meanCi(list.map((r) => r.fanWaitSeconds.p50)),
    fanWaitP95: meanCi(list.map((r) => r.fanWaitSeconds.p95)),
    fanWaitP99: meanCi(list.map((r) => r.fanWaitSeconds.p99)),
    ...pooledSummary(list),
    allLocalShare: meanCi(list.map((r) => r.allLocalShare)),
    meanLagSeconds: meanCi(list.map(runMeanLagSeconds)),
    ...revenueSummary(list),
  }));
}
