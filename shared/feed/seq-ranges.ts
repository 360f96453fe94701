/**
 * A set of catalog positions (`seq`, an image's place in its event's append order) as sorted,
 * disjoint, half-open ranges: what a printer holds of an event. A printer holds nearly every photo,
 * so its have-list is a few ranges whatever the event's size, where a list of image ids grows to
 * ~780 KB at 20,000 photos and the coordinator parsed it on every redemption, and all 500 printers'
 * lists on every refresh of a fan's routing hint (issue #16). The same runs group a download's
 * blocks into ranges (edge-node/mesh/block-runs.ts). Pure.
 */

/** `[start, end)`: seqs start … end − 1. */
export type SeqRange = readonly [start: number, end: number];

/** The ranges of `seqs` (any order, repeats allowed): sorted, de-duplicated half-open runs. */
export function toSeqRanges(seqs: Iterable<number>): SeqRange[] {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  for (const seq of sorted) {
    const last = out.at(-1);
    if (last && last[1] === seq) last[1] = seq + 1;
    else out.push([seq, seq + 1]);
  }
  return out;
}

/** True when `ranges` are sorted, disjoint, non-empty and not touching (the form toSeqRanges makes). */
export function isCanonicalSeqRanges(ranges: readonly SeqRange[]): boolean {
  let end = -1;
  for (const [s, e] of ranges) {
    if (!(s > end && e > s)) return false;
    end = e;
  }
  return true;
}

/** Whether `seq` lies in canonical `ranges` (binary search). */
export function inSeqRanges(ranges: readonly SeqRange[], seq: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [s, e] = ranges[mid]!;
    if (seq < s) hi = mid - 1;
    else if (seq >= e) lo = mid + 1;
    else return true;
  }
  return false;
}

/** How many seqs `ranges` hold. */
export function seqRangesSize(ranges: readonly SeqRange[]): number {
  let n = 0;
  for (const [s, e] of ranges) n += e - s;
  return n;
}
