/**
 * The discrete-event core of model mode: the clock, the agenda, the network, who holds what, the
 * faults, and the samples the metrics are computed from. Strategies act through SimContext.
 *
 * Links of the flow-level network (all capacities in bytes/s):
 *  - WAN: the venue's internet link, cloud → venue (0 during an outage);
 *  - POOL (switched LAN): the printers' summed upload ports, Kumar–Ross's Σu_i; LAN transfers are
 *    swarm-like (each image comes from whichever peers hold it), so the senders are modelled as one
 *    pooled upload rather than one port each;
 *  - MEDIUM (shared LAN): the one channel every transfer crosses; a printer-to-printer byte costs
 *    `airtimeFactor` (2 = relayed by the access point), a byte from the WAN costs 1;
 *  - DOWN(p): printer p's download port (switched) or station rate (shared).
 */
import { type Rng, seededRng } from '../../shared/policy/prng.ts';
import type { Scenario } from '../scenario.ts';
import { totalPrinters } from '../scenario.ts';
import { HELD, type SimContext, type Strategy, type TraceEvent } from '../strategies/strategy.ts';
import { Desk } from './desk.ts';
import { EventQueue } from './event-queue.ts';
import { type Flow, type FlowSource, Network } from './network.ts';
import { cpuReceiveBytesPerSec, effectivePrintSeconds } from './station-cpu.ts';
import { BYTES_PER_MBIT } from './units.ts';
import type { UploadBatch, Workload } from './workload.ts';

export const WAN_LINK = 0;
export const POOL_LINK = 1;
export const MEDIUM_LINK = 2;
export const FIRST_PORT_LINK = 3;
/** How often (in processed events) the progress callback is offered a new fraction. */
const PROGRESS_EVERY_EVENTS = 1 << 14;

export interface SimulationOptions {
  onProgress?: (fraction: number) => void;
  trace?: (event: TraceEvent) => void;
}

export interface LagSample {
  t: number;
  meanLagSeconds: number;
  maxLagSeconds: number;
}

/** Per-printer port rates, in bytes/s. */
export interface PrinterLinks {
  up: Float64Array;
  down: Float64Array;
  printSeconds: Float64Array;
}

export function printerLinks(s: Scenario): PrinterLinks {
  const n = totalPrinters(s);
  const up = new Float64Array(n);
  const down = new Float64Array(n);
  const printSeconds = new Float64Array(n);
  const lan = s.venue.lan;
  let p = 0;
  for (const g of s.venue.printers) {
    for (let k = 0; k < g.count; k++, p++) {
      const shared = lan.kind === 'shared' ? (lan.stationMbps ?? lan.capacityMbps) : 0;
      const model = s.venue.printerModels[g.model]!;
      up[p] = (g.portUpMbps ?? (lan.kind === 'switched' ? lan.portUpMbps : shared)) * BYTES_PER_MBIT;
      down[p] = (g.portDownMbps ?? (lan.kind === 'switched' ? lan.portDownMbps : shared)) * BYTES_PER_MBIT;
      // A station receives no faster than its CPU verifies and stores (station-cpu.ts).
      down[p] = Math.min(down[p]!, cpuReceiveBytesPerSec(model));
      printSeconds[p] = effectivePrintSeconds(model);
    }
  }
  return { up, down, printSeconds };
}

export class Simulation implements SimContext {
  now = 0;
  events = 0;
  readonly seed: number;
  readonly scenario: Scenario;
  readonly workload: Workload;
  readonly printers: number;
  readonly network: Network;
  readonly strategy: Strategy;
  readonly wanRttS: number;
  readonly lanRttS: number;
  readonly desk: Desk;
  readonly tracing: boolean;
  readonly lag: LagSample[] = [];
  /** Per printer × image (index p·images + i): state, and when it became held. */
  readonly stateArray: Uint8Array;
  readonly heldAt: Float64Array;
  readonly #images: number;
  readonly #links: PrinterLinks;
  readonly #held: Int32Array;
  readonly #holders: Int32Array;
  readonly #downCount: Int32Array;
  readonly #oldestMissing: Int32Array;
  readonly #queue = new EventQueue();
  readonly #opts: SimulationOptions;
  #uploaded = 0;
  #wanOutages = 0;
  #wanUpAt = 0;
  #poolBytesPerSec = 0;

