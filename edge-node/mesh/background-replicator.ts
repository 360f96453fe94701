import { setTimeout as sleep } from 'node:timers/promises';
import { FEED_BLOCK_BYTES } from '../../shared/feed/feed-layout.ts';
import { backgroundOrder } from '../../shared/policy/fetch-order.ts';
import type { Rng } from '../../shared/policy/prng.ts';
import { chunkCountFor, RESPONSIBILITY_CHUNK_BLOCKS, ResponsibilityMap } from '../../shared/policy/responsibility.ts';
import { isSyncAllowed, nextSyncAt, type SyncSchedule } from '../../shared/policy/schedule.ts';
import { backgroundWaitedMs, DEFAULT_SOURCE_CONFIG } from '../../shared/policy/source-choice.ts';
import type { TokenBucket } from '../../shared/policy/token-bucket.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { PrinterProfile } from '../coordinator-client.ts';
import type { EventReplica } from './event-replica.ts';
import type { CloudSessions, PriorityGate } from './traffic.ts';
import type { MeshLogger, VenueMesh } from './venue-mesh.ts';

/** Blocks requested at once by background sync: small, so a fan's fetch never queues behind much. */
export const BACKGROUND_BATCH_BLOCKS = 32;
/**
 * Background batches in flight at once (2 × 32 blocks × 64 KiB = 4 MiB window). Measured with
 * `npm run bench:mesh`: 1 batch gave 13 MB/s and a 1.3× slower on-demand fetch during sync, 4 gave
 * 18 MB/s and 2.1×: blocks already requested still arrive after a range is stopped.
 */
export const BACKGROUND_PARALLEL_BATCHES = 2;
/** A LAN batch not done in this long is given up for this cycle (no LAN peer has it yet). */
export const LAN_BATCH_STALL_MS = 5_000;
/** A cloud batch not done in this long is given up for this cycle. */
export const CLOUD_BATCH_STALL_MS = 20_000;
/**
 * A printer counts as online (and takes a share of the cloud pulls) if it is connected on the LAN or
 * the coordinator saw it this recently.
 */
export const PRINTER_ONLINE_WINDOW_MS = 60_000;
/** Before its first cycle a starting node waits this long for its LAN peers, so shares are agreed. */
export const MESH_SETTLE_MS = 3_000;

/**
 * Star-periodic pulls happen at the multiples of `intervalMs` since the Unix epoch (the first one
 * after `now`, and after the last run), so every printer of a venue pulls at the same moments, as
 * the patent's cloud pushes to all printers at once every T minutes.
 */
export function nextStarPullAt(intervalMs: number, lastRunAt: number | null, now: number): number {
  const after = lastRunAt === null ? now : Math.max(now, lastRunAt + 1);
  return Math.ceil(after / intervalMs) * intervalMs;
}

export interface CycleReport {
  cloudBlocksRequested: number;
  lanBlocksRequested: number;
  stillMissing: number;
}

/**
 * Background replication, the cooperative way: every sync cycle each printer
 *  1. works out, with rendezvous hashing over the printers online (the coordinator's view, so all
 *     printers agree), which 1 MiB chunks of each feed are its own share;
 *  2. dials the cloud seeder only if it misses blocks of its own share (or blocks the LAN has failed
 *     to deliver for `backgroundLanDeadlineMs`), fetches exactly those, and hangs up;
 *  3. fetches everything else from LAN peers, with the cloud disconnected, in small batches under
 *     its bandwidth cap, yielding to any on-demand fetch.
 * So each block crosses the WAN about once per venue, and peers then spread it on the LAN.
 */
export interface BackgroundReplicatorOptions {
  /**
   * `mesh` as described above; `star-periodic` (the seed patent's baseline, for the simulator): every
   * cycle pulls all missing blocks from the cloud, no LAN phase, cycles only on the schedule's
   * interval boundaries (`nextStarPullAt`), never woken early.
   */
  mode?: 'mesh' | 'star-periodic';
  mesh: VenueMesh;
  cloud: CloudSessions;
  gate: PriorityGate;
  replicas: () => EventReplica[];
  profile: () => PrinterProfile | null;
  selfKey: string;
  clock: Clock;
  rng: Rng;
  schedule: SyncSchedule;
  bucket: TokenBucket;
  logger: MeshLogger;
}

