import { readFileSync } from 'node:fs';
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
  /** The target process, for its CPU time (/proc/<pid>/stat). */
  pid?: number;
}

/** A process's user + system CPU time in clock ticks (Linux), or null where /proc is not there. */
function cpuTicks(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

type Mode = 'redeem' | 'koa' | 'work';

function withTarget<T>(mode: Mode, run: (t: Target) => Promise<T>): Promise<T> {
  return withTargetProcess([mode], (target) => run(target as Target));
}

async function load(t: Target, seconds: number, connections = CONNECTIONS) {
  const cpuBefore = cpuTicks(t.pid);
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
    /** Target CPU per answered request, in ticks: holds on a busy shared machine, unlike requests/s. */
    cpuTicksPerRequest: (() => {
      const after = cpuTicks(t.pid);
      return cpuBefore === null || after === null || result.requests.total === 0
        ? null
        : (after - cpuBefore) / result.requests.total;
    })(),
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

/** Linux reports CPU in ticks of 10 ms (USER_HZ 100). */
const MS_PER_TICK = 10;
function cpuMs(ticks: number | null): number | null {
  return ticks === null ? null : Number((ticks * MS_PER_TICK).toFixed(4));
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
  /** CPU per request (10 ms ticks) of each target, and work ÷ redeem: the workRatio a dedicated core would give. */
  redeemCpuMsPerRequest: cpuMs(redeem.cpuTicksPerRequest),
  workCpuMsPerRequest: cpuMs(work.cpuTicksPerRequest),
  koaCpuMsPerRequest: cpuMs(koa.cpuTicksPerRequest),
  workCpuRatio:
    redeem.cpuTicksPerRequest && work.cpuTicksPerRequest
      ? Number((work.cpuTicksPerRequest / redeem.cpuTicksPerRequest).toFixed(3))
      : null,
  twoProcessPerSec: Math.round(two.perSec),
  twoProcessP99Ms: two.p99Ms,
  twoProcessErrors: two.non2xx + two.errors,
  twoProcessScale: Number((two.perSec / redeem.perSec).toFixed(3)),
  cores: availableParallelism(),
  loadAverage1m: Number(loadavg()[0]!.toFixed(2)),
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
