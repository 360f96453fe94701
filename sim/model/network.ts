/**
 * Flow-level network: transfers are fluids whose rates are max-min fair over the links they cross
 * (max-min.ts), recomputed only when a flow starts, ends, pauses or resumes, or a capacity changes.
 *
 * A flow carries a sequence of items (images); each item's end is a milestone, the moment the
 * receiving printer holds that image. To keep rate changes cheap, flows frozen by the same
 * bottleneck share one rate and are kept in a *rate group* with a virtual clock V (bytes each
 * member has moved since the group's origin): a flow that joins at V₀ with b bytes left in its item
 * reaches its milestone when V = V₀ + b. A rate change then re-keys one group, not every flow in
 * it — the generalised-processor-sharing virtual-time trick. With 500 printers all pulled through
 * one WAN, a fan's fetch starting or ending costs one solve and one group update, not 500 updates.
 */
import { IndexedHeap } from './event-queue.ts';
import { Flow, type FlowSpec, RateGroup } from './flow.ts';
import { LinkLoad } from './link-load.ts';
import { CAP_BOTTLENECK, MAX_LINKS_PER_FLOW, MaxMinSolver } from './max-min.ts';

export type { Flow, FlowKind, FlowSource, FlowSpec } from './flow.ts';

export class Network {
  readonly capacity: Float64Array;
  readonly bytes = { wan: 0, lan: 0 };
  dirty = false;
  /** Full max-min solves, and solves answered by the one-common-bottleneck shortcut. */
  solves = 0;
  fastSolves = 0;
  readonly #load: LinkLoad;
  /** The link of the last shortcut solution (every placed flow is in its group), else -1. */
  #fastLink = -1;
  /** Flows enabled since the last solve, not yet placed in a group. */
  readonly #unplaced: Flow[] = [];
  readonly #flows: Flow[] = [];
  readonly #linkGroups: Array<RateGroup | undefined>;
  readonly #capGroups = new Map<number, RateGroup>();
  readonly #groups = new IndexedHeap<RateGroup>();
  readonly #solver = new MaxMinSolver();
  #nextFlowId = 0;
  #nextGroupId = 0;
  // The solver's input, one slot per entry of #flows (kept in step with it).
  #flowLinks = new Int32Array(0);
  #flowWeights = new Float64Array(0);
  #flowCap = new Float64Array(0);
  #flowEnabled = new Uint8Array(0);
  #rates = new Float64Array(0);
  #bottlenecks = new Int32Array(0);

  constructor(capacityBytesPerSec: ArrayLike<number>) {
    this.capacity = Float64Array.from(capacityBytesPerSec);
    this.#linkGroups = new Array(this.capacity.length);
    this.#load = new LinkLoad(this.capacity);
  }

  get activeFlows(): number {
    return this.#flows.length;
  }

