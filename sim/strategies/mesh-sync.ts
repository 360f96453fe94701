/**
 * The mesh's background sync, one cycle at a time per printer, as edge-node/mesh/
 * background-replicator.ts runs it, with the same shared code:
 *  - when: `nextSyncAt` / `isSyncAllowed` (schedule.ts) from the last run; a printer also wakes at
 *    its next feed poll after an upload (the node's refresh → replicator.wake());
 *  - what from where: `planSyncCycle` (sync-planner.ts), the edge node's own planner, over the
 *    images the printer lacks: a LAN holder → LAN; its own share (`MeshShares`, responsibility.ts)
 *    → cloud; someone else's share → later, then the cloud once `backgroundLanDeadlineMs` has
 *    passed since the image appeared;
 *  - in which order: the cloud phase first (own share, upload order), then the LAN phase in
 *    `backgroundOrder` (fetch-order.ts: random-first, then rarest-first by holders);
 *  - yielding: a background flow is paused whenever `backgroundMayRun` (priority.ts) says a fan's
 *    fetch is queued or running at that printer;
 *  - caps: an optional `TokenBucket` per printer (token-bucket.ts), as the node's
 *    backgroundBytesPerSec, with the planner's window as its burst.
 * Simplification: the planner's `later` images wait for the next cycle (the node also asks the LAN
 * for them and gives up after LAN_BATCH_STALL_MS: nobody announced them, so nobody sends them).
 */
import { backgroundOrder } from '../../shared/policy/fetch-order.ts';
import type { Rng } from '../../shared/policy/prng.ts';
import { isSyncAllowed, nextSyncAt, type SyncSchedule } from '../../shared/policy/schedule.ts';
import type { SourceConfig } from '../../shared/policy/source-choice.ts';
import {
  BACKGROUND_WINDOW_BYTES,
  planSyncCycle,
  type SyncPlan,
  type SyncUnit,
} from '../../shared/policy/sync-planner.ts';
import { TokenBucket } from '../../shared/policy/token-bucket.ts';
import type { Flow } from '../model/network.ts';
import type { UploadBatch } from '../model/workload.ts';
import { meshSyncSchedule } from '../scenario.ts';
import { ImageQueue } from './image-queue.ts';
import type { MeshShares } from './mesh-shares.ts';
import { IN_BACKGROUND, MISSING, type SimContext } from './strategy.ts';

/** Sees every plan a printer makes (the parity test compares them with the edge node's). */
export type PlanObserver = (printer: number, plan: SyncPlan) => void;

const IDLE = 0;
const CLOUD_PHASE = 1;
const LAN_PHASE = 2;

export class MeshSync {
  readonly #sim: SimContext;
  readonly #shares: MeshShares;
  readonly #mayRun: (p: number) => boolean;
  readonly #schedule: SyncSchedule;
  readonly #sourceCfg: SourceConfig;
  readonly #startMs: number;
  readonly #want: number[][];
  readonly #phase: Uint8Array;
  readonly #gen: Int32Array;
  readonly #lastRunMs: Float64Array;
  readonly #pollPhase: Float64Array;
  readonly #flow: Array<Flow | null>;
  readonly #queue: Array<ImageQueue | null>;
  readonly #lanPlan: Array<number[] | null>;
  readonly #rngs: Rng[];
  readonly #buckets: Array<TokenBucket | null>;
  readonly #onPlan: PlanObserver | undefined;
  #stopped = false;

  /** When a printer of the venue last got a photo from the cloud (the owners' progress). */
  #venueProgressS = 0;

