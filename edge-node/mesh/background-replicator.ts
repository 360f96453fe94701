import type { Rng } from '../../shared/policy/prng.ts';
import { ResponsibilityMap } from '../../shared/policy/responsibility.ts';
import { isSyncAllowed, nextStarPullAt, nextSyncAt, type SyncSchedule } from '../../shared/policy/schedule.ts';
import { DEFAULT_SOURCE_CONFIG, type SourceConfig } from '../../shared/policy/source-choice.ts';
import { planSyncCycle, type SyncPlan } from '../../shared/policy/sync-planner.ts';
import type { TokenBucket } from '../../shared/policy/token-bucket.ts';
import type { Clock, Timer } from '../../shared/ports/clock.ts';
import { BackgroundBatches, type BatchDownload } from './background-batches.ts';
import { downloadBlocks } from './block-runs.ts';
import { FeedWatch } from './feed-watch.ts';
import { CLOUD_BATCH_STALL_MS, fetchShareThroughLane, type LaneShareDeps } from './lane-share.ts';
import { lanOrder, missingPieces, stampMissingSince } from './missing-pieces.ts';
import type { SyncReplica } from './sync-replica.ts';
import type { CloudSessions, PriorityGate } from './traffic.ts';
import type { MeshLogger, VenueMesh } from './venue-mesh.ts';

/** A LAN batch is given up for this cycle after this long without LAN bytes (no LAN peer has it yet). */
export const LAN_BATCH_STALL_MS = 5_000;
/**
 * A printer counts as online (and takes a share of the cloud pulls) if it is connected on the LAN or
 * the coordinator saw it this recently.
 */
export const PRINTER_ONLINE_WINDOW_MS = 60_000;
/** Before its first cycle a starting node waits this long for its LAN peers, so shares are agreed. */
export const MESH_SETTLE_MS = 3_000;

/** What the replicator needs of the printer profile. */
export interface SyncProfile {
  feeds: ReadonlyArray<{ eventId: string; head?: { blobsLength: number; catalogLength: number } | null }>;
  peers: { printers: ReadonlyArray<{ id: string; lastSeenAt: number | null }> };
}

export interface CycleReport {
  cloudBlocksRequested: number;
  lanBlocksRequested: number;
  stillMissing: number;
  /** The LAN part was stopped because the feed grew (wake('grew')). */
  lanStopped?: boolean;
  /** Per event: the planner's decision (units are first blocks of image-in-chunk runs). */
  plans: Array<{ eventId: string; plan: SyncPlan }>;
}

/**
 * Background replication, the cooperative way: every sync cycle each printer
 *  1. works out, with rendezvous hashing over the printers online (the coordinator's view, so all
 *     printers agree), which 1 MiB chunks of each feed are its own share;
 *  2. hands what it lacks, image by image within each chunk, to the sync planner
 *     (shared/policy/sync-planner.ts, which the simulator runs too): a LAN holder → LAN; its own
 *     share → cloud; someone else's → the LAN, and the cloud once the LAN has failed to deliver it
 *     for `backgroundLanDeadlineMs`;
 *  3. dials the cloud seeder only if the plan has cloud work and asks the cloud lane
 *     (cloud-lane.ts) for exactly that, the main core taking each block from the lane as it arrives;
 *  4. at the same time fetches everything else from LAN peers (also what no peer has announced yet:
 *     have-lists lag, and owners stream what they are still receiving), in batches under its
 *     bandwidth cap, yielding to any on-demand fetch.
 * So each block crosses the WAN about once per venue, and peers spread it on the LAN while it still
 * arrives. Without a cloud lane (a replica that has none) step 4 waits until step 3 has hung up.
 */
export interface BackgroundReplicatorOptions {
  /**
   * `mesh` as described above; `star-periodic` (the seed patent's baseline, for the simulator): every
   * cycle pulls all missing blocks from the cloud, no LAN phase, cycles only on the schedule's
   * interval boundaries (`nextStarPullAt`), never woken early.
   */
  mode?: 'mesh' | 'star-periodic';
  mesh: Pick<VenueMesh, 'settle' | 'lanPeers'> & { cloudConnections?(): unknown };
  cloud: Pick<CloudSessions, 'acquire' | 'hangUpIfIdle'>;
  gate: Pick<PriorityGate, 'waitForTurn' | 'nextOnDemand'>;
  replicas: () => SyncReplica[];
  profile: () => SyncProfile | null;
  selfKey: string;
  clock: Clock;
  rng: Rng;
  schedule: SyncSchedule;
  bucket: TokenBucket;
  logger: MeshLogger;
  /** The LAN deadlines (default DEFAULT_SOURCE_CONFIG). */
  source?: SourceConfig;
  /**
   * Live, pipelined replication (default true; sync-planner.ts `live`): someone else's share whose
   * owner is online is fetched from the LAN in the same cycle, streamed from the owner as it arrives.
   */
  live?: boolean;
}

