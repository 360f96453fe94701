/**
 * The run's metrics, from what the simulation recorded. Definitions (sim/MODEL.md has the long form):
 *  - quantiles: nearest-rank (the smallest value with at least p·n values ≤ it);
 *  - per batch: seconds from when its last photo was on the feed until the last printer held its
 *    last image, next to the Kumar–Ross bound for its bytes (and N·F/C on a shared medium), taken
 *    over the photos still to come when they were published one after the other: the best any
 *    scheme could do.
 */

import type { Quantiles, StrategyRun } from '../results-schema.ts';
import type { Scenario } from '../scenario.ts';
import { kumarRossSeconds, sharedMediumSeconds } from './bound.ts';
import type { PrinterLinks } from './simulation.ts';
import { BYTES_PER_MBIT } from './units.ts';
import type { Workload } from './workload.ts';

export function quantiles(values: readonly number[]): Quantiles {
  const n = values.length;
  if (n === 0) return { p50: 0, p95: 0, p99: 0, mean: 0, max: 0, count: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => sorted[Math.max(0, Math.ceil(p * n) - 1)]!;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), mean: sum / n, max: sorted[n - 1]!, count: n };
}

/**
 * The floor for delivering `bytes` to every printer: Kumar–Ross with u_s = the WAN, u_i and d_i the
 * printers' ports (station rates on a shared medium), and on a shared medium also N·F/C.
 */
export function batchBoundSeconds(
  s: Scenario,
  links: { up: readonly number[]; down: readonly number[] },
  bytes: number,
): number {
  const wan = s.venue.wan.bandwidthMbps * BYTES_PER_MBIT;
  const kr = kumarRossSeconds({
    fileBytes: bytes,
    serverUploadBytesPerSec: wan,
    peerUploadBytesPerSec: links.up,
    peerDownloadBytesPerSec: links.down,
  });
  const lan = s.venue.lan;
  if (lan.kind !== 'shared') return kr;
  const medium = sharedMediumSeconds({
    fileBytes: bytes,
    printers: links.down.length,
    capacityBytesPerSec: lan.capacityMbps * BYTES_PER_MBIT,
  });
  return Math.max(kr, medium);
}

/**
 * The floor for a batch whose photos reach the feed one after the other, counted from when its last
 * photo did (`publishedAt[k]` for its k-th photo): photos k… are nowhere before publishedAt[k], so
 * delivering them takes at least their own bound from then, whatever came before. With every photo
 * published at once this is the batch's bound.
 */
export function streamBoundSeconds(
  s: Scenario,
  links: { up: readonly number[]; down: readonly number[] },
  bytes: ArrayLike<number>,
  publishedAt: ArrayLike<number>,
): number {
  const n = bytes.length;
  if (n === 0) return 0;
  const last = publishedAt[n - 1]!;
  let suffixBytes = 0;
  let bound = 0;
  for (let k = n - 1; k >= 0; k--) {
    suffixBytes += bytes[k]!;
    // Photos published together form one suffix: only its first (largest) one can bind.
    if (k > 0 && publishedAt[k - 1] === publishedAt[k]) continue;
    bound = Math.max(bound, publishedAt[k]! - last + batchBoundSeconds(s, links, suffixBytes));
  }
  return bound;
}

/**
 * Per batch: seconds from when its last photo was on the feed until every printer held all of it
 * (null if some printer never did), that moment's delay after the batch's due time, and the bound.
 */
export function batchMetrics(
  s: Scenario,
  w: Workload,
  links: PrinterLinks,
  heldAt: Float64Array,
  printers: number,
): StrategyRun['batches'] {
  const ports = { up: Array.from(links.up), down: Array.from(links.down) };
  return w.batches.map((b) => {
    let last = 0;
    for (let p = 0; p < printers && last !== Number.POSITIVE_INFINITY; p++) {
      const base = p * w.images;
      for (let i = b.first; i < b.first + b.count; i++) {
        const t = heldAt[base + i]!;
        if (t > last) last = t;
      }
    }
    const end = b.first + b.count;
    const published = w.uploadAt[end - 1]!;
    return {
      batch: b.index,
      bytes: b.bytes,
      completeSeconds: last === Number.POSITIVE_INFINITY ? null : last - published,
      boundSeconds: streamBoundSeconds(
        s,
        ports,
        w.imageBytes.subarray(b.first, end),
        w.uploadAt.subarray(b.first, end),
      ),
      publishedAfterS: Math.round((published - b.atS) * 1000) / 1000,
    };
  });
}
