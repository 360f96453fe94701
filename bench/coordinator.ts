import { availableParallelism, loadavg } from 'node:os';
import autocannon from 'autocannon';
import { withTargetProcess } from './fixtures/target-process.ts';

/**
 * `npm run bench:coordinator`: redemption route (real app, embedded store) vs a bare Koa route and
 * vs a route doing only the work redemption must do (two Ed25519 verifications and one durable
 * SQLite write, bench/fixtures/work-target.ts), same load generator, same run; then two coordinator
 * processes on one store against one. Last stdout line: one JSON object.
 * Targets: issue #2 ratio ≥ 0.5 and p99 ≤ 50 ms at 200 connections on 2 cores; issue #16
 * workRatio ≥ 0.7 and twoProcessScale ≥ 1.6.
 */
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 200);
const DURATION_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 2;

interface Target {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
}

type Mode = 'redeem' | 'koa' | 'work';

function withTarget<T>(mode: Mode, run: (t: Target) => Promise<T>): Promise<T> {
  return withTargetProcess([mode], (target) => run(target as Target));
}

async function load(t: Target, seconds: number, connections = CONNECTIONS) {
  const result = await autocannon({
    url: t.url,
    method: t.method,
    headers: t.headers,
    body: t.body,
    connections,
    duration: seconds,
  });
  return {
    perSec: result.requests.average,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    total: result.requests.total,
  };
}

async function measure(mode: Mode) {
  return withTarget(mode, async (t) => {
    await load(t, WARMUP_SECONDS);
    return load(t, DURATION_SECONDS);
  });
}

/** Two coordinator processes on one SQLite store, each redeeming for its own printer, half the connections each. */
async function measureTwoProcesses() {
  return withTargetProcess(['redeem'], (first) =>
    withTargetProcess(['redeem-join', (first as { joinFile: string }).joinFile], async (second) => {
      const half = Math.max(1, Math.round(CONNECTIONS / 2));
      const both = (seconds: number) =>
        Promise.all([load(first as Target, seconds, half), load(second as Target, seconds, half)]);
      await both(WARMUP_SECONDS);
      const [a, b] = await both(DURATION_SECONDS);
      return {
        perSec: a.perSec + b.perSec,
        p99Ms: Math.max(a.p99Ms, b.p99Ms),
        non2xx: a.non2xx + b.non2xx,
        errors: a.errors + b.errors,
      };
    }),
  );
}

const koa = await measure('koa');
const work = await measure('work');
const redeem = await measure('redeem');
const two = await measureTwoProcesses();
for (const [name, r] of [
  ['work route', work],
  ['two processes', two],
] as const) {
  if (r.non2xx > 0 || r.errors > 0) process.stderr.write(`${name}: ${r.non2xx} non-2xx and ${r.errors} errors\n`);
}
if (redeem.non2xx > 0 || redeem.errors > 0) {
  process.stderr.write(`redemption route answered ${redeem.non2xx} non-2xx and ${redeem.errors} errors\n`);
}
const summary = {
  connections: CONNECTIONS,
  durationSeconds: DURATION_SECONDS,
  redeemPerSec: Math.round(redeem.perSec),
  redeemP99Ms: redeem.p99Ms,
  redeemNon2xx: redeem.non2xx,
  redeemErrors: redeem.errors,
  koaBaselinePerSec: Math.round(koa.perSec),
  koaBaselineP99Ms: koa.p99Ms,
  ratio: Number((redeem.perSec / koa.perSec).toFixed(3)),
  /** p99 of the redemption route at BENCH_CONNECTIONS (200 by default). */
  p99AtConnectionsMs: redeem.p99Ms,
  workBaselinePerSec: Math.round(work.perSec),
  workBaselineP99Ms: work.p99Ms,
  workRatio: Number((redeem.perSec / work.perSec).toFixed(3)),
  twoProcessPerSec: Math.round(two.perSec),
  twoProcessP99Ms: two.p99Ms,
  twoProcessErrors: two.non2xx + two.errors,
  twoProcessScale: Number((two.perSec / redeem.perSec).toFixed(3)),
  cores: availableParallelism(),
  loadAverage1m: Number(loadavg()[0]!.toFixed(2)),
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
