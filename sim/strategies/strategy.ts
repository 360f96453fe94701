/**
 * What a delivery strategy is to the model: hooks the simulation calls, and the context it acts
 * through. To add a strategy, implement `Strategy` (see star-periodic.ts for a small example and
 * sim/MODEL.md, "Adding a strategy") and register it in strategies/index.ts.
 */
import type { Rng } from '../../shared/policy/prng.ts';
import type { Flow, FlowSource, Network } from '../model/network.ts';
import type { UploadBatch, Workload } from '../model/workload.ts';
import type { Scenario } from '../scenario.ts';

/** Per printer and image: what the printer knows about the image. */
export const MISSING = 0;
/** Queued or moving in a background (push / sync) flow. */
export const IN_BACKGROUND = 1;
/** Requested for a fan at the counter. */
export const ON_DEMAND = 2;
export const HELD = 3;

export type TraceKind =
  | 'upload'
  | 'push'
  | 'cloud-pull'
  | 'lan-fetch'
  | 'on-demand'
  | 'held'
  | 'redeem'
  | 'printed'
  | 'redeem-failed'
  | 'wan-down'
  | 'wan-up'
  | 'printer-down'
  | 'printer-up';

export interface TraceEvent {
  t: number;
  kind: TraceKind;
  printer?: number;
  /** Image indices in upload order (0-based). */
  images?: number[];
  source?: 'cloud' | 'lan';
  order?: number;
}

export interface SimContext {
  readonly now: number;
  readonly seed: number;
  readonly scenario: Scenario;
  readonly workload: Workload;
  readonly printers: number;
  readonly network: Network;
  /** Whether anyone listens to trace(): build trace payloads only then. */
  readonly tracing: boolean;
  /** Round-trip times in seconds. */
  readonly wanRttS: number;
  readonly lanRttS: number;
  /** Runs `fn` at simulated time `t` (seconds; clamped to now). */
  at(t: number, fn: () => void): void;
  /** Images uploaded so far: indices [0, uploadedCount()). */
  uploadedCount(): number;
  state(printer: number, image: number): number;
  /** MISSING, IN_BACKGROUND or ON_DEMAND; HELD is set only by a flow delivering the image. */
  setState(printer: number, image: number, state: number): void;
  heldCount(printer: number): number;
  /** Printers that are up and hold the whole image. */
  onlineHolders(image: number): number;
  isPrinterUp(printer: number): boolean;
  isWanUp(): boolean;
  /** When the WAN last came up (seconds; 0 if it never went down), or null while it is down. */
  wanUpSince(): number | null;
  /** Printers that are up, ascending. */
  onlinePrinters(): number[];
  /** A flow from the cloud to `printer` over the WAN (starts now; add the RTT yourself). */
  startWanFlow(printer: number, source: FlowSource, tag: string, capBytesPerSec?: number): Flow | null;
  /** A flow from the venue's other printers to `printer` over the LAN. */
  startLanFlow(printer: number, source: FlowSource, tag: string, capBytesPerSec?: number): Flow | null;
  /** A generator private to `name` within this run (same seed → same draws). */
  rng(name: string): Rng;
  /** Completes a delivery a flow source held back (FlowSource.holdBack): `printer` now holds `image`. */
  deliver(printer: number, image: number): void;
  trace(event: Omit<TraceEvent, 't'>): void;
}

export interface Strategy {
  readonly name: string;
  /** True when a redemption needs the cloud (order lookup or claim, one WAN RTT) before printing. */
  readonly redemptionNeedsWan: boolean;
  start(sim: SimContext): void;
  /**
   * Photos reached the feed: a whole batch, or (published one after the other) the next of its
   * photos; `batch.index` and `atS` are the batch's, `first`/`count`/`bytes` what was just published.
   */
  onUpload(sim: SimContext, batch: UploadBatch): void;
  /**
   * A fan is at `printer` and these images are not held there (some may already be requested):
   * get them there. The model prints each as soon as it is held.
   */
  fetchForFan(sim: SimContext, printer: number, images: readonly number[]): void;
  /**
   * A fan gave up (fetch timeout) and no other fan queued at `printer` needs these images, which are
   * still not held there: stop fetching them if you like (the edge node aborts such a fetch).
   */
  abandon(sim: SimContext, printer: number, images: readonly number[]): void;
  onPrinterDown(sim: SimContext, printer: number): void;
  onPrinterUp(sim: SimContext, printer: number): void;
  onWanChange(sim: SimContext, up: boolean): void;
  /** The event is over (durationS): stop background work; fans already queued are still served. */
  stop(sim: SimContext): void;
  /** Optional: `printer` (up) has just come to hold `image`, by any flow. */
  onHeld?(sim: SimContext, printer: number, image: number): void;
}
