import test from 'ava';
import { seededRng } from '../shared/policy/prng.ts';
import { quantiles } from '../sim/model/metrics.ts';
import { pooledSojournTimes } from '../sim/model/pooled-queue.ts';
import { runModel } from '../sim/run-model.ts';
import { variant } from './sim-helpers.ts';

/** Erlang C: the probability an arrival waits in M/M/c with offered load a = λ/μ. */
function erlangC(c: number, a: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; k < c; k++) {
    term *= a / k;
    sum += term;
  }
  const top = ((term * a) / c) * (c / (c - a));
  return top / (sum + top);
}

test('M/M/c: the pooled queue matches the closed form (Erlang C) for mean sojourn and P(wait)', (t) => {
  const rng = seededRng('mmc');
  const exp = (mean: number) => -mean * Math.log(1 - rng.next());
  const c = 4;
  const lambda = 3; // per second
  const mu = 1; // per server per second: ρ = 0.75
  const n = 200_000;
  const arrivals = new Float64Array(n);
  const work = new Float64Array(n);
  let now = 0;
  for (let k = 0; k < n; k++) {
    now += exp(1 / lambda);
    arrivals[k] = now;
    work[k] = exp(1 / mu);
  }
  const sojourn = pooledSojournTimes(arrivals, work, [1, 1, 1, 1]);
  const a = lambda / mu;
  const pWait = erlangC(c, a);
  const meanSojourn = pWait / (c * mu - lambda) + 1 / mu;
  const measured = sojourn.reduce((s, x) => s + x, 0) / n;
  t.true(Math.abs(measured - meanSojourn) / meanSojourn < 0.03, `mean ${measured} vs ${meanSojourn}`);
  let waited = 0;
  for (let k = 0; k < n; k++) if (sojourn[k]! - work[k]! > 1e-9) waited++;
  t.true(Math.abs(waited / n - pWait) < 0.02, `P(wait) ${waited / n} vs ${pWait}`);
});

test('pooled queue: first come first served on the printer that finishes first, input order kept', (t) => {
  // Two printers (10 s and 15 s per unit); three one-unit jobs at t = 0, 0, 1 (given out of order).
  const s = pooledSojournTimes([1, 0, 0], [1, 1, 1], [10, 15]);
  // t=0: job 1 → fast (done 10), job 2 → slow (done 15, fast would be 20); t=1: fast (done 20, slow 30).
  t.deepEqual(Array.from(s), [19, 10, 15]);
  t.deepEqual(Array.from(pooledSojournTimes([0], [1], [])), [Number.POSITIVE_INFINITY]);
});

test('shortest-queue routing comes close to the pooled ideal where random choice does not', (t) => {
  const busy = (choice: 'random' | 'shortest-queue') =>
    variant('club', (raw) => {
      (raw.orders as { count: number }).count = 1500;
      (raw.redemption as { choice: string }).choice = choice;
    });
  const random = runModel(busy('random'), 'mesh', 1);
  const routed = runModel(busy('shortest-queue'), 'mesh', 1);
  const pooled = routed.pooledFanWaitSeconds!;
  t.deepEqual(random.pooledFanWaitSeconds, pooled, 'the ideal depends on the workload only');
  t.true(pooled.p99 <= routed.fanWaitSeconds.p99 + 1e-9, 'the ideal is a lower bound');
  t.true(routed.fanWaitSeconds.p99 <= 1.2 * pooled.p99, `routed ${routed.fanWaitSeconds.p99} vs pooled ${pooled.p99}`);
  t.log(`p99 random ${random.fanWaitSeconds.p99} s, routed ${routed.fanWaitSeconds.p99} s, pooled ${pooled.p99} s`);
  t.true(random.fanWaitSeconds.p99 > 1.2 * pooled.p99, `random ${random.fanWaitSeconds.p99} vs pooled ${pooled.p99}`);
  t.is(quantiles([]).count, 0);
});
