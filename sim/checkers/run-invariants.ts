/**
 * What no run may ever show, whatever the strategy, checked after every model run and apart from
 * the code that produced it (the drivers: simulation.ts, desk.ts, the strategies), as TigerBeetle's
 * simulator keeps its checkers apart from its workload: a strategy or model change that breaks one
 * of these fails the run with the invariant's name, not a plausible-looking figure.
 *
 *  - unit-printed-once: each unit (order × line) prints at most once, and an order counted as served
 *    printed every one of its units;
 *  - print-needs-image: a unit prints at a printer only once the image is held there;
 *  - held-after-upload: no printer holds an image before it was uploaded, and held ⇔ held-at known;
 *  - wan-covers-unique: every image some printer holds crossed the WAN at least once, so the WAN
 *    bytes are at least the unique bytes held (a LAN copy needs a first copy), and the reported
 *    WAN ratio is WAN bytes over unique bytes;
 *  - redemptions-add-up: served + failed attempts never exceed the scans, waits are not negative;
 *  - batch-above-bound: no upload batch reaches every printer faster than the Kumar–Ross bound
 *    (sim/model/bound.ts): nothing beats physics.
 */
import { AppError } from '../../shared/errors.ts';
import type { PrintLog } from '../model/desk.ts';
import type { StrategyRun } from '../results-schema.ts';

/** Float sums of bytes and seconds are compared with this much relative slack. */
const RELATIVE_TOLERANCE = 1e-9;
/** A report lists this many violations in full; the rest are counted. */
const MAX_REPORTED_VIOLATIONS = 5;

/** Everything the checker reads of a finished run (Simulation and StrategyRun, or a test's fake). */
export interface RunRecord {
  printers: number;
  images: number;
  /** Seconds; per image. */
  uploadAt: ArrayLike<number>;
  imageBytes: ArrayLike<number>;
  orders: ReadonlyArray<{ id: number; images: ArrayLike<number> }>;
  /** Whether printer p holds image i at the end. */
  isHeld(p: number, i: number): boolean;
  /** Per printer × image (p·images + i): since when held (seconds; +∞ if never). */
  heldAt: ArrayLike<number>;
  prints: PrintLog;
  /** Orders whose fan left with every print (the desk's waits). */
  servedOrders: number;
  run: Pick<
    StrategyRun,
    'wanBytes' | 'uniqueBytes' | 'wanRatio' | 'redemptions' | 'failedRedemptions' | 'fanWaitSeconds' | 'batches'
  >;
}

export interface Violation {
  invariant:
    | 'unit-printed-once'
    | 'print-needs-image'
    | 'held-after-upload'
    | 'wan-covers-unique'
    | 'redemptions-add-up'
    | 'batch-above-bound';
  message: string;
}

function below(a: number, b: number): boolean {
  return a < b - RELATIVE_TOLERANCE * Math.max(1, Math.abs(b));
}

export function checkRun(r: RunRecord): Violation[] {
  const out: Violation[] = [];
  checkPrints(r, out);
  checkHoldings(r, out);
  checkBytes(r, out);
  checkRedemptions(r, out);
  checkBatches(r, out);
  return out;
}

function checkPrints(r: RunRecord, out: Violation[]): void {
  const units = new Map<number, Uint8Array>();
  const byId = new Map(r.orders.map((o) => [o.id, o]));
  const { order, unit, printer, startedAt } = r.prints;
  for (let k = 0; k < order.length; k++) {
    const o = byId.get(order[k]!);
    const u = unit[k]!;
    if (!o || u < 0 || u >= o.images.length) {
      out.push({ invariant: 'unit-printed-once', message: `order ${order[k]} unit ${u} printed but not ordered` });
      continue;
    }
    let seen = units.get(o.id);
    if (!seen) {
      seen = new Uint8Array(o.images.length);
      units.set(o.id, seen);
    }
    if (seen[u]! > 0) out.push({ invariant: 'unit-printed-once', message: `order ${o.id} unit ${u} printed twice` });
    seen[u]!++;
    const image = o.images[u]!;
    const p = printer[k]!;
    const heldAt = r.heldAt[p * r.images + image]!;
    if (heldAt > startedAt[k]!) {
      out.push({
        invariant: 'print-needs-image',
        message: `order ${o.id} unit ${u} (image ${image}) began printing at printer ${p} at ${startedAt[k]} s, held there only at ${heldAt} s`,
      });
    }
  }
  let complete = 0;
  for (const seen of units.values()) if (seen.every((n) => n > 0)) complete++;
  if (complete !== r.servedOrders) {
    out.push({
      invariant: 'unit-printed-once',
      message: `${r.servedOrders} orders counted as served, but ${complete} printed every unit`,
    });
  }
}

