/**
 * The printers' counters: fans arrive (redemptions), queue at a printer, and leave with their prints.
 *
 * One fan at a time per printer (first come, first served). A fan's units print as soon as their
 * image is held — images already local first, then the others in the order they arrive, as the
 * patent's printer and the edge node both do — and each unit takes copies × the model's print time.
 * A fan whose images are not all there `fetchTimeoutS` after the order was looked up (the edge
 * node's ON_DEMAND_TIMEOUT_MS) gives up; that attempt counts as failed, and the fan comes back
 * `retryAfterS` later, up to `maxAttempts` in all. Units printed in an earlier attempt are not
 * printed again. A fan's wait runs from the order's first scan to its last print, so a failed
 * attempt and the time until the retry count against the strategy that caused them.
 *
 * With `redemption.kioskSuggestion`, a fan arriving at a station whose queue is long is shown the
 * kiosk's suggestion (the edge node's own rule, shared/policy/queue-routing.ts) and a share of them
 * walk there; the wait runs from their arrival at the first kiosk, so the walk counts.
 */
import type { Rng } from '../../shared/policy/prng.ts';
import { expectedReadySeconds, isBetterRoute, isLongQueue, isWorthTheWalk } from '../../shared/policy/queue-routing.ts';
import type { Scenario } from '../scenario.ts';
import { HELD, type SimContext, type Strategy } from '../strategies/strategy.ts';
import type { OrderSpec } from './workload.ts';

interface Attempt {
  order: OrderSpec;
  printer: number;
  scanAt: number;
  ready: boolean;
  failed: boolean;
  done: boolean;
  printing: boolean;
  unitsLeft: number;
  /** Printer-seconds of this fan's units not started yet (what the printer publishes as its queue). */
  unstartedWork: number;
}

export interface DeskHost extends SimContext {
  readonly strategy: Strategy;
}

/** Every unit printed, in print order: what the invariant checker (sim/checkers) reads. */
export interface PrintLog {
  order: number[];
  /** The unit's index in the order. */
  unit: number[];
  printer: number[];
  /** When printing began (the image must have been held there by then). */
  startedAt: number[];
}

export class Desk {
  readonly waits: number[] = [];
  readonly prints: PrintLog = { order: [], unit: [], printer: [], startedAt: [] };
  /** When each unit of `prints` came out (the printer confirms it then: a template use is counted). */
  readonly printedAt: number[] = [];
  scans = 0;
  failed = 0;
  /** Walks to a station a kiosk suggested (a fan who is sent on again when coming back counts again). */
  kioskWalks = 0;
  allLocal = 0;
  readonly #sim: DeskHost;
  readonly #s: Scenario;
  readonly #printSeconds: Float64Array;
  readonly #queues: Attempt[][];
  readonly #heads: Int32Array;
  readonly #queued: Int32Array;
  readonly #busy: Uint8Array;
  /** Per printer: printer-seconds of queued units not started, and when the unit in progress ends. */
  readonly #work: Float64Array;
  readonly #busyUntil: Float64Array;
  readonly #printed = new Map<number, Uint8Array>();
  readonly #attempts = new Map<number, number>();
  /** When each order's fan first scanned: a retried order's wait runs from there. */
  readonly #firstScanAt = new Map<number, number>();
  readonly #rng: Rng;
  /** Whether a fan follows the kiosk's suggestion: its own stream, so the printers drawn stay the same. */
  readonly #followRng: Rng;

  constructor(sim: DeskHost, printSeconds: Float64Array) {
    this.#sim = sim;
    this.#s = sim.scenario;
    this.#printSeconds = printSeconds;
    const n = sim.printers;
    this.#queues = Array.from({ length: n }, () => []);
    this.#heads = new Int32Array(n);
    this.#queued = new Int32Array(n);
    this.#busy = new Uint8Array(n);
    this.#work = new Float64Array(n);
    this.#busyUntil = new Float64Array(n);
    this.#rng = sim.rng('redemption-choice');
    this.#followRng = sim.rng('kiosk-suggestion');
  }

