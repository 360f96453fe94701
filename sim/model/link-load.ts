/**
 * Running per-link load of the enabled flows (Σ weights, count), and the link with the lowest fair
 * level capacity ÷ Σ weights, kept in a heap. It lets the network skip the full max-min solve in
 * the common case where one link — the WAN under a star push, the Wi-Fi channel — is crossed by
 * every flow: then that link is the first to saturate, every flow freezes there at the same rate,
 * and the solution is that one number.
 */
import { type HeapItem, IndexedHeap } from './event-queue.ts';
import { MAX_LINKS_PER_FLOW } from './max-min.ts';

class LinkEntry implements HeapItem {
  readonly id: number;
  heapKey = Number.POSITIVE_INFINITY;
  heapIndex = -1;

  constructor(id: number) {
    this.id = id;
  }
}

export interface LoadedFlow {
  readonly links: Int32Array;
  readonly weights: Float64Array;
  readonly cap: number;
}

export class LinkLoad {
  enabledFlows = 0;
  cappedFlows = 0;
  readonly #capacity: Float64Array;
  readonly #weight: Float64Array;
  readonly #count: Int32Array;
  readonly #entries: LinkEntry[];
  readonly #heap = new IndexedHeap<LinkEntry>();

  constructor(capacity: Float64Array) {
    this.#capacity = capacity;
    this.#weight = new Float64Array(capacity.length);
    this.#count = new Int32Array(capacity.length);
    this.#entries = Array.from({ length: capacity.length }, (_, l) => new LinkEntry(l));
  }

  /** sign +1: the flow now counts (started, resumed); −1: it no longer does (paused, ended). */
  add(flow: LoadedFlow, sign: 1 | -1): void {
    this.enabledFlows += sign;
    if (flow.cap < Number.POSITIVE_INFINITY) this.cappedFlows += sign;
    for (let k = 0; k < MAX_LINKS_PER_FLOW; k++) {
      const l = flow.links[k]!;
      if (l < 0) continue;
      this.#count[l]! += sign;
      // Exact zero when empty, so rounding never leaves a phantom load behind.
      this.#weight[l] = this.#count[l] === 0 ? 0 : this.#weight[l]! + sign * flow.weights[k]!;
      this.refresh(l);
    }
  }

  /** Re-keys a link after its load or capacity changed. */
  refresh(l: number): void {
    const e = this.#entries[l]!;
    if (this.#count[l] === 0) this.#heap.remove(e);
    else this.#heap.set(e, Math.max(0, this.#capacity[l]!) / this.#weight[l]!);
  }

  /** The link every enabled flow crosses and saturates first, or −1 when there is no such link. */
  commonBottleneck(): number {
    if (this.cappedFlows > 0 || this.enabledFlows === 0) return -1;
    const top = this.#heap.peek();
    if (!top || this.#count[top.id] !== this.enabledFlows || top.heapKey === Number.POSITIVE_INFINITY) return -1;
    return top.id;
  }

  /** The rate of every flow when `commonBottleneck()` is `l`. */
  level(l: number): number {
    return this.#entries[l]!.heapKey;
  }
}