  constructor(scenario: Scenario, workload: Workload, strategy: Strategy, seed: number, opts: SimulationOptions = {}) {
    this.scenario = scenario;
    this.workload = workload;
    this.strategy = strategy;
    this.seed = seed;
    this.#opts = opts;
    this.tracing = opts.trace !== undefined;
    this.printers = totalPrinters(scenario);
    this.#images = workload.images;
    this.#links = printerLinks(scenario);
    this.wanRttS = scenario.venue.wan.rttMs / 1000;
    this.lanRttS = scenario.venue.lan.rttMs / 1000;
    const n = this.printers;
    this.stateArray = new Uint8Array(n * this.#images);
    this.heldAt = new Float64Array(n * this.#images).fill(Number.POSITIVE_INFINITY);
    this.#held = new Int32Array(n);
    this.#holders = new Int32Array(this.#images);
    this.#downCount = new Int32Array(n);
    this.#oldestMissing = new Int32Array(n);
    const caps = new Float64Array(FIRST_PORT_LINK + n);
    const lan = scenario.venue.lan;
    caps[WAN_LINK] = scenario.venue.wan.bandwidthMbps * BYTES_PER_MBIT;
    for (let p = 0; p < n; p++) this.#poolBytesPerSec += this.#links.up[p]!;
    caps[POOL_LINK] = lan.kind === 'switched' ? this.#poolBytesPerSec : Number.POSITIVE_INFINITY;
    caps[MEDIUM_LINK] = lan.kind === 'shared' ? lan.capacityMbps * BYTES_PER_MBIT : Number.POSITIVE_INFINITY;
    for (let p = 0; p < n; p++) caps[FIRST_PORT_LINK + p] = this.#links.down[p]!;
    this.network = new Network(caps);
    this.desk = new Desk(this, this.#links.printSeconds);
  }

  // ---- SimContext ----

  at(t: number, fn: () => void): void {
    this.#queue.push(Math.max(t, this.now), fn);
  }

  uploadedCount(): number {
    return this.#uploaded;
  }

  state(p: number, i: number): number {
    return this.stateArray[p * this.#images + i]!;
  }

  setState(p: number, i: number, s: number): void {
    const k = p * this.#images + i;
    if (this.stateArray[k] === HELD || s === HELD) throw new Error('HELD is set by deliveries only, and never undone');
    this.stateArray[k] = s;
  }

  heldCount(p: number): number {
    return this.#held[p]!;
  }

  onlineHolders(i: number): number {
    return this.#holders[i]!;
  }

  isPrinterUp(p: number): boolean {
    return this.#downCount[p] === 0;
  }

  isWanUp(): boolean {
    return this.#wanOutages === 0;
  }

  wanUpSince(): number | null {
    return this.#wanOutages === 0 ? this.#wanUpAt : null;
  }

  onlinePrinters(): number[] {
    const out: number[] = [];
    for (let p = 0; p < this.printers; p++) if (this.#downCount[p] === 0) out.push(p);
    return out;
  }

  startWanFlow(p: number, source: FlowSource, tag: string, cap = Number.POSITIVE_INFINITY): Flow | null {
    const shared = this.scenario.venue.lan.kind === 'shared';
    const links = shared ? [WAN_LINK, MEDIUM_LINK, FIRST_PORT_LINK + p] : [WAN_LINK, FIRST_PORT_LINK + p];
    const weights = shared ? [1, 1, 1] : [1, 1];
    return this.network.start({ printer: p, kind: 'wan', links, weights, cap, source: this.#tracking(source), tag });
  }

  startLanFlow(p: number, source: FlowSource, tag: string, cap = Number.POSITIVE_INFINITY): Flow | null {
    const lan = this.scenario.venue.lan;
    const links = lan.kind === 'shared' ? [MEDIUM_LINK, FIRST_PORT_LINK + p] : [POOL_LINK, FIRST_PORT_LINK + p];
    const weights = lan.kind === 'shared' ? [lan.airtimeFactor, 1] : [1, 1];
    return this.network.start({ printer: p, kind: 'lan', links, weights, cap, source: this.#tracking(source), tag });
  }

  rng(name: string): Rng {
    return seededRng(`${this.seed}/${this.strategy.name}/${name}`);
  }

  trace(event: Omit<TraceEvent, 't'>): void {
    this.#opts.trace?.({ t: this.now, ...event });
  }

  deliver(p: number, i: number): void {
    this.#deliver(p, i, this.now);
  }

  // ---- the run ----

  run(): void {
    const s = this.scenario;
    for (const part of publications(this.workload)) {
      this.at(this.workload.uploadAt[part.first]!, () => {
        this.#uploaded = part.first + part.count;
        if (this.tracing) this.trace({ kind: 'upload', images: range(part.first, part.count) });
        this.strategy.onUpload(this, part);
      });
    }
    for (const order of this.workload.orders) this.desk.schedule(order);
    for (const w of s.faults.printerDown) {
      this.at(w.fromS, () => {
        for (const p of w.printers) this.#setPrinter(p, false);
      });
      this.at(w.toS, () => {
        for (const p of w.printers) this.#setPrinter(p, true);
      });
    }
    for (const w of s.faults.wanOutages) {
      this.at(w.fromS, () => this.#setWan(false));
      this.at(w.toS, () => this.#setWan(true));
    }
    const step = s.output.sampleIntervalS;
    for (let k = 0; k * step <= s.durationS; k++) this.at(k * step, () => this.#sampleLag());
    this.at(s.durationS, () => this.strategy.stop(this));
    this.strategy.start(this);
    this.#loop();
    this.network.settleAll(this.now);
    this.#opts.onProgress?.(1);
  }

  #loop(): void {
    const q = this.#queue;
    const net = this.network;
    const progress = this.#opts.onProgress;
    const horizon = this.scenario.durationS;
    for (;;) {
      const te = q.peekTime();
      const tn = net.nextTime();
      const t = Math.min(te, tn);
      if (net.dirty && t > this.now) {
        net.recompute(this.now);
        continue;
      }
      if (t === Number.POSITIVE_INFINITY) return;
      if (t > this.now) this.now = t;
      if (te <= tn) q.pop()!();
      else net.step(this.now);
      this.events++;
      if (progress && (this.events & (PROGRESS_EVERY_EVENTS - 1)) === 0) progress(Math.min(1, this.now / horizon));
    }
  }

  #tracking(source: FlowSource): FlowSource {
    return {
      next: (flow) => source.next(flow),
      delivered: (flow, image, t) => {
        if (source.holdBack?.(flow, image, t) === true) return;
        this.#deliver(flow.printer, image, t);
        source.delivered(flow, image, t);
      },
      ended: (flow, t) => source.ended(flow, t),
    };
  }

  #deliver(p: number, i: number, t: number): void {
    const k = p * this.#images + i;
    if (this.stateArray[k] === HELD) return;
    this.stateArray[k] = HELD;
    this.heldAt[k] = t;
    this.#held[p]!++;
    if (this.#downCount[p] === 0) this.#holders[i]!++;
    if (this.tracing) this.trace({ kind: 'held', printer: p, images: [i] });
    if (this.#downCount[p] === 0) this.strategy.onHeld?.(this, p, i);
    this.desk.imageArrived(p);
  }

  #setPrinter(p: number, up: boolean): void {
    const wasUp = this.#downCount[p] === 0;
    this.#downCount[p]! += up ? -1 : 1;
    const isUp = this.#downCount[p] === 0;
    if (wasUp === isUp) return;
    const base = p * this.#images;
    const delta = isUp ? 1 : -1;
    for (let i = 0; i < this.#images; i++) if (this.stateArray[base + i] === HELD) this.#holders[i]! += delta;
    this.#poolBytesPerSec += delta * this.#links.up[p]!;
    if (this.scenario.venue.lan.kind === 'switched') this.network.setCapacity(POOL_LINK, this.#poolBytesPerSec);
    this.trace({ kind: isUp ? 'printer-up' : 'printer-down', printer: p });
    if (isUp) {
      this.strategy.onPrinterUp(this, p);
      this.desk.printerUp(p);
    } else this.strategy.onPrinterDown(this, p);
  }

  #setWan(up: boolean): void {
    const wasUp = this.#wanOutages === 0;
    this.#wanOutages += up ? -1 : 1;
    const isUp = this.#wanOutages === 0;
    if (wasUp === isUp) return;
    // The background LAN deadline counts from when the uplink came back (shared/policy/source-choice.ts).
    if (isUp) this.#wanUpAt = this.now;
    this.network.setCapacity(WAN_LINK, isUp ? this.scenario.venue.wan.bandwidthMbps * BYTES_PER_MBIT : 0);
    this.trace({ kind: isUp ? 'wan-up' : 'wan-down' });
    this.strategy.onWanChange(this, isUp);
  }

  /** Mean and max over printers of the age of the oldest uploaded image each does not hold. */
  #sampleLag(): void {
    if (this.now > this.scenario.durationS) return;
    const uploaded = this.#uploaded;
    let sum = 0;
    let max = 0;
    for (let p = 0; p < this.printers; p++) {
      const base = p * this.#images;
      let i = this.#oldestMissing[p]!;
      while (i < uploaded && this.stateArray[base + i] === HELD) i++;
      this.#oldestMissing[p] = i;
      const lag = i < uploaded ? this.now - this.workload.uploadAt[i]! : 0;
      sum += lag;
      if (lag > max) max = lag;
    }
    this.lag.push({ t: this.now, meanLagSeconds: this.printers > 0 ? sum / this.printers : 0, maxLagSeconds: max });
  }
}

function range(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, k) => first + k);
}

/**
 * The feed's growth, in the order it happens: per batch, each run of its photos published at the
 * same moment (the whole batch when it is published at once), as the strategies' `onUpload` sees it.
 */
export function* publications(w: Workload): Generator<UploadBatch> {
  for (const b of w.batches) {
    let first = b.first;
    const end = b.first + b.count;
    while (first < end) {
      let next = first + 1;
      let bytes = w.imageBytes[first]!;
      while (next < end && w.uploadAt[next] === w.uploadAt[first]) bytes += w.imageBytes[next++]!;
      yield first === b.first && next === end ? b : { index: b.index, atS: b.atS, first, count: next - first, bytes };
      first = next;
    }
  }
}
