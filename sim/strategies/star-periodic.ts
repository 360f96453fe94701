/**
 * `star-periodic`, the seed patent (JP7750107B2): the cloud keeps a delivery status per printer and
 * image, and every `intervalS` pushes each printer the images not yet delivered to it. At a
 * redemption the printer sends the order number to the cloud (one WAN round trip; impossible while
 * the WAN is down), prints what it already holds, and the cloud sends the ordered images not yet
 * delivered "separately from the regular delivery" and marks them delivered, so the next periodic
 * push skips them (the patent's Fig. 6: at T14 only G4 is sent on demand, at T15 only G5 and G6 are
 * pushed).
 *
 * Modelling choices: the cloud pushes to every printer at once over the shared WAN (max-min fair);
 * a push still running at the next tick is extended with the newly undelivered images rather than
 * doubled; a push to a printer that is down, or while the WAN is down, is skipped until the next
 * tick; an image the push is moving at the moment a fan needs it is taken over by the fan's fetch
 * for its remaining bytes.
 */
import type { Flow, FlowSource } from '../model/network.ts';
import type { UploadBatch } from '../model/workload.ts';
import { CloudFanFetches } from './on-demand.ts';
import { IN_BACKGROUND, MISSING, type SimContext, type Strategy } from './strategy.ts';

export class StarPeriodicStrategy implements Strategy {
  readonly name = 'star-periodic';
  readonly redemptionNeedsWan = true;
  #fetches: CloudFanFetches | null = null;
  #push: Array<Flow | null> = [];
  /** Per printer: images [0, pushedUpTo) have been put into a push; the push carries [cursor, pushedUpTo). */
  #pushedUpTo = new Int32Array(0);
  #cursor = new Int32Array(0);
  #sources: FlowSource[] = [];
  #stopped = false;

  start(sim: SimContext): void {
    const n = sim.printers;
    this.#fetches = new CloudFanFetches(n);
    this.#push = new Array<Flow | null>(n).fill(null);
    this.#pushedUpTo = new Int32Array(n);
    this.#cursor = new Int32Array(n);
    this.#sources = Array.from({ length: n }, (_, p) => this.#source(sim, p));
    const cfg = sim.scenario.strategies.starPeriodic;
    for (let t = cfg.firstPushAtS ?? cfg.intervalS; t <= sim.scenario.durationS; t += cfg.intervalS) {
      sim.at(t, () => this.#tick(sim));
    }
  }

  onUpload(_sim: SimContext, _batch: UploadBatch): void {}

  fetchForFan(sim: SimContext, p: number, images: readonly number[]): void {
    this.#fetches!.fetch(sim, p, images, this.#push[p] ?? null);
  }

  abandon(sim: SimContext, p: number, images: readonly number[]): void {
    this.#undeliver(p, this.#fetches!.abandon(sim, p, images));
  }

  onPrinterDown(sim: SimContext, p: number): void {
    this.#cancelPush(sim, p);
    this.#undeliver(p, this.#fetches!.cancelAll(sim, p));
  }

  /** Images a fan's fetch had claimed are "not delivered" again: the next push must include them. */
  #undeliver(p: number, images: readonly number[]): void {
    for (const image of images) {
      if (image < this.#pushedUpTo[p]!) this.#pushedUpTo[p] = image;
      if (image < this.#cursor[p]!) this.#cursor[p] = image;
    }
  }

  onPrinterUp(_sim: SimContext, _p: number): void {}

  onWanChange(_sim: SimContext, _up: boolean): void {}

  stop(sim: SimContext): void {
    this.#stopped = true;
    for (let p = 0; p < sim.printers; p++) this.#cancelPush(sim, p);
  }

  #tick(sim: SimContext): void {
    if (this.#stopped || !sim.isWanUp()) return;
    const uploaded = sim.uploadedCount();
    for (let p = 0; p < sim.printers; p++) {
      if (!sim.isPrinterUp(p)) continue;
      const sent: number[] = [];
      for (let i = this.#pushedUpTo[p]!; i < uploaded; i++) {
        if (sim.state(p, i) !== MISSING) continue;
        sim.setState(p, i, IN_BACKGROUND);
        sent.push(i);
      }
      this.#pushedUpTo[p] = uploaded;
      if (sent.length === 0) continue;
      if (sim.tracing) sim.trace({ kind: 'push', printer: p, images: sent, source: 'cloud' });
      if (!this.#push[p]) this.#push[p] = sim.startWanFlow(p, this.#sources[p]!, 'push');
    }
  }

  #source(sim: SimContext, p: number): FlowSource {
    return {
      next: (flow) => {
        while (this.#cursor[p]! < this.#pushedUpTo[p]!) {
          const i = this.#cursor[p]!++;
          if (sim.state(p, i) === IN_BACKGROUND) {
            flow.load(i, sim.workload.imageBytes[i]!);
            return true;
          }
        }
        return false;
      },
      delivered: () => {},
      ended: () => {
        this.#push[p] = null;
      },
    };
  }

  /** Stops the push; what it had not delivered goes back to "not delivered". */
  #cancelPush(sim: SimContext, p: number): void {
    const flow = this.#push[p];
    if (!flow) return;
    this.#push[p] = null;
    const inFlight = sim.network.cancel(flow, sim.now);
    let from = this.#cursor[p]!;
    if (inFlight >= 0 && sim.state(p, inFlight) === IN_BACKGROUND) {
      sim.setState(p, inFlight, MISSING);
      from = Math.min(from, inFlight);
    }
    for (let i = this.#cursor[p]!; i < this.#pushedUpTo[p]!; i++) {
      if (sim.state(p, i) === IN_BACKGROUND) sim.setState(p, i, MISSING);
    }
    this.#cursor[p] = from;
    this.#pushedUpTo[p] = from;
  }
}