  /** A new flow with its first item loaded, or null when its source has nothing to carry. */
  start(spec: FlowSpec): Flow | null {
    const flow = new Flow(this.#nextFlowId++, spec);
    if (!flow.source.next(flow)) return null;
    flow.listIndex = this.#flows.length;
    this.#flows.push(flow);
    this.#ensure(this.#flows.length);
    this.#writeSlot(flow);
    this.#load.add(flow, 1);
    this.#unplaced.push(flow);
    this.dirty = true;
    return flow;
  }

  setCapacity(link: number, bytesPerSec: number): void {
    if (this.capacity[link] === bytesPerSec) return;
    this.capacity[link] = bytesPerSec;
    this.#load.refresh(link);
    this.dirty = true;
  }

  /** Bytes of the current item the flow has moved by `now`. */
  progress(flow: Flow, now: number): number {
    const g = flow.group;
    if (!g) return flow.doneInItem;
    return Math.min(flow.itemBytes, flow.doneInItem + g.v + g.rate * Math.max(0, now - g.t0) - flow.vJoin);
  }

  pause(flow: Flow, now: number): void {
    if (!flow.active || flow.paused) return;
    this.#leave(flow, now);
    flow.paused = true;
    this.#flowEnabled[flow.listIndex] = 0;
    this.#load.add(flow, -1);
    this.dirty = true;
    this.#refreshTouched();
  }

  resume(flow: Flow): void {
    if (!flow.active || !flow.paused) return;
    flow.paused = false;
    this.#flowEnabled[flow.listIndex] = 1;
    this.#load.add(flow, 1);
    this.#unplaced.push(flow);
    this.dirty = true;
  }

  /** Stops the flow; returns the image it was carrying (partly moved bytes stay counted), or -1. */
  cancel(flow: Flow, now: number): number {
    if (!flow.active) return -1;
    this.#leave(flow, now);
    this.#account(flow, flow.doneInItem);
    this.#detach(flow);
    this.#refreshTouched();
    return flow.image;
  }

  /**
   * Hands the current item over to another transfer (a fan's fetch takes it from background sync):
   * returns the bytes still missing; the flow moves on to its next item or ends.
   */
  takeCurrent(flow: Flow, now: number): number {
    const g = flow.group;
    const done = this.progress(flow, now);
    this.#account(flow, done);
    const left = Math.max(0, flow.itemBytes - done);
    if (g) {
      g.settle(now);
      g.flows.remove(flow);
      this.#touch(g);
    }
    if (flow.source.next(flow)) {
      if (g) this.#insert(g, flow);
    } else {
      flow.group = null;
      this.#detach(flow);
      this.#refreshTouched();
      flow.source.ended(flow, now);
      return left;
    }
    this.#refreshTouched();
    return left;
  }

  /** When the next milestone falls (+Infinity when none can). */
  nextTime(): number {
    return this.#groups.peekKey();
  }

  /** Processes the earliest milestone; call with `now === nextTime()`. */
  step(now: number): void {
    const g = this.#groups.peek();
    if (!g) return;
    g.settle(now);
    const flow = g.flows.pop()!;
    this.#account(flow, flow.itemBytes);
    const image = flow.image;
    flow.image = -1;
    const ended = !flow.source.next(flow);
    if (ended) {
      flow.group = null;
      this.#detach(flow);
    } else {
      this.#insert(g, flow);
    }
    this.#touch(g);
    this.#refreshTouched();
    flow.source.delivered(flow, image, now);
    if (ended) flow.source.ended(flow, now);
  }

  /** Re-solves the rates if anything changed since the last solve. */
  recompute(now: number): void {
    if (!this.dirty) return;
    this.dirty = false;
    const common = this.#load.commonBottleneck();
    if (common >= 0) this.#solveCommon(now, common);
    else this.#solveAll(now);
    this.#unplaced.length = 0;
    this.#refreshTouched();
  }

  /** Every enabled flow crosses `link` and it saturates first: they all get its fair level. */
  #solveCommon(now: number, link: number): void {
    this.fastSolves++;
    const g = this.#linkGroup(link);
    const place = (f: Flow) => {
      if (!f.active || f.paused || f.group === g) return;
      this.#leave(f, now);
      g.settle(now);
      this.#insertFresh(g, f, now);
    };
    if (this.#fastLink === link) for (const f of this.#unplaced) place(f);
    else for (const f of this.#flows) place(f);
    this.#fastLink = link;
    const rate = this.#load.level(link);
    if (g.rate !== rate) {
      g.settle(now);
      g.rate = rate;
      this.#touch(g);
    }
  }

  #solveAll(now: number): void {
    this.solves++;
    this.#fastLink = -1;
    const flows = this.#flows;
    const F = flows.length;
    this.#solver.solve(
      {
        linkCapacity: this.capacity,
        flowCount: F,
        flowLinks: this.#flowLinks,
        flowWeights: this.#flowWeights,
        flowCap: this.#flowCap,
        flowEnabled: this.#flowEnabled,
      },
      this.#rates,
      this.#bottlenecks,
    );
    for (let i = 0; i < F; i++) {
      const f = flows[i]!;
      if (f.paused) continue;
      const b = this.#bottlenecks[i]!;
      const target = b === CAP_BOTTLENECK ? this.#capGroup(f) : this.#linkGroup(b);
      if (f.group !== target) {
        this.#leave(f, now);
        target.settle(now);
        this.#insertFresh(target, f, now);
      }
      const rate = this.#rates[i]!;
      if (target.rate !== rate) {
        target.settle(now);
        target.rate = rate;
        this.#touch(target);
      }
    }
  }

