/**
 * `mesh`: the venue print mesh's edge node. Background sync is mesh-sync.ts; this file is the fan's
 * side, as edge-node/mesh/image-fetcher.ts does it: every image a fan lacks is fetched at top
 * priority (background sync at that printer pauses: priority.ts `backgroundMayRun`), from wherever
 * `chooseSource` (source-choice.ts, priority 'on_demand') says — a LAN holder, else the cloud after
 * the on-demand LAN deadline unless the printer owns the image or has no peer — and re-evaluated
 * while it says wait (the cloud unreachable, a peer maybe fetching it). A fetch not done within the
 * fan timeout gives up, and the image goes back to background sync.
 *
 * Redemption: the QR token is verified offline; `claimRequiresWan` (default false) adds the
 * coordinator claim the node makes today (one WAN round trip, impossible during an outage).
 */
import { backgroundMayRun } from '../../shared/policy/priority.ts';
import { chooseSource, DEFAULT_SOURCE_CONFIG, type SourceConfig } from '../../shared/policy/source-choice.ts';
import type { Flow } from '../model/network.ts';
import type { UploadBatch } from '../model/workload.ts';
import type { Scenario } from '../scenario.ts';
import { ImageQueue } from './image-queue.ts';
import { MeshLiveSync } from './mesh-live.ts';
import { MeshShares } from './mesh-shares.ts';
import { MeshSync, type PlanObserver } from './mesh-sync.ts';
import { HELD, IN_BACKGROUND, MISSING, ON_DEMAND, type SimContext, type Strategy } from './strategy.ts';

interface FanFetch {
  image: number;
  bytes: number;
  askedAt: number;
  flow: Flow | null;
  source: 'cloud' | 'lan' | null;
}

export class MeshStrategy implements Strategy {
  readonly name = 'mesh';
  readonly redemptionNeedsWan: boolean;
  readonly #sourceCfg: SourceConfig;
  readonly #onPlan: PlanObserver | undefined;
  #shares: MeshShares | null = null;
  #sync: MeshSync | MeshLiveSync | null = null;
  /** Per printer: the fans' fetches in progress, by image. */
  #fetches: Array<Map<number, FanFetch>> = [];
  #inFlight = new Int32Array(0);
  #queued = new Int32Array(0);

