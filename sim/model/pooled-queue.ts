/**
 * The pooled-queue ideal (issue #16 item 2): every printer of the venue serving one shared queue,
 * first come first served, with the run's own arrivals (each order's first scan) and print times.
 * That is the M/G/c system for the same workload and the physical limit of any routing: a fan sent
 * to a printer can at best be served as if the whole venue were one queue. The model assumes every
 * photo is already local and no printer is down, so it is a lower bound on what the desk measures.
 *
 * A fan's order is one job (their units print one after another on one printer, as at the desk);
 * the head of the queue takes the printer that would finish it first (with equal printers: the one
 * free first). Sojourn = queueing + own prints, the same span as the desk's fan wait.
 */
import type { OrderSpec } from './workload.ts';

/**
 * Sojourn times (seconds) of jobs with `arrivals` (any order) and `work` units each, where a unit
 * takes `secondsPerUnit[s]` on server s. Returned in the order of the input jobs.
 */
export function pooledSojournTimes(
  arrivals: ArrayLike<number>,
  work: ArrayLike<number>,
  secondsPerUnit: ArrayLike<number>,
): Float64Array {
  const n = arrivals.length;
  const c = secondsPerUnit.length;
  const out = new Float64Array(n);
  if (c === 0) return out.fill(Number.POSITIVE_INFINITY);
  const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => arrivals[a]! - arrivals[b]! || a - b);
  const freeAt = new Float64Array(c);
  const uniform = isUniform(secondsPerUnit);
  // Equal printers: a binary heap of free times keeps 100k jobs × 500 printers cheap.
  const heap = uniform ? new MinHeap(freeAt) : null;
  for (const k of order) {
    const t = arrivals[k]!;
    if (heap) {
      const s = heap.top();
      const done = Math.max(t, freeAt[s]!) + work[k]! * secondsPerUnit[0]!;
      heap.replaceTop(done);
      out[k] = done - t;
      continue;
    }
    let best = 0;
    let bestDone = Number.POSITIVE_INFINITY;
    for (let s = 0; s < c; s++) {
      const done = Math.max(t, freeAt[s]!) + work[k]! * secondsPerUnit[s]!;
      if (done < bestDone) {
        bestDone = done;
        best = s;
      }
    }
    freeAt[best] = bestDone;
    out[k] = bestDone - t;
  }
  return out;
}

/** The pooled ideal for a model run: its orders' first scans and units, the printers' print times. */
export function pooledFanWaits(orders: readonly OrderSpec[], printSeconds: ArrayLike<number>): Float64Array {
  const arrivals = new Float64Array(orders.length);
  const units = new Float64Array(orders.length);
  orders.forEach((o, k) => {
    arrivals[k] = o.redeemAt;
    let u = 0;
    for (let i = 0; i < o.copies.length; i++) u += o.copies[i]!;
    units[k] = u;
  });
  return pooledSojournTimes(arrivals, units, printSeconds);
}

function isUniform(xs: ArrayLike<number>): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i] !== xs[0]) return false;
  return true;
}

/** A min-heap of server indices keyed by their free-at time (stored in `keys`). */
class MinHeap {
  readonly #keys: Float64Array;
  readonly #idx: Int32Array;

  constructor(keys: Float64Array) {
    this.#keys = keys;
    this.#idx = Int32Array.from({ length: keys.length }, (_, i) => i);
    for (let i = (keys.length >> 1) - 1; i >= 0; i--) this.#down(i);
  }

  top(): number {
    return this.#idx[0]!;
  }

  /** Sets the top server's free-at time and restores the heap. */
  replaceTop(key: number): void {
    this.#keys[this.#idx[0]!] = key;
    this.#down(0);
  }

  #down(i: number): void {
    const n = this.#idx.length;
    const keys = this.#keys;
    const idx = this.#idx;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && keys[idx[l]!]! < keys[idx[m]!]!) m = l;
      if (r < n && keys[idx[r]!]! < keys[idx[m]!]!) m = r;
      if (m === i) return;
      const tmp = idx[i]!;
      idx[i] = idx[m]!;
      idx[m] = tmp;
      i = m;
    }
  }
}