function checkHoldings(r: RunRecord, out: Violation[]): void {
  for (let p = 0; p < r.printers; p++) {
    for (let i = 0; i < r.images; i++) {
      const k = p * r.images + i;
      const held = r.isHeld(p, i);
      const at = r.heldAt[k]!;
      if (held !== Number.isFinite(at)) {
        out.push({
          invariant: 'held-after-upload',
          message: `printer ${p} image ${i}: held ${held} but held-at ${at}`,
        });
      } else if (held && below(at, r.uploadAt[i]!)) {
        out.push({
          invariant: 'held-after-upload',
          message: `printer ${p} held image ${i} at ${at} s, before its upload at ${r.uploadAt[i]} s`,
        });
      }
    }
  }
}

function checkBytes(r: RunRecord, out: Violation[]): void {
  let heldUnique = 0;
  for (let i = 0; i < r.images; i++) {
    for (let p = 0; p < r.printers; p++) {
      if (r.isHeld(p, i)) {
        heldUnique += r.imageBytes[i]!;
        break;
      }
    }
  }
  const { wanBytes, uniqueBytes, wanRatio } = r.run;
  if (below(wanBytes, heldUnique)) {
    out.push({
      invariant: 'wan-covers-unique',
      message: `${wanBytes} B crossed the WAN, but the printers hold ${heldUnique} B of distinct images`,
    });
  }
  const ratio = uniqueBytes > 0 ? wanBytes / uniqueBytes : 0;
  if (Math.abs(ratio - wanRatio) > RELATIVE_TOLERANCE * Math.max(1, ratio)) {
    out.push({ invariant: 'wan-covers-unique', message: `WAN ratio ${wanRatio} reported, ${ratio} measured` });
  }
}

function checkRedemptions(r: RunRecord, out: Violation[]): void {
  const { redemptions, failedRedemptions, fanWaitSeconds } = r.run;
  if (r.servedOrders + failedRedemptions > redemptions) {
    out.push({
      invariant: 'redemptions-add-up',
      message: `${r.servedOrders} served + ${failedRedemptions} failed attempts > ${redemptions} scans`,
    });
  }
  if (fanWaitSeconds.count !== r.servedOrders) {
    out.push({
      invariant: 'redemptions-add-up',
      message: `${fanWaitSeconds.count} fan waits for ${r.servedOrders} served orders`,
    });
  }
  if (fanWaitSeconds.count > 0 && fanWaitSeconds.p50 < 0) {
    out.push({ invariant: 'redemptions-add-up', message: `a negative fan wait (${fanWaitSeconds.p50} s)` });
  }
}

function checkBatches(r: RunRecord, out: Violation[]): void {
  for (const b of r.run.batches) {
    if (b.completeSeconds !== null && below(b.completeSeconds, b.boundSeconds)) {
      out.push({
        invariant: 'batch-above-bound',
        message: `batch ${b.batch} reached every printer in ${b.completeSeconds} s, below its bound of ${b.boundSeconds} s`,
      });
    }
  }
}

/** Fails the run when any invariant is violated, naming the run and the first few violations. */
export function assertRunInvariants(r: RunRecord, run: { scenario: string; strategy: string; seed: number }): void {
  const violations = checkRun(r);
  if (violations.length === 0) return;
  const shown = violations.slice(0, MAX_REPORTED_VIOLATIONS).map((v) => `  ${v.invariant}: ${v.message}`);
  const more = violations.length - shown.length;
  throw new AppError(
    'sim_invariant_violated',
    `The ${run.strategy} run of scenario ${run.scenario} (seed ${run.seed}) broke ${violations.length} invariant check(s):\n` +
      shown.join('\n') +
      (more > 0 ? `\n  … and ${more} more` : ''),
    { violations: violations.slice(0, MAX_REPORTED_VIOLATIONS) },
  );
}