  /** `onPlan` sees every background sync plan (the parity test compares them with the edge node's). */
  constructor(scenario: Scenario, opts: { onPlan?: PlanObserver } = {}) {
    const cfg = scenario.strategies.mesh;
    this.#onPlan = opts.onPlan;
    this.redemptionNeedsWan = cfg.claimRequiresWan;
    this.#sourceCfg = {
      ...DEFAULT_SOURCE_CONFIG,
      onDemandLanDeadlineMs: cfg.onDemandLanDeadlineMs,
      backgroundLanDeadlineMs: cfg.backgroundLanDeadlineMs,
    };
  }

  start(sim: SimContext): void {
    const n = sim.printers;
    this.#fetches = Array.from({ length: n }, () => new Map());
    this.#inFlight = new Int32Array(n);
    this.#queued = new Int32Array(n);
    this.#shares = new MeshShares(sim);
    const mayRun = (p: number) => this.#backgroundMayRun(p);
    this.#sync = sim.scenario.strategies.mesh.live
      ? new MeshLiveSync(sim, this.#shares, this.#sourceCfg, mayRun, this.#onPlan)
      : new MeshSync(sim, this.#shares, this.#sourceCfg, mayRun, this.#onPlan);
  }

  onUpload(_sim: SimContext, batch: UploadBatch): void {
    this.#sync!.onUpload(batch);
  }

  fetchForFan(sim: SimContext, p: number, images: readonly number[]): void {
    for (const image of images) {
      const st = sim.state(p, image);
      if (st === HELD || st === ON_DEMAND) continue;
      let bytes = sim.workload.imageBytes[image]!;
      const bg = this.#sync!.current(p, image);
      if (st === IN_BACKGROUND && bg?.image === image) bytes = sim.network.takeCurrent(bg, sim.now);
      sim.setState(p, image, ON_DEMAND);
      const fetch: FanFetch = { image, bytes, askedAt: sim.now, flow: null, source: null };
      this.#fetches[p]!.set(image, fetch);
      this.#queued[p]!++;
      this.#sync!.pause(p);
      this.#evaluate(sim, p, fetch);
    }
  }

  abandon(sim: SimContext, p: number, images: readonly number[]): void {
    for (const image of images) {
      const f = this.#fetches[p]!.get(image);
      if (!f) continue;
      if (f.flow) sim.network.cancel(f.flow, sim.now);
      this.#finish(sim, p, f);
    }
  }

  onPrinterDown(sim: SimContext, p: number): void {
    this.#shares!.membershipChanged();
    this.#sync!.printerDown(p);
    const back: number[] = [];
    for (const f of this.#fetches[p]!.values()) {
      if (f.flow) sim.network.cancel(f.flow, sim.now);
      if (sim.state(p, f.image) === ON_DEMAND) {
        sim.setState(p, f.image, MISSING);
        back.push(f.image);
      }
    }
    this.#fetches[p]!.clear();
    this.#inFlight[p] = 0;
    this.#queued[p] = 0;
    this.#sync!.requeue(p, back);
  }

  onPrinterUp(_sim: SimContext, p: number): void {
    this.#shares!.membershipChanged();
    this.#sync!.printerUp(p);
  }

  onWanChange(sim: SimContext, up: boolean): void {
    if (up) return;
    this.#sync!.wanDown();
    // Fans' cloud fetches stall: cancel them and decide again (a LAN holder may appear; the cloud
    // is retried when it is reachable), keeping the bytes already moved.
    for (let p = 0; p < sim.printers; p++) {
      for (const f of this.#fetches[p]!.values()) {
        if (!f.flow || f.source !== 'cloud') continue;
        f.bytes = Math.max(1, f.bytes - sim.network.progress(f.flow, sim.now));
        sim.network.cancel(f.flow, sim.now);
        f.flow = null;
        f.source = null;
        this.#inFlight[p]!--;
        this.#queued[p]!++;
        this.#evaluate(sim, p, f);
      }
    }
  }

  stop(_sim: SimContext): void {
    this.#sync!.stop();
  }

  onHeld(_sim: SimContext, p: number, image: number): void {
    if (this.#sync instanceof MeshLiveSync) this.#sync.onHeld(p, image);
  }

  #backgroundMayRun(p: number): boolean {
    return backgroundMayRun({ onDemandInFlight: this.#inFlight[p]!, onDemandQueued: this.#queued[p]! });
  }

  #current(p: number, f: FanFetch): boolean {
    return this.#fetches[p]!.get(f.image) === f;
  }

  #finish(sim: SimContext, p: number, f: FanFetch): void {
    this.#fetches[p]!.delete(f.image);
    if (f.flow) this.#inFlight[p]!--;
    else this.#queued[p]!--;
    this.#sync!.resume(p);
    if (sim.state(p, f.image) === ON_DEMAND) {
      sim.setState(p, f.image, MISSING);
      this.#sync!.requeue(p, [f.image]);
    }
  }

  #evaluate(sim: SimContext, p: number, f: FanFetch): void {
    if (!this.#current(p, f)) return;
    if (sim.now - f.askedAt >= sim.scenario.redemption.fetchTimeoutS) {
      this.#finish(sim, p, f);
      return;
    }
    const decision = chooseSource(
      {
        priority: 'on_demand',
        lanHolders: sim.onlineHolders(f.image),
        lanPeersConnected: this.#shares!.online() - 1,
        ownedByMe: this.#shares!.owner(f.image) === p,
        waitedMs: (sim.now - f.askedAt) * 1000,
        cloudReachable: sim.isWanUp(),
      },
      this.#sourceCfg,
    );
    if (decision.source === 'wait') {
      sim.at(sim.now + decision.retryInMs / 1000, () => this.#evaluate(sim, p, f));
      return;
    }
    const source = decision.source;
    sim.at(sim.now + (source === 'lan' ? sim.lanRttS : sim.wanRttS), () => this.#startFetch(sim, p, f, source));
  }

  #startFetch(sim: SimContext, p: number, f: FanFetch, source: 'cloud' | 'lan'): void {
    if (!this.#current(p, f) || f.flow) return;
    if (source === 'cloud' && !sim.isWanUp()) {
      this.#evaluate(sim, p, f);
      return;
    }
    const queue = new ImageQueue(sim, p, ON_DEMAND, {
      ended: () => {
        if (this.#current(p, f)) this.#finish(sim, p, f);
      },
    });
    queue.add(f.image, f.bytes);
    if (sim.tracing) sim.trace({ kind: 'on-demand', printer: p, images: [f.image], source });
    const flow = source === 'lan' ? sim.startLanFlow(p, queue, 'on-demand') : sim.startWanFlow(p, queue, 'on-demand');
    if (!flow) {
      this.#finish(sim, p, f);
      return;
    }
    f.flow = flow;
    f.source = source;
    this.#queued[p]!--;
    this.#inFlight[p]!++;
  }
}