/** One event's blocks for this cycle: from the cloud (-1: the catalog alone) and from the LAN. */
interface CycleWork {
  replica: SyncReplica;
  cloud: number[];
  lan: number[];
}

export class BackgroundReplicator {
  readonly #o: BackgroundReplicatorOptions;
  #closed = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  /** woken while a cycle ran (live replication): run again at once. */
  #wakePending = false;
  /** The running cycle's LAN part, stopped once the feed grew and the cloud part is done (wake). */
  #lanPart: { stop: AbortController; cloudDone: boolean; grew: boolean } | null = null;
  #lastRunAt: number | null = null;
  readonly #watch: FeedWatch;
  /** Per event and unit (its first block): since when this printer has lacked it. */
  readonly #missingSince = new Map<string, Map<number, number>>();
  readonly #abort = new AbortController();
  readonly #batches: BackgroundBatches;
  /** Since when the cloud has been reachable (null: it is not); see backgroundWaitedMs. */
  #cloudReachableSince: number | null;
  /** When photos last arrived here from anywhere: the venue is still being served. */
  #progressAt = 0;
  /** When bytes last arrived from each source: a batch stalls on its own source's silence. */
  readonly #sourceProgressAt = { lan: 0, cloud: 0 };
  cycles = 0;

  constructor(opts: BackgroundReplicatorOptions) {
    this.#o = opts;
    this.#cloudReachableSince = opts.clock.now();
    this.#watch = new FeedWatch(opts.cloud, opts.logger);
    this.#batches = new BackgroundBatches({
      clock: opts.clock,
      gate: opts.gate,
      bucket: opts.bucket,
      signal: this.#abort.signal,
      progressAt: (source) => this.#sourceProgressAt[source],
    });
  }

  /** Bytes arrived (LAN or cloud). */
  noteProgress(now: number, source: 'lan' | 'cloud' = 'lan'): void {
    this.#progressAt = now;
    this.#sourceProgressAt[source] = now;
  }

  /** When replicated bytes last arrived (epoch ms; 0: never). */
  get lastProgressAt(): number {
    return this.#progressAt;
  }

  /** Whether the coordinator / cloud seeder answered; the LAN deadline only runs while it does. */
  cloudReachable(ok: boolean, now: number): void {
    if (!ok) this.#cloudReachableSince = null;
    else if (this.#cloudReachableSince === null) this.#cloudReachableSince = now;
  }

  ready(): void {
    this.#loop = this.#run();
  }

  /**
   * Runs a cycle soon (new feed head, the feed's live 'append', a new peer); a star-periodic node
   * keeps to its timer. A wake during a cycle is kept: the next cycle starts as soon as this one
   * ends, so blocks appended meanwhile do not wait for the next tick. Sync windows still hold.
   *
   * `grew` (the feed is longer): the running cycle's LAN part stops as soon as its cloud part is
   * done (at once if it is), so the cycle ends with its cloud part and the next one sends this
   * printer's share of the new blocks to the cloud. Otherwise that share waited for LAN batches
   * that wait on other owners' shares (given up only after 5 s without any LAN byte, which a busy
   * venue never has), and the whole venue waited for it: LAN parts of up to 11.6 s while the cloud
   * part took under 1 s in validation-8. Blocks already under way still land; the rest are asked
   * for again by the next cycle. A peer's new holdings (`holdings`) stop nothing.
   */
  wake(reason: 'grew' | 'holdings' = 'grew'): void {
    if (this.#star) return;
    if (this.#wake) this.#wake();
    else {
      this.#wakePending = true;
      const lan = this.#lanPart;
      if (reason === 'grew' && lan) {
        lan.grew = true;
        if (lan.cloudDone) lan.stop.abort();
      }
    }
  }

  get #star(): boolean {
    return this.#o.mode === 'star-periodic';
  }

  async close(): Promise<void> {
    this.#closed = true;
    const watchClosed = this.#watch.close();
    this.#abort.abort();
    this.#wake?.();
    await this.#loop;
    await watchClosed;
  }

  async #run(): Promise<void> {
    await this.#o.mesh.settle(MESH_SETTLE_MS);
    while (!this.#closed) {
      const now = this.#o.clock.now();
      const due = this.#star
        ? nextStarPullAt(this.#o.schedule.intervalMs, this.#lastRunAt, now)
        : nextSyncAt(this.#o.schedule, this.#lastRunAt, now);
      if (this.#wakePending) this.#lastRunAt = null;
      else if (due > now) await this.#sleepUntilWoken(due - now);
      this.#wakePending = false;
      if (this.#closed) return;
      if (!isSyncAllowed(this.#o.schedule, this.#o.clock.now())) {
        // Outside the sync windows nothing runs, woken or not (the next opening is due next). A star
        // boundary outside them is skipped, not retried until the clock moves on. Nobody watches the
        // feeds for the venue either.
        if (this.#star) this.#lastRunAt = this.#o.clock.now();
        this.#watch.drop();
        continue;
      }
      this.#lastRunAt = this.#o.clock.now();
      try {
        await this.runCycle();
      } catch (err) {
        if (!this.#closed) this.#o.logger.warn({ err }, 'background sync cycle failed');
      }
    }
  }

  async #sleepUntilWoken(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      let timer: Timer | null = null;
      const done = (): void => {
        timer?.cancel();
        resolve();
      };
      // A due time of +∞ (no sync window ahead) waits for a wake() alone.
      if (Number.isFinite(ms)) timer = this.#o.clock.setTimeout(done, ms);
      this.#wake = () => {
        this.#lastRunAt = null;
        done();
      };
    });
    this.#wake = null;
  }

  /** One sync cycle. Public for tests and the benchmark. */
  async runCycle(): Promise<CycleReport> {
    this.cycles++;
    const report: CycleReport = { cloudBlocksRequested: 0, lanBlocksRequested: 0, stillMissing: 0, plans: [] };
    const profile = this.#o.profile();
    if (!profile) return report;
    const now = this.#o.clock.now();
    const connected = new Set(this.#o.mesh.lanPeers());
    const online = [
      this.#o.selfKey,
      ...profile.peers.printers
        .filter((p) => connected.has(p.id) || (p.lastSeenAt !== null && now - p.lastSeenAt <= PRINTER_ONLINE_WINDOW_MS))
        .map((p) => p.id),
    ];
    const shares = new ResponsibilityMap(online);
    const work: CycleWork[] = [];
    let watcher = false;
    for (const replica of this.#o.replicas()) {
      const head = profile.feeds.find((f) => f.eventId === replica.eventId)?.head;
      const length = Math.max(head?.blobsLength ?? 0, replica.blobsCore.length);
      const pieces = await missingPieces(replica, length, shares, { selfKey: this.#o.selfKey, star: this.#star });
      this.#missingSince.set(replica.eventId, stampMissingSince(this.#missingSince.get(replica.eventId), pieces, now));
      const plan = planSyncCycle({
        mode: this.#star ? 'star-periodic' : 'mesh',
        units: [...pieces.values()].map((p) => p.unit),
        lanPeers: online.length - 1,
        cloudReachableSinceMs: this.#cloudReachableSince,
        progressAtMs: this.#progressAt,
        nowMs: now,
        source: this.#o.source ?? DEFAULT_SOURCE_CONFIG,
        live: this.#o.live ?? true,
      });
      report.plans.push({ eventId: replica.eventId, plan });
      const blocksOf = (ids: number[]) => ids.flatMap((id) => pieces.get(id)!.missing);
      const cloud = blocksOf(plan.cloud);
      const lan = blocksOf([...plan.lan, ...plan.later]);
      const catalogBehind = (head?.catalogLength ?? 0) > replica.catalog.core.contiguousLength;
      const catalogMine = shares.ownerOf(replica.descriptor.catalogKey, 0) === this.#o.selfKey;
      if (catalogMine) watcher = true;
      // The catalog comes along with any cloud work; alone, only its owner (or a star node) dials for it.
      if (catalogBehind && cloud.length === 0 && (this.#star || catalogMine)) cloud.push(-1);
      work.push({ replica, cloud, lan });
    }
    // The catalog's owner keeps its cloud connection open while it syncs (feed-watch.ts).
    this.#watch.keep(watcher && !this.#star && work.length > 0 && work.every((w) => w.replica.hasCloudLane === true));

    // With a cloud lane the printer's cloud share and its LAN share move at once (a swarm, not a
    // two-phase copy); without one the LAN waits until the cloud has hung up (cloud-once).
    const timed = async (part: Promise<void>): Promise<number> => {
      await part;
      return this.#o.clock.now() - now;
    };
    let cloudMs: number;
    let lanMs: number;
    const lan = { stop: new AbortController(), cloudDone: false, grew: false };
    this.#lanPart = lan;
    const cloudPart = async (throughLane: boolean): Promise<number> => {
      try {
        return await timed(this.#cloudWork(work, report, throughLane));
      } finally {
        lan.cloudDone = true;
        if (lan.grew) lan.stop.abort();
      }
    };
    try {
      if (work.every((w) => w.replica.hasCloudLane === true)) {
        [cloudMs, lanMs] = await Promise.all([cloudPart(true), timed(this.#lanWork(work, report, lan.stop.signal))]);
      } else {
        cloudMs = await cloudPart(false);
        lanMs = await timed(this.#lanWork(work, report, lan.stop.signal));
      }
    } finally {
      this.#lanPart = null;
    }
    report.lanStopped = lan.stop.signal.aborted;
    this.#o.logger.debug?.(
      {
        cycle: this.cycles,
        cloudBlocks: report.cloudBlocksRequested,
        lanBlocks: report.lanBlocksRequested,
        stillMissing: report.stillMissing,
        cloudMs,
        lanMs,
        wokenDuring: this.#wakePending,
        lanStopped: report.lanStopped,
      },
      'sync cycle',
    );
    return report;
  }

  /** What the plan sends to the cloud, and only that. */
  async #cloudWork(work: CycleWork[], report: CycleReport, throughLane: boolean): Promise<void> {
    const cloudWork = work.filter((w) => w.cloud.length > 0);
    if (cloudWork.length === 0) return;
    await this.#o.gate.waitForTurn();
    const session = await this.#o.cloud.acquire();
    this.cloudReachable(session.connected, this.#o.clock.now());
    let stalled = false;
    try {
      if (!session.connected) return;
      for (const w of cloudWork) {
        if (this.#closed) return;
        const blocks = w.cloud.filter((b) => b >= 0);
        report.cloudBlocksRequested += blocks.length;
        if (blocks.length === 0) await w.replica.updateCatalog();
        if (!throughLane) {
          await this.#batches.fetch(blocks, CLOUD_BATCH_STALL_MS, 'cloud', mainCoreDownload(w.replica));
          continue;
        }
        if (blocks.length === 0) continue;
        const { complete, handedOff } = await fetchShareThroughLane(this.#laneShareDeps(), w.replica, blocks);
        // A cloud session that delivers nothing stays that way: hang up, so the next cycle dials afresh.
        if (!complete) stalled = true;
        // Blocks in the lane but not in the main core: the venue waits for them (they are this
        // printer's share), so the next cycle runs as soon as this one ends, not at the next tick.
        if (complete && !handedOff && !this.#star) this.#wakePending = true;
        await w.replica.announceHoldings();
      }
    } finally {
      session.release();
      // A stalled connection is not kept for watching either: the next cycle dials afresh.
      if (stalled) this.#watch.drop();
      if (!throughLane || stalled) this.#o.cloud.hangUpIfIdle();
    }
  }

  #laneShareDeps(): LaneShareDeps {
    const { clock, logger, mesh } = this.#o;
    return {
      batches: this.#batches,
      clock,
      logger,
      cloudConnections: () => mesh.cloudConnections?.(),
      signal: this.#abort.signal,
    };
  }

  /** Everything else, from the venue's printers, rarest images first after a random start. */
  async #lanWork(work: CycleWork[], report: CycleReport, stop: AbortSignal): Promise<void> {
    for (const w of work) {
      if (this.#closed || stop.aborted || w.lan.length === 0) continue;
      const ordered = await lanOrder(w.replica, w.lan, this.#o.rng);
      report.lanBlocksRequested += ordered.length;
      await this.#batches.fetch(ordered, LAN_BATCH_STALL_MS, 'lan', mainCoreDownload(w.replica), stop);
      let missing = 0;
      for (const b of w.lan) if (!(await w.replica.blobsCore.has(b))) missing++;
      report.stillMissing += missing;
      await w.replica.announceHoldings();
    }
  }
}

/** Background batches on the replica's main core (from whoever has the blocks). */
function mainCoreDownload(replica: SyncReplica): BatchDownload {
  return (batch) => downloadBlocks((run) => replica.blobsCore.download(run), batch);
}
