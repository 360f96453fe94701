/**
 * `on-demand`: no prefetch at all. A fan's code is looked up at the cloud (one WAN round trip,
 * impossible while the WAN is down) and the images the printer does not hold are sent in the
 * answer, over the WAN. Printers keep what they printed.
 */
import type { Flow } from '../model/network.ts';
import type { UploadBatch } from '../model/workload.ts';
import { ImageQueue } from './image-queue.ts';
import { IN_BACKGROUND, MISSING, ON_DEMAND, type SimContext, type Strategy } from './strategy.ts';

/** Fans' fetches from the cloud, shared by `on-demand` and `star-periodic`. */
export class CloudFanFetches {
  readonly #flows: Array<Set<Flow>>;
  readonly #queues = new Map<Flow, ImageQueue>();

  constructor(printers: number) {
    this.#flows = Array.from({ length: printers }, () => new Set());
  }

  /**
   * One flow with every image the fan lacks, as the patent's server sends them with the order
   * details. An image a background flow is moving right now is taken over for its remaining bytes.
   */
  fetch(sim: SimContext, p: number, images: readonly number[], background: Flow | null): void {
    const queue = new ImageQueue(sim, p, ON_DEMAND, {
      ended: (flow) => {
        this.#flows[p]!.delete(flow);
        this.#queues.delete(flow);
      },
    });
    for (const image of images) {
      const st = sim.state(p, image);
      if (st !== MISSING && st !== IN_BACKGROUND) continue;
      let bytes = sim.workload.imageBytes[image]!;
      if (st === IN_BACKGROUND && background?.image === image) bytes = sim.network.takeCurrent(background, sim.now);
      queue.add(image, bytes);
    }
    if (queue.length === 0) return;
    if (sim.tracing) sim.trace({ kind: 'on-demand', printer: p, images: queue.images(), source: 'cloud' });
    const flow = sim.startWanFlow(p, queue, 'on-demand');
    if (flow) {
      this.#flows[p]!.add(flow);
      this.#queues.set(flow, queue);
    }
  }

  /** The fan left: these images are no longer wanted; returns those that went back to MISSING. */
  abandon(sim: SimContext, p: number, images: readonly number[]): number[] {
    const back: number[] = [];
    for (const image of images) {
      if (sim.state(p, image) !== ON_DEMAND) continue;
      sim.setState(p, image, MISSING);
      back.push(image);
    }
    // Each flow skips items no longer claimed; one carrying such an image now drops its remainder.
    for (const flow of [...this.#flows[p]!]) {
      if (flow.image >= 0 && sim.state(p, flow.image) === MISSING) sim.network.takeCurrent(flow, sim.now);
    }
    return back;
  }

  /** Cancels the printer's fetches; returns the images that went back to MISSING. */
  cancelAll(sim: SimContext, p: number): number[] {
    const back: number[] = [];
    for (const flow of [...this.#flows[p]!]) {
      const inFlight = sim.network.cancel(flow, sim.now);
      back.push(...(this.#queues.get(flow)?.release(inFlight) ?? []));
      this.#queues.delete(flow);
    }
    this.#flows[p]!.clear();
    return back;
  }
}

export class OnDemandStrategy implements Strategy {
  readonly name = 'on-demand';
  readonly redemptionNeedsWan = true;
  #fetches: CloudFanFetches | null = null;

  start(sim: SimContext): void {
    this.#fetches = new CloudFanFetches(sim.printers);
  }

  onUpload(_sim: SimContext, _batch: UploadBatch): void {}

  fetchForFan(sim: SimContext, p: number, images: readonly number[]): void {
    this.#fetches!.fetch(sim, p, images, null);
  }

  abandon(sim: SimContext, p: number, images: readonly number[]): void {
    this.#fetches!.abandon(sim, p, images);
  }

  onPrinterDown(sim: SimContext, p: number): void {
    this.#fetches!.cancelAll(sim, p);
  }

  onPrinterUp(_sim: SimContext, _p: number): void {}

  onWanChange(_sim: SimContext, _up: boolean): void {}

  stop(_sim: SimContext): void {}
}