  schedule(order: OrderSpec): void {
    this.#sim.at(order.redeemAt, () => this.#arrive(order));
  }

  /** A printer came back: serve its queue and re-request what its fans still lack. */
  printerUp(p: number): void {
    const q = this.#queues[p]!;
    for (let k = this.#heads[p]!; k < q.length; k++) {
      const a = q[k]!;
      if (a.ready && !a.failed && !a.done) this.#requestMissing(a);
    }
    this.#pump(p);
  }

  /** An image became held at printer p: a fan there may be waiting for it. */
  imageArrived(p: number): void {
    if (this.#busy[p] === 0 && this.#queued[p]! > 0) this.#pump(p);
  }

  #choosePrinter(order: OrderSpec): number {
    const sim = this.#sim;
    const n = sim.printers;
    if (order.fixedPrinter >= 0) return this.#nearestUp(order.fixedPrinter);
    switch (this.#s.redemption.choice) {
      case 'nearest':
        return this.#nearestUp(order.seat);
      case 'random':
        return this.#nearestUp(this.#rng.int(n));
      case 'shortest-queue':
        return this.#shortestQueue(order, this.#rng.int(n));
    }
  }

  /**
   * The edge nodes' own routing policy (shared/policy/queue-routing.ts): the printer where the fan's
   * prints would be out soonest, from the queue work each printer publishes, among the printers that
   * hold all the fan's photos while any does; ties go to the printer nearer the fan's seat. The scan
   * starts at a drawn printer so equal, equally near printers share the fans.
   */
  #shortestQueue(order: OrderSpec, start: number): number {
    const sim = this.#sim;
    const n = sim.printers;
    const printed = this.#printed.get(order.id);
    let units = 0;
    for (let k = 0; k < order.copies.length; k++) if (!printed?.[k]) units += order.copies[k]!;
    let best = -1;
    let bestEta = 0;
    let bestDistance = 0;
    let bestHolds = false;
    for (let j = 0; j < n; j++) {
      const p = (start + j) % n;
      if (!sim.isPrinterUp(p)) continue;
      let holds = true;
      for (let k = 0; k < order.images.length && holds; k++) {
        if (!printed?.[k] && sim.state(p, order.images[k]!) !== HELD) holds = false;
      }
      if (best >= 0 && bestHolds && !holds) continue;
      const eta = expectedReadySeconds(this.#queueWork(p), 1, this.#printSeconds[p]!, units);
      const distance = Math.abs(p - order.seat);
      if (best < 0 || (holds && !bestHolds) || isBetterRoute(eta, distance, bestEta, bestDistance)) {
        best = p;
        bestEta = eta;
        bestDistance = distance;
        bestHolds = holds;
      }
    }
    return best;
  }

