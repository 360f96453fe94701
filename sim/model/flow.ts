/**
 * A transfer in the flow-level network (network.ts): a sequence of items (images) moved at the rate
 * the max-min solver gives it, and the rate groups that share one rate and one virtual clock.
 */
import type { HeapItem } from './event-queue.ts';
import { IndexedHeap } from './event-queue.ts';
import { MAX_LINKS_PER_FLOW } from './max-min.ts';

export type FlowKind = 'wan' | 'lan';

/** What a flow carries next and whom it tells; implemented by the strategies. */
export interface FlowSource {
  /** Load the next item with `flow.load(image, bytes)` and return true, or return false when done. */
  next(flow: Flow): boolean;
  /** `image` is now whole at the receiver. The flow's state is consistent (next item loaded or ended). */
  delivered(flow: Flow, image: number, t: number): void;
  /** The flow ran out of items (not called on cancel). */
  ended(flow: Flow, t: number): void;
  /**
   * Optional: the flow has moved all of `image`, but the receiver cannot hold it yet (its blocks are
   * streamed from a peer that is itself still receiving them). Return true to keep it from being
   * held now; the strategy completes it later with SimContext.deliver.
   */
  holdBack?(flow: Flow, image: number, t: number): boolean;
}

export interface FlowSpec {
  printer: number;
  kind: FlowKind;
  links: readonly number[];
  weights: readonly number[];
  /** Bytes/s, +Infinity when uncapped. */
  cap: number;
  source: FlowSource;
  /** Strategy payload (e.g. 'push', 'on-demand'), never read by the network. */
  tag: string;
}

export class Flow implements HeapItem {
  readonly id: number;
  heapKey = 0;
  heapIndex = -1;
  readonly printer: number;
  readonly kind: FlowKind;
  readonly links: Int32Array;
  readonly weights: Float64Array;
  cap: number;
  readonly source: FlowSource;
  readonly tag: string;
  image = -1;
  itemBytes = 0;
  /** Bytes of the current item done when the flow joined its group. */
  doneInItem = 0;
  /** Bytes of the current item already added to the byte counters. */
  countedInItem = 0;
  group: RateGroup | null = null;
  vJoin = 0;
  paused = false;
  active = true;
  listIndex = -1;

  constructor(id: number, spec: FlowSpec) {
    this.id = id;
    this.printer = spec.printer;
    this.kind = spec.kind;
    this.cap = spec.cap;
    this.source = spec.source;
    this.tag = spec.tag;
    this.links = new Int32Array(MAX_LINKS_PER_FLOW).fill(-1);
    this.weights = new Float64Array(MAX_LINKS_PER_FLOW);
    spec.links.forEach((l, k) => {
      this.links[k] = l;
      this.weights[k] = spec.weights[k] ?? 1;
    });
  }

  load(image: number, bytes: number): void {
    this.image = image;
    this.itemBytes = bytes;
    this.doneInItem = 0;
    this.countedInItem = 0;
  }
}

export class RateGroup implements HeapItem {
  readonly id: number;
  heapKey = Number.POSITIVE_INFINITY;
  heapIndex = -1;
  rate = 0;
  v = 0;
  t0 = 0;
  readonly flows = new IndexedHeap<Flow>();
  touched = false;

  constructor(id: number) {
    this.id = id;
  }

  settle(now: number): void {
    if (now > this.t0) {
      this.v += this.rate * (now - this.t0);
      this.t0 = now;
    }
  }

  nextMilestone(): number {
    if (this.flows.size === 0 || !(this.rate > 0)) return Number.POSITIVE_INFINITY;
    return this.t0 + Math.max(0, this.flows.peekKey() - this.v) / this.rate;
  }
}
