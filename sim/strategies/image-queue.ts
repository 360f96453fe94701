/**
 * A flow source over a list of images for one printer: each item is carried only while the printer's
 * state for it is still `claim`, so an item another transfer took over (e.g. a fan's fetch taking an
 * image from background sync) is skipped without touching the queue.
 */
import type { Flow, FlowSource } from '../model/network.ts';
import { MISSING, type SimContext } from './strategy.ts';

export interface ImageQueueHooks {
  delivered?: (image: number, t: number) => void;
  ended?: (flow: Flow, t: number) => void;
  /** See FlowSource.holdBack: true keeps the moved image from being held now. */
  holdBack?: (image: number, t: number) => boolean;
}

export class ImageQueue implements FlowSource {
  readonly printer: number;
  readonly claim: number;
  readonly #sim: SimContext;
  readonly #items: number[] = [];
  readonly #bytes: number[] = [];
  readonly #hooks: ImageQueueHooks;
  #pos = 0;

  constructor(sim: SimContext, printer: number, claim: number, hooks: ImageQueueHooks = {}) {
    this.#sim = sim;
    this.printer = printer;
    this.claim = claim;
    this.#hooks = hooks;
  }

  /** Queues an image (all of it, or only `bytes` when another transfer already moved the rest). */
  add(image: number, bytes = this.#sim.workload.imageBytes[image]!): void {
    this.#sim.setState(this.printer, image, this.claim);
    this.#items.push(image);
    this.#bytes.push(bytes);
  }

  get length(): number {
    return this.#items.length;
  }

  images(): number[] {
    return this.#items.slice();
  }

  next(flow: Flow): boolean {
    while (this.#pos < this.#items.length) {
      const k = this.#pos++;
      const image = this.#items[k]!;
      if (this.#sim.state(this.printer, image) === this.claim) {
        flow.load(image, this.#bytes[k]!);
        return true;
      }
    }
    return false;
  }

  delivered(_flow: Flow, image: number, t: number): void {
    this.#hooks.delivered?.(image, t);
  }

  ended(flow: Flow, t: number): void {
    this.#hooks.ended?.(flow, t);
  }

  holdBack(_flow: Flow, image: number, t: number): boolean {
    return this.#hooks.holdBack?.(image, t) ?? false;
  }

  /**
   * Gives back what was not delivered (after a cancel): the in-flight image and every queued one
   * still claimed go back to MISSING; returns them.
   */
  release(inFlight: number): number[] {
    const back: number[] = [];
    const give = (image: number) => {
      if (image >= 0 && this.#sim.state(this.printer, image) === this.claim) {
        this.#sim.setState(this.printer, image, MISSING);
        back.push(image);
      }
    };
    give(inFlight);
    for (let k = this.#pos; k < this.#items.length; k++) give(this.#items[k]!);
    this.#pos = this.#items.length;
    return back;
  }
}