  /** The printer itself if up, else the closest one up (p+1, p-1, p+2, …), or -1. */
  #nearestUp(p: number): number {
    const n = this.#sim.printers;
    for (let d = 0; d < n; d++) {
      const a = p + d;
      if (a < n && this.#sim.isPrinterUp(a)) return a;
      const b = p - d;
      if (d > 0 && b >= 0 && this.#sim.isPrinterUp(b)) return b;
    }
    return -1;
  }

  /** A fan reaches the station the scenario's choice sends them to, and scans there or walks on. */
  #arrive(order: OrderSpec): void {
    const sim = this.#sim;
    const p = this.#choosePrinter(order);
    const suggestion = this.#s.redemption.kioskSuggestion;
    const q = p >= 0 && suggestion ? this.#kioskSuggestion(order, p, suggestion.walkS) : -1;
    if (q < 0 || this.#followRng.next() >= suggestion!.follow) {
      this.#scan(order, p);
      return;
    }
    this.kioskWalks++;
    if (!this.#firstScanAt.has(order.id)) this.#firstScanAt.set(order.id, sim.now);
    sim.at(sim.now + suggestion!.walkS, () => this.#scan(order, this.#nearestUp(q)));
  }

  /**
   * The station a kiosk at printer `p` suggests, or -1: the kiosk does not know the fan's order
   * before the code, so it reckons with one print and counts every station as holding the photos
   * (edge-node/routing/kiosk-routing.ts); every other station is `walkS` away. It sees the others'
   * queues as they are now, and not the fans already walking there (no station does). Not for a fan
   * sent to a fixed printer; the scenario refuses it with `shortest-queue`.
   */
  #kioskSuggestion(order: OrderSpec, p: number, walkS: number): number {
    if (order.fixedPrinter >= 0) return -1;
    const sim = this.#sim;
    const hereEta = expectedReadySeconds(this.#queueWork(p), 1, this.#printSeconds[p]!, 1);
    if (!isLongQueue(hereEta)) return -1;
    let best = -1;
    let bestEta = Number.POSITIVE_INFINITY;
    for (let q = 0; q < sim.printers; q++) {
      if (q === p || !sim.isPrinterUp(q)) continue;
      const eta = expectedReadySeconds(this.#queueWork(q), 1, this.#printSeconds[q]!, 1, walkS);
      if (best < 0 || isBetterRoute(eta, Math.abs(q - p), bestEta, Math.abs(best - p))) {
        best = q;
        bestEta = eta;
      }
    }
    return best >= 0 && isWorthTheWalk(hereEta, bestEta) ? best : -1;
  }

  /** Printer-seconds of work ahead of a fan arriving at printer p now (what the station publishes). */
  #queueWork(p: number): number {
    return this.#work[p]! + Math.max(0, this.#busyUntil[p]! - this.#sim.now);
  }

  #scan(order: OrderSpec, p: number): void {
    const sim = this.#sim;
    const attemptNo = (this.#attempts.get(order.id) ?? 0) + 1;
    this.#attempts.set(order.id, attemptNo);
    if (attemptNo === 1 && !this.#firstScanAt.has(order.id)) this.#firstScanAt.set(order.id, sim.now);
    this.scans++;
    if (p < 0) {
      this.#giveUp(order, -1);
      return;
    }
    const printed = this.#printed.get(order.id);
    let unitsLeft = 0;
    let unstartedWork = 0;
    let local = true;
    for (let k = 0; k < order.images.length; k++) {
      if (printed?.[k]) continue;
      unitsLeft++;
      unstartedWork += order.copies[k]! * this.#printSeconds[p]!;
      if (sim.state(p, order.images[k]!) !== HELD) local = false;
    }
    if (local) this.allLocal++;
    const a: Attempt = {
      order,
      printer: p,
      scanAt: sim.now,
      ready: false,
      failed: false,
      done: false,
      printing: false,
      unitsLeft,
      unstartedWork,
    };
    this.#queues[p]!.push(a);
    this.#queued[p]!++;
    this.#work[p]! += unstartedWork;
    if (sim.tracing) sim.trace({ kind: 'redeem', printer: p, order: order.id, images: Array.from(order.images) });
    if (sim.strategy.redemptionNeedsWan) {
      if (!sim.isWanUp()) {
        this.#fail(a);
        return;
      }
      sim.at(sim.now + sim.wanRttS, () => this.#ready(a));
    } else this.#ready(a);
  }

  #ready(a: Attempt): void {
    if (a.failed) return;
    a.ready = true;
    this.#requestMissing(a);
    this.#sim.at(this.#sim.now + this.#s.redemption.fetchTimeoutS, () => this.#deadline(a));
    this.#pump(a.printer);
  }

  #requestMissing(a: Attempt): void {
    const sim = this.#sim;
    const missing: number[] = [];
    const printed = this.#printed.get(a.order.id);
    for (let k = 0; k < a.order.images.length; k++) {
      const img = a.order.images[k]!;
      if (!printed?.[k] && sim.state(a.printer, img) !== HELD) missing.push(img);
    }
    if (missing.length > 0 && sim.isPrinterUp(a.printer)) sim.strategy.fetchForFan(sim, a.printer, missing);
  }

  #deadline(a: Attempt): void {
    if (a.done || a.failed) return;
    const printed = this.#printed.get(a.order.id);
    for (let k = 0; k < a.order.images.length; k++) {
      if (!printed?.[k] && this.#sim.state(a.printer, a.order.images[k]!) !== HELD) {
        this.#fail(a);
        return;
      }
    }
  }

  #fail(a: Attempt): void {
    a.failed = true;
    this.#queued[a.printer]!--;
    this.#work[a.printer]! -= a.unstartedWork;
    a.unstartedWork = 0;
    this.#abandon(a);
    this.#giveUp(a.order, a.printer);
    this.#pump(a.printer);
  }

