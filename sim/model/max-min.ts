/**
 * Max-min fair rates by progressive filling (Bertsekas & Gallager, "Data Networks" §6.5.2).
 *
 * Every unfrozen flow's rate rises together; a link saturates when its frozen load plus the
 * unfrozen flows' weighted share reaches its capacity, and the flows crossing it freeze at that
 * level; a flow with its own cap freezes when the level reaches the cap. Weights let one link count
 * a flow more than once: on a shared Wi-Fi medium a printer-to-printer transfer relayed by the
 * access point uses the air twice (weight 2), a transfer from the WAN once.
 *
 * Cost per solve: O(L + F·k + (L + F) log(L + F)) with k ≤ MAX_LINKS_PER_FLOW, and it stops as
 * soon as every flow is frozen, so a venue where the WAN freezes everything in one step pays for
 * one heap pop. Buffers are reused between solves; the simulator solves only when a flow starts or
 * ends or a capacity changes.
 */

export const MAX_LINKS_PER_FLOW = 3;
/** `bottleneck` value for a flow frozen by its own cap rather than by a link. */
export const CAP_BOTTLENECK = -1;

export interface MaxMinInput {
  /** Capacity of each link, in bytes/s (0 = down: its flows get rate 0). */
  linkCapacity: ArrayLike<number>;
  flowCount: number;
  /** flowCount × MAX_LINKS_PER_FLOW link ids; −1 pads unused slots. */
  flowLinks: Int32Array;
  /** Same shape: link capacity used per unit of the flow's rate (> 0). */
  flowWeights: Float64Array;
  /** Per flow, +Infinity when uncapped. */
  flowCap: Float64Array;
  /** Per flow, 0 = ignore it (paused): rate 0, bottleneck NOT_SOLVED. Omitted = all enabled. */
  flowEnabled?: Uint8Array;
}

/** `bottleneck` value for a disabled flow. */
export const NOT_SOLVED = -2;

export class MaxMinSolver {
  #rem = new Float64Array(0);
  #wsum = new Float64Array(0);
  #unfrozenOnLink = new Int32Array(0);
  #linkStart = new Int32Array(0);
  #fill = new Int32Array(0);
  #linkFlows = new Int32Array(0);
  #frozen = new Uint8Array(0);
  #heapLevel = new Float64Array(0);
  #heapId = new Int32Array(0);
  #heapSize = 0;

