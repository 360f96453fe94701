/**
 * The mesh's background sync in live, pipelined mode (`strategies.mesh.live`, the default), as the
 * edge node runs it: a printer starts replicating as soon as the feed grows, not at its next tick.
 *  - when: the feed's append reaches every printer one WAN round trip after the upload (Hypercore's
 *    live update); the tick (`syncIntervalS`, schedule.ts windows) remains for catch-up, the LAN
 *    deadline and the windows: nothing is planned while `isSyncAllowed` says no;
 *  - what from where: `planSyncCycle` (sync-planner.ts) with `live`: its own share → the cloud lane;
 *    a LAN holder, or someone else's share whose owner is online (and so fetching it now) → the LAN
 *    lane; the rest waits for the next tick (then the cloud after `backgroundLanDeadlineMs`);
 *  - pipelined (`lanes: "pipelined"`, the default): the two lanes run at the same time
 *    (`"sequential"`: a printer's LAN lane starts only once its cloud lane is empty, as the edge
 *    node's cycle does today).
 *    The LAN lane takes an image block by block from
 *    its owner while the owner is still receiving it; the fluid model moves the bytes and holds the
 *    image back (`FlowSource.holdBack`) until some printer of the venue holds it, then delivers it
 *    one LAN round trip per hop later (its last blocks still in flight): one hop on the full mesh,
 *    up to a few on the photo overlay of a large venue (photo-hops.ts). Only owners (or the
 *    deadline) send an image to the cloud, so each image crosses the WAN once;
 *  - order: the LAN lane in `backgroundOrder` (fetch-order.ts: random first, then rarest first);
 *  - yielding and caps as mesh-sync.ts: both lanes pause while a fan's fetch runs at the printer;
 *    a background cap (`backgroundCapMbps`) caps each lane at the bucket's rate, shared by the lanes.
 */
import { backgroundOrder } from '../../shared/policy/fetch-order.ts';
import type { Rng } from '../../shared/policy/prng.ts';
import { isSyncAllowed, nextSyncAt, type SyncSchedule } from '../../shared/policy/schedule.ts';
import type { SourceConfig } from '../../shared/policy/source-choice.ts';
import { planSyncCycle, type SyncUnit } from '../../shared/policy/sync-planner.ts';
import type { Flow } from '../model/network.ts';
import type { UploadBatch } from '../model/workload.ts';
import { meshSyncSchedule } from '../scenario.ts';
import { ImageQueue } from './image-queue.ts';
import type { MeshShares } from './mesh-shares.ts';
import type { PlanObserver } from './mesh-sync.ts';
import { PhotoHops } from './photo-hops.ts';
import { IN_BACKGROUND, MISSING, type SimContext } from './strategy.ts';

type LaneKind = 'wan' | 'lan';

/** One lane of one printer: an image queue and the flow carrying it (null between flows). */
class Lane {
  queue: ImageQueue | null = null;
  flow: Flow | null = null;
  starting = false;
}