  /** Tells the strategy which of the fan's missing images nobody else queued there still needs. */
  #abandon(a: Attempt): void {
    const sim = this.#sim;
    const p = a.printer;
    if (!a.ready) return;
    const q = this.#queues[p]!;
    const needed = new Set<number>();
    for (let k = this.#heads[p]!; k < q.length; k++) {
      const other = q[k]!;
      if (other.failed || other.done || !other.ready) continue;
      for (const img of other.order.images) needed.add(img);
    }
    const dropped: number[] = [];
    for (const img of a.order.images) if (!needed.has(img) && sim.state(p, img) !== HELD) dropped.push(img);
    if (dropped.length > 0) sim.strategy.abandon(sim, p, dropped);
  }

  #giveUp(order: OrderSpec, printer: number): void {
    const sim = this.#sim;
    this.failed++;
    sim.trace({ kind: 'redeem-failed', printer, order: order.id });
    if ((this.#attempts.get(order.id) ?? 0) < this.#s.redemption.maxAttempts) {
      sim.at(sim.now + this.#s.redemption.retryAfterS, () => this.#arrive(order));
    }
  }

  #pump(p: number): void {
    const sim = this.#sim;
    if (this.#busy[p] !== 0 || !sim.isPrinterUp(p)) return;
    const q = this.#queues[p]!;
    let h = this.#heads[p]!;
    while (h < q.length && (q[h]!.failed || q[h]!.done)) h++;
    if (h === q.length) {
      q.length = 0;
      h = 0;
    } else if (h > 1024 && h * 2 > q.length) {
      q.splice(0, h);
      h = 0;
    }
    this.#heads[p] = h;
    const a = q[h];
    if (!a?.ready) return;
    const order = a.order;
    let printed = this.#printed.get(order.id);
    for (let k = 0; k < order.images.length; k++) {
      if (printed?.[k] || sim.state(p, order.images[k]!) !== HELD) continue;
      if (!printed) {
        printed = new Uint8Array(order.images.length);
        this.#printed.set(order.id, printed);
      }
      printed[k] = 1;
      this.#busy[p] = 1;
      a.printing = true;
      const startedAt = sim.now;
      const seconds = order.copies[k]! * this.#printSeconds[p]!;
      a.unstartedWork -= seconds;
      this.#work[p]! -= seconds;
      this.#busyUntil[p] = startedAt + seconds;
      sim.at(startedAt + seconds, () => this.#printedUnit(a, k, startedAt));
      return;
    }
  }

  #printedUnit(a: Attempt, k: number, startedAt: number): void {
    const sim = this.#sim;
    const p = a.printer;
    this.prints.order.push(a.order.id);
    this.prints.unit.push(k);
    this.prints.printer.push(p);
    this.prints.startedAt.push(startedAt);
    this.printedAt.push(sim.now);
    this.#busy[p] = 0;
    a.printing = false;
    if (sim.tracing) sim.trace({ kind: 'printed', printer: p, order: a.order.id, images: [a.order.images[k]!] });
    if (!a.failed) {
      a.unitsLeft--;
      if (a.unitsLeft === 0) {
        a.done = true;
        this.#queued[p]!--;
        this.waits.push(sim.now - (this.#firstScanAt.get(a.order.id) ?? a.scanAt));
        this.#printed.delete(a.order.id);
        this.#firstScanAt.delete(a.order.id);
      }
    }
    this.#pump(p);
  }
}