  /** Writes each flow's rate and the link that froze it (CAP_BOTTLENECK for its cap). */
  solve(input: MaxMinInput, outRate: Float64Array, outBottleneck: Int32Array): void {
    const L = input.linkCapacity.length;
    const F = input.flowCount;
    this.#ensure(L, F);
    const rem = this.#rem;
    const wsum = this.#wsum;
    const count = this.#unfrozenOnLink;
    const frozen = this.#frozen;
    const { flowLinks, flowWeights, flowCap, flowEnabled } = input;
    const cap = input.linkCapacity;
    for (let l = 0; l < L; l++) {
      rem[l] = cap[l]!;
      wsum[l] = 0;
      count[l] = 0;
    }
    let unfrozen = 0;
    for (let f = 0; f < F; f++) {
      if (flowEnabled !== undefined && flowEnabled[f] === 0) {
        frozen[f] = 1;
        outRate[f] = 0;
        outBottleneck[f] = NOT_SOLVED;
        continue;
      }
      frozen[f] = 0;
      unfrozen++;
      let linked = false;
      const base = f * MAX_LINKS_PER_FLOW;
      for (let k = 0; k < MAX_LINKS_PER_FLOW; k++) {
        const l = flowLinks[base + k]!;
        if (l < 0) continue;
        const w = flowWeights[base + k]!;
        if (!(w > 0)) throw new RangeError(`flow ${f}: link weights must be > 0`);
        wsum[l]! += w;
        count[l]!++;
        linked = true;
      }
      if (!linked && !(flowCap[f]! < Number.POSITIVE_INFINITY)) {
        throw new RangeError(`flow ${f} crosses no link and has no cap: its rate would be infinite`);
      }
    }
    // Compressed adjacency: the enabled flows crossing each link.
    const start = this.#linkStart;
    const fill = this.#fill;
    start[0] = 0;
    for (let l = 0; l < L; l++) {
      start[l + 1] = start[l]! + count[l]!;
      fill[l] = start[l]!;
    }
    const linkFlows = this.#linkFlows;
    for (let f = 0; f < F; f++) {
      if (frozen[f] !== 0) continue;
      const base = f * MAX_LINKS_PER_FLOW;
      for (let k = 0; k < MAX_LINKS_PER_FLOW; k++) {
        const l = flowLinks[base + k]!;
        if (l >= 0) linkFlows[fill[l]!++] = f;
      }
    }
    this.#heapSize = 0;
    for (let l = 0; l < L; l++) if (count[l]! > 0) this.#append(Math.max(0, rem[l]!) / wsum[l]!, l);
    for (let f = 0; f < F; f++) {
      if (frozen[f] === 0 && flowCap[f]! < Number.POSITIVE_INFINITY) this.#append(flowCap[f]!, -1 - f);
    }
    for (let i = (this.#heapSize >> 1) - 1; i >= 0; i--) this.#down(i);

    while (unfrozen > 0 && this.#heapSize > 0) {
      const level = this.#heapLevel[0]!;
      const id = this.#heapId[0]!;
      this.#pop();
      if (id >= 0) {
        if (count[id]! <= 0) continue;
        // A stale entry: the link's level has risen since (levels only rise as flows freeze).
        if (level < Math.max(0, rem[id]!) / wsum[id]!) continue;
        const end = start[id + 1]!;
        for (let j = start[id]!; j < end; j++) {
          const f = linkFlows[j]!;
          if (frozen[f] === 0) {
            this.#freeze(input, f, level, id, outRate, outBottleneck);
            unfrozen--;
          }
        }
      } else {
        const f = -1 - id;
        if (frozen[f] !== 0) continue;
        this.#freeze(input, f, level, CAP_BOTTLENECK, outRate, outBottleneck);
        unfrozen--;
      }
    }
  }

  #freeze(input: MaxMinInput, f: number, rate: number, by: number, outRate: Float64Array, outB: Int32Array): void {
    const r = Math.max(0, rate);
    this.#frozen[f] = 1;
    outRate[f] = r;
    outB[f] = by;
    for (let k = 0; k < MAX_LINKS_PER_FLOW; k++) {
      const l = input.flowLinks[f * MAX_LINKS_PER_FLOW + k]!;
      if (l < 0) continue;
      const w = input.flowWeights[f * MAX_LINKS_PER_FLOW + k]!;
      this.#rem[l]! -= w * r;
      this.#wsum[l]! -= w;
      this.#unfrozenOnLink[l]!--;
      if (l !== by && this.#unfrozenOnLink[l]! > 0) {
        this.#push(Math.max(0, this.#rem[l]!) / Math.max(this.#wsum[l]!, Number.MIN_VALUE), l);
      }
    }
  }

  #ensure(L: number, F: number): void {
    if (this.#rem.length < L) {
      this.#rem = new Float64Array(L);
      this.#wsum = new Float64Array(L);
      this.#unfrozenOnLink = new Int32Array(L);
      this.#linkStart = new Int32Array(L + 1);
      this.#fill = new Int32Array(L);
    }
    if (this.#frozen.length < F) this.#frozen = new Uint8Array(Math.max(F, 2 * this.#frozen.length));
    const slots = F * MAX_LINKS_PER_FLOW;
    if (this.#linkFlows.length < slots) this.#linkFlows = new Int32Array(Math.max(slots, 2 * this.#linkFlows.length));
    // Initial entries (L + F) plus one re-push per frozen (flow, link) pair.
    const heapCap = L + F + slots + 1;
    if (this.#heapLevel.length < heapCap) {
      this.#heapLevel = new Float64Array(heapCap * 2);
      this.#heapId = new Int32Array(heapCap * 2);
    }
  }

  #less(a: number, b: number): boolean {
    const la = this.#heapLevel[a]!;
    const lb = this.#heapLevel[b]!;
    // Links (id ≥ 0) before caps at the same level, then by id: a fixed, history-free order.
    return la < lb || (la === lb && this.#heapId[a]! > this.#heapId[b]!);
  }

  #append(level: number, id: number): void {
    this.#heapLevel[this.#heapSize] = level;
    this.#heapId[this.#heapSize] = id;
    this.#heapSize++;
  }

  #push(level: number, id: number): void {
    let i = this.#heapSize;
    this.#append(level, id);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(i, p)) break;
      this.#swap(i, p);
      i = p;
    }
  }

  #pop(): void {
    this.#heapSize--;
    if (this.#heapSize === 0) return;
    this.#heapLevel[0] = this.#heapLevel[this.#heapSize]!;
    this.#heapId[0] = this.#heapId[this.#heapSize]!;
    this.#down(0);
  }

  #down(i: number): void {
    const n = this.#heapSize;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) return;
      let c = l;
      if (l + 1 < n && this.#less(l + 1, l)) c = l + 1;
      if (!this.#less(c, i)) return;
      this.#swap(c, i);
      i = c;
    }
  }

  #swap(a: number, b: number): void {
    const lv = this.#heapLevel[a]!;
    this.#heapLevel[a] = this.#heapLevel[b]!;
    this.#heapLevel[b] = lv;
    const id = this.#heapId[a]!;
    this.#heapId[a] = this.#heapId[b]!;
    this.#heapId[b] = id;
  }
}

/** Convenience for tests and one-off questions: rates of flows given as link lists. */
export function maxMinFairRates(
  linkCapacity: readonly number[],
  flows: ReadonlyArray<{ links: readonly number[]; weights?: readonly number[]; cap?: number }>,
): number[] {
  const F = flows.length;
  const flowLinks = new Int32Array(F * MAX_LINKS_PER_FLOW).fill(-1);
  const flowWeights = new Float64Array(F * MAX_LINKS_PER_FLOW);
  const flowCap = new Float64Array(F).fill(Number.POSITIVE_INFINITY);
  flows.forEach((flow, f) => {
    if (flow.links.length > MAX_LINKS_PER_FLOW)
      throw new RangeError(`a flow crosses at most ${MAX_LINKS_PER_FLOW} links`);
    flow.links.forEach((l, k) => {
      if (!(Number.isInteger(l) && l >= 0 && l < linkCapacity.length)) throw new RangeError(`unknown link ${l}`);
      flowLinks[f * MAX_LINKS_PER_FLOW + k] = l;
      flowWeights[f * MAX_LINKS_PER_FLOW + k] = flow.weights?.[k] ?? 1;
    });
    if (flow.cap !== undefined) flowCap[f] = flow.cap;
  });
  const rates = new Float64Array(F);
  new MaxMinSolver().solve({ linkCapacity, flowCount: F, flowLinks, flowWeights, flowCap }, rates, new Int32Array(F));
  return Array.from(rates);
}
