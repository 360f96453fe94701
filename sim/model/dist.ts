/**
 * Sampling the scenario's distributions from a seeded generator (shared/policy/prng.ts), so the
 * same seed always draws the same workload.
 */
import type { Rng } from '../../shared/policy/prng.ts';
import type { Dist } from '../scenario-fields.ts';

function clamp(x: number, min: number | undefined, max: number | undefined): number {
  let v = x;
  if (min !== undefined && v < min) v = min;
  if (max !== undefined && v > max) v = max;
  return v;
}

/** A standard normal draw (Box–Muller; the second value is dropped to keep one draw per call site). */
export function normal(rng: Rng): number {
  const u1 = 1 - rng.next(); // (0, 1]: log(0) never happens
  const u2 = rng.next();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

export function sample(d: Dist, rng: Rng): number {
  switch (d.kind) {
    case 'fixed':
      return d.value;
    case 'uniform':
      return d.min + (d.max - d.min) * rng.next();
    case 'exponential':
      return clamp(-d.mean * Math.log(1 - rng.next()), d.min, d.max);
    case 'lognormal':
      return clamp(d.median * Math.exp(d.sigma * normal(rng)), d.min, d.max);
    case 'choice': {
      const weights = d.weights ?? d.values.map(() => 1);
      let total = 0;
      for (const w of weights) total += w;
      let x = rng.next() * total;
      for (let i = 0; i < d.values.length; i++) {
        x -= weights[i]!;
        if (x < 0) return d.values[i]!;
      }
      return d.values[d.values.length - 1]!;
    }
  }
}

/** A whole number ≥ `min` (counts: items per order, copies). */
export function sampleCount(d: Dist, rng: Rng, min = 1): number {
  return Math.max(min, Math.round(sample(d, rng)));
}

/** The mean of a distribution, for documentation and sanity checks (clamping ignored). */
export function meanOf(d: Dist): number {
  switch (d.kind) {
    case 'fixed':
      return d.value;
    case 'uniform':
      return (d.min + d.max) / 2;
    case 'exponential':
      return d.mean;
    case 'lognormal':
      return d.median * Math.exp((d.sigma * d.sigma) / 2);
    case 'choice': {
      const weights = d.weights ?? d.values.map(() => 1);
      const total = weights.reduce((a, b) => a + b, 0);
      return d.values.reduce((a, v, i) => a + (v * weights[i]!) / total, 0);
    }
  }
}

/** Cumulative weights of a Zipf law over n ranks with exponent s (s = 0: uniform). */
export function zipfCdf(n: number, s: number): Float64Array {
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += 1 / (i + 1) ** s;
    cdf[i] = acc;
  }
  for (let i = 0; i < n; i++) cdf[i]! /= acc;
  return cdf;
}

/** Smallest index whose cumulative weight exceeds u ∈ [0, 1). */
export function pickFromCdf(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