  constructor(
    sim: SimContext,
    shares: MeshShares,
    sourceCfg: SourceConfig,
    mayRun: (p: number) => boolean,
    onPlan?: PlanObserver,
  ) {
    const cfg = sim.scenario.strategies.mesh;
    this.#onPlan = onPlan;
    const n = sim.printers;
    this.#sim = sim;
    this.#shares = shares;
    this.#mayRun = mayRun;
    this.#sourceCfg = sourceCfg;
    this.#schedule = meshSyncSchedule(cfg);
    this.#startMs = Date.parse(sim.scenario.startsAtUtc);
    this.#want = Array.from({ length: n }, () => []);
    this.#phase = new Uint8Array(n);
    this.#gen = new Int32Array(n);
    this.#lastRunMs = new Float64Array(n).fill(Number.NaN);
    this.#flow = new Array<Flow | null>(n).fill(null);
    this.#queue = new Array<ImageQueue | null>(n).fill(null);
    this.#lanPlan = new Array<number[] | null>(n).fill(null);
    this.#rngs = Array.from({ length: n }, (_, p) => sim.rng(`printer-${p}`));
    const boot = sim.rng('boot');
    // Printers boot and poll the coordinator at unrelated moments: random phases, fixed per seed.
    this.#pollPhase = Float64Array.from({ length: n }, () => boot.next() * cfg.feedPollS);
    const capBytes = cfg.backgroundCapMbps === undefined ? 0 : cfg.backgroundCapMbps * 125_000;
    this.#buckets = Array.from({ length: n }, () =>
      capBytes > 0
        ? new TokenBucket({ rateBytesPerSec: capBytes, burstBytes: BACKGROUND_WINDOW_BYTES, now: this.#startMs })
        : null,
    );
    for (let p = 0; p < n; p++) this.#scheduleCycle(p, boot.next() * cfg.syncIntervalS);
  }

  /** The background flow currently moving images to `p` (a fan's fetch may take its image over). */
  current(p: number): Flow | null {
    return this.#flow[p] ?? null;
  }

  onUpload(batch: UploadBatch): void {
    const poll = this.#sim.scenario.strategies.mesh.feedPollS;
    const now = this.#sim.now;
    for (let p = 0; p < this.#sim.printers; p++) {
      const want = this.#want[p]!;
      for (let i = batch.first; i < batch.first + batch.count; i++) want.push(i);
      const phase = this.#pollPhase[p]!;
      const nextPoll = phase + Math.ceil((now - phase) / poll) * poll;
      this.#sim.at(nextPoll, () => this.#wake(p));
    }
  }

  /** Images that went back to MISSING (a fan's fetch gave up, a flow was cancelled). */
  requeue(p: number, images: readonly number[]): void {
    for (const i of images) this.#want[p]!.push(i);
  }

  pause(p: number): void {
    const f = this.#flow[p];
    if (f) this.#sim.network.pause(f, this.#sim.now);
  }

  resume(p: number): void {
    const f = this.#flow[p];
    if (f && this.#mayRun(p)) this.#sim.network.resume(f);
  }

  printerDown(p: number): void {
    this.#cancel(p);
    this.#gen[p]!++;
  }

  printerUp(p: number): void {
    this.#lastRunMs[p] = Number.NaN;
    this.#scheduleCycle(p, this.#sim.now);
  }

  /** The WAN dropped: a cloud phase in progress gives up and the LAN phase starts. */
  wanDown(): void {
    for (let p = 0; p < this.#sim.printers; p++) {
      if (this.#phase[p] !== CLOUD_PHASE) continue;
      const f = this.#flow[p];
      const q = this.#queue[p];
      if (q) this.requeue(p, q.release(f ? this.#sim.network.cancel(f, this.#sim.now) : -1));
      this.#flow[p] = null;
      this.#queue[p] = null;
      this.#gen[p]!++;
      this.#lanPhase(p);
    }
  }

  stop(): void {
    this.#stopped = true;
    for (let p = 0; p < this.#sim.printers; p++) {
      this.#cancel(p);
      this.#gen[p]!++;
    }
  }

  #scheduleCycle(p: number, t: number): void {
    const g = ++this.#gen[p]!;
    this.#sim.at(t, () => {
      if (this.#gen[p] === g) this.#cycle(p);
    });
  }

  #wake(p: number): void {
    if (this.#stopped || this.#phase[p] !== IDLE || !this.#sim.isPrinterUp(p)) return;
    this.#lastRunMs[p] = Number.NaN; // the node's wake(): run now, not an interval after the last run
    this.#scheduleCycle(p, this.#sim.now);
  }

  #toS(ms: number): number {
    return (ms - this.#startMs) / 1000;
  }

  #cycle(p: number): void {
    const sim = this.#sim;
    if (this.#stopped || !sim.isPrinterUp(p) || this.#phase[p] !== IDLE) return;
    const nowMs = this.#startMs + sim.now * 1000;
    const last = Number.isNaN(this.#lastRunMs[p]!) ? null : this.#lastRunMs[p]!;
    if (!isSyncAllowed(this.#schedule, nowMs)) {
      const due = nextSyncAt(this.#schedule, last, nowMs);
      if (due !== Number.POSITIVE_INFINITY) this.#scheduleCycle(p, Math.max(sim.now, this.#toS(due)));
      return;
    }
    this.#lastRunMs[p] = nowMs;
    const upSince = sim.wanUpSince();
    const units: SyncUnit[] = [];
    for (const i of this.#want[p]!) {
      if (sim.state(p, i) !== MISSING) continue;
      units.push({
        id: i,
        ownedByMe: this.#shares.owner(i) === p,
        lanHolders: sim.onlineHolders(i),
        missingSinceMs: sim.workload.uploadAt[i]! * 1000,
      });
    }
    // Times in ms since the run began: the planner only compares them.
    const plan = planSyncCycle({
      mode: 'mesh',
      units,
      lanPeers: this.#shares.online() - 1,
      cloudReachableSinceMs: upSince === null ? null : upSince * 1000,
      progressAtMs: this.#venueProgressS * 1000,
      nowMs: sim.now * 1000,
      source: this.#sourceCfg,
    });
    this.#onPlan?.(p, plan);
    const { cloud, lan, later: keep } = plan;
    this.#want[p] = keep;
    this.#lanPlan[p] = lan;
    if (cloud.length === 0) {
      this.#lanPhase(p);
      return;
    }
    this.#phase[p] = CLOUD_PHASE;
    const queue = this.#newQueue(p, cloud, () => this.#lanPhase(p));
    if (sim.tracing) sim.trace({ kind: 'cloud-pull', printer: p, images: queue.images(), source: 'cloud' });
    this.#startAfter(p, sim.wanRttS, queue, 'wan');
  }

  #lanPhase(p: number): void {
    const sim = this.#sim;
    const plan = (this.#lanPlan[p] ?? []).filter((i) => sim.state(p, i) === MISSING);
    this.#lanPlan[p] = null;
    if (plan.length === 0 || this.#stopped) {
      this.#endCycle(p);
      return;
    }
    this.#phase[p] = LAN_PHASE;
    const candidates = plan.map((i) => ({ seq: i, holders: sim.onlineHolders(i) }));
    const order = backgroundOrder({ candidates, held: sim.heldCount(p), rng: this.#rngs[p]! });
    const queue = this.#newQueue(p, order, () => this.#endCycle(p));
    if (sim.tracing) sim.trace({ kind: 'lan-fetch', printer: p, images: queue.images(), source: 'lan' });
    this.#startAfter(p, sim.lanRttS, queue, 'lan');
  }

  #newQueue(p: number, images: number[], then: () => void): ImageQueue {
    const fromCloud = this.#phase[p] === CLOUD_PHASE;
    const queue = new ImageQueue(this.#sim, p, IN_BACKGROUND, {
      delivered: (_image, t) => {
        if (fromCloud) this.#venueProgressS = t;
      },
      ended: () => {
        this.#flow[p] = null;
        this.#queue[p] = null;
        then();
      },
    });
    for (const i of images) queue.add(i);
    this.#queue[p] = queue;
    return queue;
  }

  /** The request takes one round trip before bytes flow. */
  #startAfter(p: number, delayS: number, queue: ImageQueue, kind: 'wan' | 'lan'): void {
    const sim = this.#sim;
    const g = this.#gen[p]!;
    sim.at(sim.now + delayS, () => {
      if (this.#gen[p] !== g || this.#queue[p] !== queue) return;
      const bucket = this.#buckets[p];
      let cap = Number.POSITIVE_INFINITY;
      if (bucket) {
        let bytes = 0;
        for (const i of queue.images()) bytes += sim.workload.imageBytes[i]!;
        // The bucket says how long these bytes must take at the cap (after its burst): their mean rate.
        const waitMs = bucket.take(bytes, this.#startMs + sim.now * 1000);
        if (waitMs > 0) cap = bytes / (waitMs / 1000);
      }
      const flow =
        kind === 'wan' ? sim.startWanFlow(p, queue, 'background', cap) : sim.startLanFlow(p, queue, 'background', cap);
      if (!flow) {
        // Nothing of the queue was still to move (a fan's fetch took it all): give back any claim.
        this.requeue(p, queue.release(-1));
        this.#queue[p] = null;
        if (this.#phase[p] === CLOUD_PHASE) this.#lanPhase(p);
        else this.#endCycle(p);
        return;
      }
      this.#flow[p] = flow;
      if (!this.#mayRun(p)) sim.network.pause(flow, sim.now);
    });
  }

  #endCycle(p: number): void {
    this.#phase[p] = IDLE;
    if (this.#stopped) return;
    const nowMs = this.#startMs + this.#sim.now * 1000;
    const last = Number.isNaN(this.#lastRunMs[p]!) ? null : this.#lastRunMs[p]!;
    const due = nextSyncAt(this.#schedule, last, nowMs);
    if (due !== Number.POSITIVE_INFINITY) this.#scheduleCycle(p, Math.max(this.#sim.now, this.#toS(due)));
  }

  /** Stops the printer's background work; what it had not fetched is wanted again. */
  #cancel(p: number): void {
    const f = this.#flow[p];
    const q = this.#queue[p];
    if (q) this.requeue(p, q.release(f ? this.#sim.network.cancel(f, this.#sim.now) : -1));
    const plan = this.#lanPlan[p];
    if (plan) this.requeue(p, plan);
    this.#flow[p] = null;
    this.#queue[p] = null;
    this.#lanPlan[p] = null;
    this.#phase[p] = IDLE;
  }
}
