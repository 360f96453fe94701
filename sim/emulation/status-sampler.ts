/**
 * Watches an emulation run through the edge nodes' `/status`: the replication lag every
 * sampleIntervalS of simulated time, and at every poll which images each node holds (batch
 * completion), and at the end the bytes they moved.
 */
import type { Clock } from '../../shared/ports/clock.ts';
import type { DetourStats } from '../../shared/protocol/photo-detour.ts';
import type { StrategyRun } from '../results-schema.ts';
import { sum } from '../stats.ts';
import type { EdgeProcess, EdgeStatus } from './emulated-venue.ts';
import type { WallTimeline } from './wall-timeline.ts';

/** Status polling (lag samples, batch completion): never more often than this per node. */
const MIN_POLL_INTERVAL_MS = 250;
const MAX_POLL_INTERVAL_MS = 500;

export class StatusSampler {
  /** When printer p first held image i: `heldAt[p * images + i]`, simulated seconds (+∞: never). */
  readonly heldAt: Float64Array;
  readonly lagSeries: StrategyRun['lagSeries'] = [];
  readonly #nodes: readonly EdgeProcess[];
  readonly #eventId: string;
  readonly #images: number;
  readonly #timeCompression: number;
  readonly #timeline: WallTimeline;
  readonly #uploads: () => number;
  readonly #diag: (message: string) => void;
  // Counters only grow, so a node that misses a poll keeps its last answer.
  readonly #lastStatuses: Array<EdgeStatus | null>;
  readonly #statusFailures: number[];
  #sampling = false;
  #pollMs = 0;
  #loop: Promise<void> = Promise.resolve();

  /**
   * `nodes`: one per printer, in printer order; `uploads`: how many photos are on the feed now
   * (a node's images are counted, not named).
   */
  constructor(opts: {
    nodes: readonly EdgeProcess[];
    eventId: string;
    images: number;
    timeCompression: number;
    timeline: WallTimeline;
    uploads: () => number;
    diag: (message: string) => void;
  }) {
    this.#nodes = opts.nodes;
    this.#eventId = opts.eventId;
    this.#images = opts.images;
    this.#timeCompression = opts.timeCompression;
    this.#timeline = opts.timeline;
    this.#uploads = opts.uploads;
    this.#diag = opts.diag;
    this.heldAt = new Float64Array(opts.nodes.length * opts.images).fill(Number.POSITIVE_INFINITY);
    this.#lastStatuses = opts.nodes.map(() => null);
    this.#statusFailures = opts.nodes.map(() => 0);
  }