export class MeshLiveSync {
  readonly #sim: SimContext;
  readonly #shares: MeshShares;
  readonly #mayRun: (p: number) => boolean;
  readonly #schedule: SyncSchedule;
  readonly #sourceCfg: SourceConfig;
  readonly #startMs: number;
  readonly #want: number[][];
  readonly #lanes: Array<{ wan: Lane; lan: Lane }>;
  readonly #tickGen: Int32Array;
  readonly #rngs: Rng[];
  readonly #capBytesPerSec: number;
  readonly #onPlan: PlanObserver | undefined;
  readonly #sequential: boolean;
  readonly #hops: PhotoHops;
  /** Per image: printers whose LAN lane moved it and wait for a venue copy to exist. */
  readonly #waiting = new Map<number, number[]>();
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
    const n = sim.printers;
    this.#sim = sim;
    this.#shares = shares;
    this.#mayRun = mayRun;
    this.#sourceCfg = sourceCfg;
    this.#onPlan = onPlan;
    this.#sequential = cfg.lanes === 'sequential';
    this.#hops = new PhotoHops(n, cfg.photoOverlayRings);
    this.#schedule = meshSyncSchedule(cfg);
    this.#startMs = Date.parse(sim.scenario.startsAtUtc);
    this.#want = Array.from({ length: n }, () => []);
    this.#lanes = Array.from({ length: n }, () => ({ wan: new Lane(), lan: new Lane() }));
    this.#tickGen = new Int32Array(n);
    this.#rngs = Array.from({ length: n }, (_, p) => sim.rng(`printer-${p}`));
    // The node's cap covers all its background bytes; with two lanes each gets half of it.
    this.#capBytesPerSec = cfg.backgroundCapMbps === undefined ? 0 : (cfg.backgroundCapMbps * 125_000) / 2;
    const boot = sim.rng('boot');
    for (let p = 0; p < n; p++) this.#scheduleTick(p, boot.next() * cfg.syncIntervalS);
  }

  /** The background flow carrying `image` to `p` right now, if any (a fan's fetch may take it over). */
  current(p: number, image?: number): Flow | null {
    const { wan, lan } = this.#lanes[p]!;
    if (image === undefined) return wan.flow ?? lan.flow;
    if (wan.flow?.image === image) return wan.flow;
    if (lan.flow?.image === image) return lan.flow;
    return null;
  }

  onUpload(batch: UploadBatch): void {
    const sim = this.#sim;
    for (let p = 0; p < sim.printers; p++) {
      const want = this.#want[p]!;
      for (let i = batch.first; i < batch.first + batch.count; i++) want.push(i);
    }
    // The append reaches the printers one WAN round trip later; all plan in that one event.
    sim.at(sim.now + sim.wanRttS, () => {
      for (let p = 0; p < sim.printers; p++) this.#plan(p);
    });
  }

  requeue(p: number, images: readonly number[]): void {
    for (const i of images) this.#want[p]!.push(i);
  }

  pause(p: number): void {
    const { wan, lan } = this.#lanes[p]!;
    if (wan.flow) this.#sim.network.pause(wan.flow, this.#sim.now);
    if (lan.flow) this.#sim.network.pause(lan.flow, this.#sim.now);
  }

  resume(p: number): void {
    if (!this.#mayRun(p)) return;
    const { wan, lan } = this.#lanes[p]!;
    if (wan.flow) this.#sim.network.resume(wan.flow);
    if (lan.flow) this.#sim.network.resume(lan.flow);
  }

  printerDown(p: number): void {
    this.#cancel(p, 'wan');
    this.#cancel(p, 'lan');
    this.#tickGen[p]!++;
    // What the down printer was waiting for is wanted again when it is back.
    for (const [image, waiting] of this.#waiting) {
      const k = waiting.indexOf(p);
      if (k < 0) continue;
      waiting.splice(k, 1);
      if (this.#sim.state(p, image) === IN_BACKGROUND) {
        this.#sim.setState(p, image, MISSING);
        this.#want[p]!.push(image);
      }
    }
    this.#releaseOrphans();
  }

  printerUp(p: number): void {
    this.#scheduleTick(p, this.#sim.now);
  }

  /** The WAN dropped: cloud lanes give their images back; LAN lanes go on with what the venue has. */
  wanDown(): void {
    for (let p = 0; p < this.#sim.printers; p++) this.#cancel(p, 'wan');
  }

  stop(): void {
    this.#stopped = true;
    for (let p = 0; p < this.#sim.printers; p++) {
      this.#cancel(p, 'wan');
      this.#cancel(p, 'lan');
      this.#tickGen[p]!++;
    }
    this.#releaseOrphans(true);
  }

  /**
   * A venue copy exists at `holder`: the printers streaming it get its last blocks one LAN round
   * trip per overlay hop later (each printer on the way relays them as it gets them).
   */
  onHeld(holder: number, image: number): void {
    const waiting = this.#waiting.get(image);
    if (!waiting) return;
    this.#waiting.delete(image);
    const sim = this.#sim;
    const byHops = new Map<number, number[]>();
    for (const q of waiting) {
      const hops = Math.max(1, this.#hops.between(holder, q));
      const group = byHops.get(hops);
      if (group) group.push(q);
      else byHops.set(hops, [q]);
    }
    for (const [hops, printers] of byHops) {
      sim.at(sim.now + hops * sim.lanRttS, () => {
        for (const q of printers) {
          // A fan's fetch may have taken the image over meanwhile (it is then ON_DEMAND): it delivers.
          if (sim.isPrinterUp(q) && sim.state(q, image) === IN_BACKGROUND) sim.deliver(q, image);
        }
      });
    }
  }

  #scheduleTick(p: number, t: number): void {
    const g = ++this.#tickGen[p]!;
    this.#sim.at(t, () => {
      if (this.#tickGen[p] === g) this.#tick(p);
    });
  }

  #toS(ms: number): number {
    return (ms - this.#startMs) / 1000;
  }

  #tick(p: number): void {
    const sim = this.#sim;
    if (this.#stopped || !sim.isPrinterUp(p)) return;
    const nowMs = this.#startMs + sim.now * 1000;
    this.#plan(p);
    const due = nextSyncAt(this.#schedule, isSyncAllowed(this.#schedule, nowMs) ? nowMs : null, nowMs);
    if (due !== Number.POSITIVE_INFINITY) this.#scheduleTick(p, Math.max(sim.now + 1e-9, this.#toS(due)));
  }

  #plan(p: number): void {
    const sim = this.#sim;
    if (this.#stopped || !sim.isPrinterUp(p)) return;
    if (!isSyncAllowed(this.#schedule, this.#startMs + sim.now * 1000)) return;
    const want = this.#want[p]!;
    if (want.length === 0) return;
    const upSince = sim.wanUpSince();
    const units: SyncUnit[] = [];
    const seen = new Set<number>();
    for (const i of want) {
      if (seen.has(i) || sim.state(p, i) !== MISSING) continue;
      seen.add(i);
      const owner = this.#shares.owner(i);
      units.push({
        id: i,
        ownedByMe: owner === p,
        lanHolders: sim.onlineHolders(i),
        missingSinceMs: sim.workload.uploadAt[i]! * 1000,
        ownerFetching: owner >= 0 && owner !== p,
      });
    }
    const plan = planSyncCycle({
      mode: 'mesh',
      live: true,
      units,
      lanPeers: this.#shares.online() - 1,
      cloudReachableSinceMs: upSince === null ? null : upSince * 1000,
      progressAtMs: this.#venueProgressS * 1000,
      nowMs: sim.now * 1000,
      source: this.#sourceCfg,
    });
    this.#onPlan?.(p, plan);
    this.#want[p] = plan.later;
    if (plan.cloud.length > 0) this.#add(p, 'wan', plan.cloud);
    if (plan.lan.length > 0) {
      const candidates = plan.lan.map((i) => ({ seq: i, holders: sim.onlineHolders(i) }));
      this.#add(p, 'lan', backgroundOrder({ candidates, held: sim.heldCount(p), rng: this.#rngs[p]! }));
    }
  }

  #add(p: number, kind: LaneKind, images: readonly number[]): void {
    const sim = this.#sim;
    const lane = this.#lanes[p]![kind];
    if (lane.queue === null) lane.queue = this.#newQueue(p, kind, lane);
    for (const i of images) lane.queue.add(i);
    if (sim.tracing)
      sim.trace({
        kind: kind === 'wan' ? 'cloud-pull' : 'lan-fetch',
        printer: p,
        images: [...images],
        source: kind === 'wan' ? 'cloud' : 'lan',
      });
    this.#start(p, kind);
  }

  /** Starts the lane's flow unless it runs, or (sequential lanes) the cloud lane still has work. */
  #start(p: number, kind: LaneKind): void {
    const sim = this.#sim;
    const lanes = this.#lanes[p]!;
    const lane = lanes[kind];
    if (lane.queue === null || lane.flow !== null || lane.starting) return;
    if (kind === 'lan' && this.#sequential && lanes.wan.queue !== null) return;
    // The request takes one round trip before bytes flow.
    lane.starting = true;
    const queue = lane.queue;
    sim.at(sim.now + (kind === 'wan' ? sim.wanRttS : sim.lanRttS), () => {
      lane.starting = false;
      if (lane.queue !== queue || this.#stopped) return;
      const cap = this.#capBytesPerSec > 0 ? this.#capBytesPerSec : Number.POSITIVE_INFINITY;
      const flow =
        kind === 'wan' ? sim.startWanFlow(p, queue, 'background', cap) : sim.startLanFlow(p, queue, 'background', cap);
      if (!flow) {
        // Nothing of the queue was still to move (fans' fetches took it all).
        this.requeue(p, queue.release(-1));
        lane.queue = null;
        if (kind === 'wan' && this.#sequential) this.#start(p, 'lan');
        return;
      }
      lane.flow = flow;
      if (!this.#mayRun(p)) sim.network.pause(flow, sim.now);
    });
  }

  #newQueue(p: number, kind: LaneKind, lane: Lane): ImageQueue {
    const sim = this.#sim;
    const queue: ImageQueue = new ImageQueue(sim, p, IN_BACKGROUND, {
      delivered: (_image, t) => {
        if (kind === 'wan') this.#venueProgressS = t;
      },
      ended: () => {
        if (lane.queue !== queue) return;
        lane.flow = null;
        lane.queue = null;
        // Sequential lanes: the LAN lane waited for the cloud lane to empty.
        if (kind === 'wan' && this.#sequential) this.#start(p, 'lan');
      },
      // The LAN lane streams from a peer still receiving the image: held once a venue copy exists.
      holdBack: kind === 'lan' ? (image) => this.#holdBack(p, image) : undefined,
    });
    return queue;
  }

  #holdBack(p: number, image: number): boolean {
    if (this.#sim.onlineHolders(image) > 0) return false;
    const list = this.#waiting.get(image);
    if (list) list.push(p);
    else this.#waiting.set(image, [p]);
    return true;
  }

  /** Stops one lane of a printer; what it had not delivered is wanted again. */
  #cancel(p: number, kind: LaneKind): void {
    const lane = this.#lanes[p]![kind];
    const q = lane.queue;
    if (q) this.requeue(p, q.release(lane.flow ? this.#sim.network.cancel(lane.flow, this.#sim.now) : -1));
    lane.flow = null;
    lane.queue = null;
    lane.starting = false;
    // Sequential lanes: with the cloud lane gone (WAN down), the LAN lane goes on with what the venue has.
    if (kind === 'wan' && this.#sequential && !this.#stopped && this.#sim.isPrinterUp(p)) this.#start(p, 'lan');
  }

  /**
   * Printers waiting for a venue copy of an image nobody up holds give it back (its owner went
   * down, or the event ended): it is planned again at their next tick, under the new shares.
   */
  #releaseOrphans(all = false): void {
    const sim = this.#sim;
    for (const [image, waiting] of this.#waiting) {
      if (!all && sim.onlineHolders(image) > 0) continue;
      this.#waiting.delete(image);
      for (const q of waiting) {
        if (sim.state(q, image) !== IN_BACKGROUND) continue;
        sim.setState(q, image, MISSING);
        this.#want[q]!.push(image);
      }
    }
  }
}