  /** Adds every flow's partly moved bytes to the counters (end of run). */
  settleAll(now: number): void {
    for (const f of this.#flows) this.#account(f, this.progress(f, now));
  }

  #account(flow: Flow, done: number): void {
    const delta = done - flow.countedInItem;
    if (delta <= 0) return;
    flow.countedInItem = done;
    if (flow.kind === 'wan') this.bytes.wan += delta;
    else this.bytes.lan += delta;
  }

  #insert(g: RateGroup, flow: Flow): void {
    flow.vJoin = g.v;
    flow.doneInItem = 0;
    g.flows.set(flow, g.v + flow.itemBytes);
  }

  #insertFresh(g: RateGroup, flow: Flow, now: number): void {
    if (g.flows.size === 0) {
      g.v = 0;
      g.t0 = now;
    }
    flow.group = g;
    flow.vJoin = g.v;
    g.flows.set(flow, g.v + Math.max(0, flow.itemBytes - flow.doneInItem));
    this.#touch(g);
  }

  #leave(flow: Flow, now: number): void {
    const g = flow.group;
    if (!g) return;
    g.settle(now);
    flow.doneInItem = Math.min(flow.itemBytes, flow.doneInItem + g.v - flow.vJoin);
    g.flows.remove(flow);
    flow.group = null;
    this.#touch(g);
  }

  #detach(flow: Flow): void {
    if (!flow.paused) this.#load.add(flow, -1);
    flow.active = false;
    const i = flow.listIndex;
    const last = this.#flows.pop()!;
    if (last !== flow) {
      this.#flows[i] = last;
      last.listIndex = i;
      this.#writeSlot(last);
    }
    flow.listIndex = -1;
    this.dirty = true;
    const capGroup = this.#capGroups.get(flow.id);
    if (capGroup) {
      this.#capGroups.delete(flow.id);
      this.#groups.remove(capGroup);
    }
  }

  readonly #touched: RateGroup[] = [];

  #touch(g: RateGroup): void {
    if (g.touched) return;
    g.touched = true;
    this.#touched.push(g);
  }

  #refreshTouched(): void {
    for (const g of this.#touched) {
      g.touched = false;
      const t = g.nextMilestone();
      if (t === Number.POSITIVE_INFINITY) this.#groups.remove(g);
      else this.#groups.set(g, t);
    }
    this.#touched.length = 0;
  }

  #linkGroup(link: number): RateGroup {
    let g = this.#linkGroups[link];
    if (!g) {
      g = new RateGroup(this.#nextGroupId++);
      this.#linkGroups[link] = g;
    }
    return g;
  }

  #capGroup(flow: Flow): RateGroup {
    let g = this.#capGroups.get(flow.id);
    if (!g) {
      g = new RateGroup(this.#nextGroupId++);
      this.#capGroups.set(flow.id, g);
    }
    return g;
  }

  #writeSlot(flow: Flow): void {
    const i = flow.listIndex;
    const base = i * MAX_LINKS_PER_FLOW;
    for (let k = 0; k < MAX_LINKS_PER_FLOW; k++) {
      this.#flowLinks[base + k] = flow.links[k]!;
      this.#flowWeights[base + k] = flow.weights[k]!;
    }
    this.#flowCap[i] = flow.cap;
    this.#flowEnabled[i] = flow.paused ? 0 : 1;
  }

  #ensure(F: number): void {
    if (this.#flowCap.length >= F) return;
    const cap = Math.max(F, 2 * this.#flowCap.length, 64);
    const grow = <T extends Int32Array | Float64Array | Uint8Array>(old: T, make: (n: number) => T, per = 1): T => {
      const next = make(cap * per);
      next.set(old);
      return next;
    };
    this.#flowLinks = grow(this.#flowLinks, (n) => new Int32Array(n), MAX_LINKS_PER_FLOW);
    this.#flowWeights = grow(this.#flowWeights, (n) => new Float64Array(n), MAX_LINKS_PER_FLOW);
    this.#flowCap = grow(this.#flowCap, (n) => new Float64Array(n));
    this.#flowEnabled = grow(this.#flowEnabled, (n) => new Uint8Array(n));
    this.#rates = new Float64Array(cap);
    this.#bottlenecks = new Int32Array(cap);
  }
}