  /** Polls until stop(), reporting the fraction of the timeline up to `endS` done. */
  start(sampleIntervalS: number, endS: number, clock: Clock, onProgress?: (fraction: number) => void): void {
    const pollMs = Math.max(
      MIN_POLL_INTERVAL_MS,
      Math.min(MAX_POLL_INTERVAL_MS, (sampleIntervalS * 1000) / this.#timeCompression),
    );
    this.#pollMs = pollMs;
    const { simNow } = this.#timeline;
    this.#sampling = true;
    this.#loop = (async () => {
      let nextSample = 0;
      while (this.#sampling) {
        const due = simNow() >= nextSample;
        await this.poll(due);
        if (due) nextSample += sampleIntervalS;
        onProgress?.(Math.min(1, simNow() / endS));
        await clock.sleep(pollMs);
      }
    })();
  }

  /** How often the nodes are polled (0 before start). */
  get pollMs(): number {
    return this.#pollMs;
  }

  /** Ends the polling loop once its current round is done. */
  async stop(): Promise<void> {
    this.#sampling = false;
    await this.#loop;
  }

  async poll(recordLag: boolean): Promise<void> {
    const { simNow } = this.#timeline;
    const f = this.#timeCompression;
    const printers = this.#nodes.length;
    const images = this.#images;
    const answers = await Promise.all(
      this.#nodes.map((n) =>
        n.status().catch((err: Error) => {
          this.#diag(`${n.name}: status failed at ${simNow().toFixed(0)} s (${n.exited() ?? err.message})`);
          return null;
        }),
      ),
    );
    answers.forEach((st, p) => {
      if (st) this.#lastStatuses[p] = st;
      else this.#statusFailures[p]!++;
    });
    const t = simNow();
    const uploads = this.#uploads();
    let lagSum = 0;
    let max = 0;
    this.#lastStatuses.forEach((st, p) => {
      const e = st?.events.find((x) => x.eventId === this.#eventId);
      // The node's images are counted, not named: the first `imagesHeld` uploads are taken as held.
      const held = Math.min(e?.imagesHeld ?? 0, uploads);
      for (let i = 0; i < held; i++)
        if (this.heldAt[p * images + i] === Number.POSITIVE_INFINITY) this.heldAt[p * images + i] = t;
      const lag = ((e?.oldestMissingAgeMs ?? 0) / 1000) * f;
      lagSum += lag;
      if (lag > max) max = lag;
    });
    if (recordLag) {
      this.lagSeries.push({ t, meanLagSeconds: printers > 0 ? lagSum / printers : 0, maxLagSeconds: max });
      const held = this.#lastStatuses.map((st) => st?.events.find((x) => x.eventId === this.#eventId)?.imagesHeld ?? 0);
      const peers = this.#lastStatuses.map((st) => st?.lanPeers ?? 0);
      this.#diag(
        `t ${t.toFixed(0)} s: ${uploads} uploaded; held ${Math.min(...held)}–${Math.max(...held)}; LAN peers ${Math.min(...peers)}–${Math.max(...peers)}; WAN ${(this.bytes('bytesFromCloud') / 1e6).toFixed(1)} MB`,
      );
    }
  }

  /**
   * Replaces polled holding times with the moments the nodes stamped themselves (photo-arrivals.ts):
   * a poll sees a photo arrive up to a poll interval plus a status round trip late, and names held
   * photos by count, not by id. `imageIds`: the uploads' ids, in upload order. Returns how many
   * holding times were stamped; photos without a stamp keep their polled time.
   */
  async stampArrivals(imageIds: readonly string[]): Promise<number> {
    const indexOf = new Map(imageIds.map((id, i) => [id, i]));
    const lists = await Promise.all(this.#nodes.map((n) => n.arrivals(this.#eventId)));
    let stamped = 0;
    lists.forEach((arrivals, p) => {
      for (const a of arrivals) {
        const i = indexOf.get(a.imageId);
        if (i === undefined || i >= this.#images) continue;
        this.heldAt[p * this.#images + i] = this.#timeline.simAt(a.wholeAt);
        stamped++;
      }
    });
    return stamped;
  }

  /** Bytes the nodes received, as of their last answers. */
  bytes(key: 'bytesFromCloud' | 'bytesFromLan'): number {
    return sum(this.#lastStatuses.map((x) => x?.[key] ?? 0));
  }

  /**
   * The printers' detours as of their last answers, added up (photo-detours.ts): asked and served
   * count since each node started, `serving` is what was open at that answer.
   */
  detours(): DetourStats {
    const total: DetourStats = { asked: 0, served: 0, declined: 0, serving: 0, rejectedMessages: 0 };
    for (const st of this.#lastStatuses) {
      const d = st?.photoDetours;
      if (!d) continue;
      for (const key of Object.keys(total) as Array<keyof DetourStats>) total[key] += d[key];
    }
    return total;
  }

  /** Names the nodes that missed polls, if any did. */
  reportFailedPolls(): void {
    const silent = this.#statusFailures.map((n, p) => [n, p] as const).filter(([n]) => n > 0);
    if (silent.length > 0) {
      this.#diag(`status polls that failed: ${silent.map(([n, p]) => `P${p} ${n}`).join(', ')}`);
    }
  }
}
