import autocannon from 'autocannon';
import { withTargetProcess } from './fixtures/target-process.ts';

/**
 * `npm run bench:coordinator`: redemption route (real app, embedded store) vs a bare Koa route,
 * same load generator, same run. Last stdout line: one JSON object.
 * Targets (issue #2): ratio ≥ 0.5 and p99 ≤ 50 ms at 200 connections on 2 cores.
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

function withTarget<T>(mode: 'redeem' | 'koa', run: (t: Target) => Promise<T>): Promise<T> {
  return withTargetProcess([mode], (target) => run(target as Target));
}

async function load(t: Target, seconds: number) {
  const result = await autocannon({
    url: t.url,
    method: t.method,
    headers: t.headers,
    body: t.body,
    connections: CONNECTIONS,
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

async function measure(mode: 'redeem' | 'koa') {
  return withTarget(mode, async (t) => {
    await load(t, WARMUP_SECONDS);
    return load(t, DURATION_SECONDS);
  });
}

const koa = await measure('koa');
const redeem = await measure('redeem');
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
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