export class BackgroundReplicator {
  readonly #o: BackgroundReplicatorOptions;
  #closed = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  #lastRunAt: number | null = null;
  /** Per event: since when non-owned blocks have been missing although the LAN was asked. */
  readonly #lanWaitSince = new Map<string, number>();
  readonly #abort = new AbortController();
  /** Since when the cloud has been reachable (null: it is not); see backgroundWaitedMs. */
  #cloudReachableSince: number | null;
  /** When photos last arrived here from anywhere: the venue is still being served. */
  #progressAt = 0;
  cycles = 0;

  constructor(opts: BackgroundReplicatorOptions) {
    this.#o = opts;
    this.#cloudReachableSince = opts.clock.now();
  }

  /** Bytes arrived (LAN or cloud). */
  noteProgress(now: number): void {
    this.#progressAt = now;
  }

  /** Whether the coordinator / cloud seeder answered; the LAN deadline only runs while it does. */
  cloudReachable(ok: boolean, now: number): void {
    if (!ok) this.#cloudReachableSince = null;
    else if (this.#cloudReachableSince === null) this.#cloudReachableSince = now;
  }

  ready(): void {
    this.#loop = this.#run();
  }

  /** Runs a cycle soon (new feed head, new peer); a star-periodic node keeps to its timer. */
  wake(): void {
    if (this.#star) return;
    this.#wake?.();
  }

  get #star(): boolean {
    return this.#o.mode === 'star-periodic';
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#abort.abort();
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    await this.#o.mesh.settle(MESH_SETTLE_MS);
    while (!this.#closed) {
      const now = this.#o.clock.now();
      const due = this.#star
        ? nextStarPullAt(this.#o.schedule.intervalMs, this.#lastRunAt, now)
        : nextSyncAt(this.#o.schedule, this.#lastRunAt, now);
      if (due > now) await this.#sleepUntilWoken(due - now);
      if (this.#closed) return;
      if (!isSyncAllowed(this.#o.schedule, this.#o.clock.now()) && this.#lastRunAt !== null) {
        // A star boundary outside the sync windows is skipped, not retried until the clock moves on.
        if (this.#star) this.#lastRunAt = this.#o.clock.now();
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
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
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
    const report: CycleReport = { cloudBlocksRequested: 0, lanBlocksRequested: 0, stillMissing: 0 };
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
    const plans: Array<{ replica: EventReplica; cloud: number[]; lan: number[] }> = [];
    for (const replica of this.#o.replicas()) {
      const head = profile.feeds.find((f) => f.eventId === replica.eventId)?.head;
      const length = Math.max(head?.blobsLength ?? 0, replica.blobsCore.length);
      const owned: number[] = [];
      const others: number[] = [];
      for (let chunk = 0; chunk < chunkCountFor(length); chunk++) {
        const mine = shares.ownerOf(replica.descriptor.blobsKey, chunk) === this.#o.selfKey;
        const end = Math.min(length, (chunk + 1) * RESPONSIBILITY_CHUNK_BLOCKS);
        for (let block = chunk * RESPONSIBILITY_CHUNK_BLOCKS; block < end; block++) {
          if (!(await replica.blobsCore.has(block))) (mine ? owned : others).push(block);
        }
      }
      const waitingSince = this.#lanWaitSince.get(replica.eventId);
      const overdue =
        waitingSince !== undefined &&
        backgroundWaitedMs(waitingSince, this.#cloudReachableSince, this.#progressAt, now) >=
          DEFAULT_SOURCE_CONFIG.backgroundLanDeadlineMs;
      const catalogBehind = (head?.catalogLength ?? 0) > replica.catalog.core.contiguousLength;
      const catalogMine = shares.ownerOf(replica.descriptor.catalogKey, 0) === this.#o.selfKey;
      const allFromCloud = overdue || this.#star;
      plans.push({
        replica,
        cloud: allFromCloud ? [...owned, ...others] : owned,
        lan: allFromCloud ? [] : others,
      });
      const plan = plans.at(-1)!;
      const catalogFromCloud = this.#star ? plan.cloud.length === 0 : owned.length === 0 && !overdue && catalogMine;
      if (catalogBehind && catalogFromCloud) plan.cloud.push(-1);
    }

    // Cloud phase: only this printer's share (and overdue blocks) are requested while it is attached.
    const cloudWork = plans.filter((p) => p.cloud.length > 0);
    if (cloudWork.length > 0) {
      await this.#o.gate.waitForTurn();
      const session = await this.#o.cloud.acquire();
      this.cloudReachable(session.connected, this.#o.clock.now());
      try {
        if (session.connected) {
          for (const plan of cloudWork) {
            const blocks = plan.cloud.filter((b) => b >= 0);
            report.cloudBlocksRequested += blocks.length;
            if (blocks.length === 0) await plan.replica.updateCatalog();
            await this.#fetchBlocks(plan.replica, blocks, CLOUD_BATCH_STALL_MS);
          }
        }
      } finally {
        session.release();
        this.#o.cloud.hangUpIfIdle();
      }
    }

    // LAN phase: everything else, from the venue's printers, rarest images first after a random start.
    for (const plan of plans) {
      if (this.#closed || plan.lan.length === 0) continue;
      const ordered = await this.#lanOrder(plan.replica, plan.lan);
      report.lanBlocksRequested += ordered.length;
      await this.#fetchBlocks(plan.replica, ordered, LAN_BATCH_STALL_MS);
      let missing = 0;
      for (const b of plan.lan) if (!(await plan.replica.blobsCore.has(b))) missing++;
      report.stillMissing += missing;
      await plan.replica.announceHoldings();
      if (missing === 0) this.#lanWaitSince.delete(plan.replica.eventId);
      else if (!this.#lanWaitSince.has(plan.replica.eventId)) this.#lanWaitSince.set(plan.replica.eventId, now);
    }
    return report;
  }

  /** Orders missing blocks image by image (random-first, then rarest-first); blocks outside images last. */
  async #lanOrder(replica: EventReplica, blocks: number[]): Promise<number[]> {
    const wanted = new Set(blocks);
    const entries = await replica.entries();
    const held = (await Promise.all(entries.map((e) => replica.holds(e)))).filter(Boolean).length;
    const bySeq = new Map(entries.map((e) => [e.seq, e]));
    const candidates = entries
      .filter((e) => {
        for (let i = e.blob.blockOffset; i < e.blob.blockOffset + e.blob.blockLength; i++)
          if (wanted.has(i)) return true;
        return false;
      })
      .map((e) => ({ seq: e.seq, holders: replica.have.holders(e.seq) }));
    const out: number[] = [];
    for (const seq of backgroundOrder({ candidates, held, rng: this.#o.rng })) {
      const e = bySeq.get(seq)!;
      for (let i = e.blob.blockOffset; i < e.blob.blockOffset + e.blob.blockLength; i++) {
        if (wanted.delete(i)) out.push(i);
      }
    }
    return [...out, ...wanted];
  }

  /** Fetches blocks in small batches under the bandwidth cap, yielding to on-demand fetches. */
  async #fetchBlocks(replica: EventReplica, blocks: number[], stallMs: number): Promise<void> {
    // A few batches in flight keep the pipe full between round trips; each stays small enough that
    // an on-demand fetch waits behind little (the batches stop the moment one starts).
    let next = 0;
    let stop = false;
    const worker = async () => {
      while (!stop && !this.#closed && next < blocks.length) {
        const start = next;
        next += BACKGROUND_BATCH_BLOCKS;
        const done = await this.#fetchBatch(replica, blocks.slice(start, start + BACKGROUND_BATCH_BLOCKS), stallMs);
        if (!done) stop = true;
      }
    };
    await Promise.all(Array.from({ length: BACKGROUND_PARALLEL_BATCHES }, worker));
  }

  /** One batch, retried after any on-demand interruption; false when it stalled or failed. */
  async #fetchBatch(replica: EventReplica, batch: number[], stallMs: number): Promise<boolean> {
    for (;;) {
      await this.#o.gate.waitForTurn();
      const wait = this.#o.bucket.take(batch.length * FEED_BLOCK_BYTES, this.#o.clock.now());
      if (wait > 0) await sleep(wait, undefined, { signal: this.#abort.signal }).catch(() => {});
      if (this.#closed) return false;
      const range = replica.blobsCore.download({ blocks: batch });
      const interrupted = this.#o.gate.nextOnDemand().then(() => 'interrupted' as const);
      const outcome = await Promise.race([
        range.done().then(
          () => 'done' as const,
          () => 'failed' as const,
        ),
        sleep(stallMs, 'stalled' as const, { signal: this.#abort.signal }).catch(() => 'closed' as const),
        interrupted,
      ]);
      range.destroy();
      if (outcome === 'interrupted') continue; // the same batch again once the fan is served
      return outcome === 'done';
    }
  }
}
