import { readFile } from 'node:fs/promises';
import { type SeqRange, toSeqRanges } from '../shared/feed/seq-ranges.ts';
import { PRIVATE_FILE_MODE } from '../shared/fs/private-files.ts';
import { writeAtomically } from '../shared/fs/write-atomically.ts';
import { hashString32 } from '../shared/policy/hash32.ts';
import type { Clock, Timer } from '../shared/ports/clock.ts';
import type { StructuredLogger } from '../shared/ports/logger.ts';
import { type PrinterProfile, type PrinterStatusReport, printerProfileSchema } from '../shared/protocol/printer-api.ts';
import { type CoordinatorClient, CoordinatorError } from './coordinator-client.ts';
import type { HoldingsScan } from './mesh/event-replica.ts';

/** Until paired, the node asks the coordinator this often whether an operator has paired it. */
export const PAIRING_POLL_MS = 3_000;
/** A refresh asked for out of schedule (refreshSoon) starts at least this long after the previous one began. */
export const PROFILE_REFRESH_SOON_GAP_MS = 2_000;
/**
 * …and is put off by up to this long, by the printer's key: a station paired at a venue of 500 knocks
 * on every printer at once, and their refreshes should not reach the coordinator in the same moment.
 */
export const PROFILE_REFRESH_SOON_SPREAD_MS = 500;

/** What the sync does with what it learns; the node runtime implements it. */
export interface ProfileSyncHooks {
  /** The coordinator answered (true) or could not be reached (false). */
  cloudReachable(reachable: boolean): void;
  /** A new profile, asked for at `askedAt` (epoch ms): follow its membership and open its feeds. */
  apply(profile: PrinterProfile, feedsGrew: boolean, askedAt: number): Promise<void>;
  /** The uplink works: report what was redeemed without it. */
  uplinkUp(): Promise<void>;
  scanHoldings(): Promise<HoldingsScan[]>;
  statusReport(scans: HoldingsScan[]): Promise<PrinterStatusReport>;
  /** Tells LAN peers what this printer holds of one event. */
  announce(scan: HoldingsScan): Promise<void>;
  /** A write to the data directory failed (the profile cache is only a cache). */
  storageFailed(err: unknown): void;
  /** A scheduled refresh failed (it is tried again on the next one). */
  refreshFailed(err: Error): void;
}

export interface ProfileSyncOptions {
  client: CoordinatorClient;
  clock: Clock;
  logger: StructuredLogger;
  /** The last profile, for a restart with no cloud. */
  cachePath: string;
  pairingCode: string;
  intervalMs: number;
  hooks: ProfileSyncHooks;
  /** Closes the sync when aborted (the owner began closing, maybe while waiting to be paired). */
  signal?: AbortSignal;
}

/**
 * The printer's view of its venue, kept in step with the coordinator: waits to be paired, keeps the
 * last profile on disk, and every `intervalMs` fetches the profile, reports status and have-lists.
 */
export class ProfileSync {
  readonly #o: ProfileSyncOptions;
  #profile: PrinterProfile | null = null;
  #timer: Timer | null = null;
  /** When the scheduled refresh is due (epoch ms; null: none scheduled). */
  #dueAt: number | null = null;
  /** A scheduled refresh is running. */
  #running = false;
  /** refreshSoon() was asked while one ran: the next follows after the gap, not the interval. */
  #soonWanted = false;
  #lastRefreshAt = Number.NEGATIVE_INFINITY;
  /** This printer's share of PROFILE_REFRESH_SOON_SPREAD_MS. */
  readonly #spreadMs: number;
  /** The coordinator refused have-lists as seq ranges (it is older than them): send image ids. */
  #holdingsAsIds = false;
  #closed = false;
  readonly #closer = new AbortController();
  #lastHoldings = new Map<string, string>();

  constructor(opts: ProfileSyncOptions) {
    this.#o = opts;
    this.#spreadMs = hashString32(opts.pairingCode) % PROFILE_REFRESH_SOON_SPREAD_MS;
    if (opts.signal?.aborted) this.close();
    else opts.signal?.addEventListener('abort', () => this.close(), { once: true });
  }

  get profile(): PrinterProfile | null {
    return this.#profile;
  }

  /** Waits until an operator pairs this printer; starts from the cached profile when the cloud is unreachable. */
  async waitForProfile(): Promise<PrinterProfile> {
    const { client, logger, cachePath } = this.#o;
    for (let attempt = 0; ; attempt++) {
      try {
        const profile = await client.me();
        // Only a cache: a full disk must not pass for an unreachable coordinator.
        await writeAtomically(cachePath, JSON.stringify(profile), { mode: PRIVATE_FILE_MODE }).catch((err: unknown) =>
          this.#o.hooks.storageFailed(err),
        );
        this.#profile = profile;
        return profile;
      } catch (err) {
        if (err instanceof CoordinatorError && err.status === 403) {
          if (attempt === 0)
            logger.warn({ pairingCode: this.#o.pairingCode }, 'not paired yet: ask an operator to pair this code');
        } else {
          const cached = await this.#readCache();
          if (cached) {
            logger.warn(
              { err: (err as Error).message },
              'coordinator unreachable: starting from the last known profile',
            );
            this.#profile = cached;
            return cached;
          }
          if (attempt === 0) logger.warn({ err: (err as Error).message }, 'coordinator unreachable; retrying');
        }
        if (this.#closed) throw err;
        await this.#o.clock.sleep(PAIRING_POLL_MS, this.#closer.signal).catch(() => {});
        if (this.#closed) throw err;
      }
    }
  }

  /** Refreshes every intervalMs until closed. */
  start(): void {
    if (this.#closed || this.#timer || this.#running) return;
    this.#schedule(this.#o.intervalMs);
  }

  /**
   * Refreshes out of schedule, as soon as PROFILE_REFRESH_SOON_GAP_MS after the last refresh began
   * (something suggests the venue changed: an unknown station knocked). Only once started.
   */
  refreshSoon(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#soonWanted = true;
      return;
    }
    if (this.#dueAt === null) return;
    const at = Math.max(this.#o.clock.now() + this.#spreadMs, this.#lastRefreshAt + PROFILE_REFRESH_SOON_GAP_MS);
    if (at < this.#dueAt) this.#schedule(at - this.#o.clock.now());
  }

  #schedule(delayMs: number): void {
    this.#timer?.cancel();
    this.#dueAt = this.#o.clock.now() + delayMs;
    this.#timer = this.#o.clock
      .setTimeout(async () => {
        this.#timer = null;
        this.#dueAt = null;
        this.#running = true;
        try {
          await this.refresh();
        } catch (err) {
          this.#o.hooks.refreshFailed(err as Error);
        } finally {
          this.#running = false;
        }
        if (this.#closed) return;
        const soon = this.#soonWanted;
        this.#soonWanted = false;
        this.#schedule(soon ? PROFILE_REFRESH_SOON_GAP_MS : this.#o.intervalMs);
      }, delayMs)
      .unref();
  }

  /** Fetches the profile, opens new feeds, reports status and holdings. */
  async refresh(): Promise<void> {
    if (this.#closed) return;
    const { client, hooks } = this.#o;
    const askedAt = this.#o.clock.now();
    this.#lastRefreshAt = askedAt;
    let profile: PrinterProfile;
    try {
      profile = await client.me();
      hooks.cloudReachable(true);
    } catch (err) {
      if (err instanceof CoordinatorError && err.code === 'coordinator_unreachable') hooks.cloudReachable(false);
      throw err;
    }
    const before = this.#profile;
    const grew = profile.feeds.some((f) => {
      const had = before?.feeds.find((x) => x.eventId === f.eventId)?.head.blobsLength ?? -1;
      return f.head.blobsLength > had;
    });
    if (JSON.stringify(profile) !== JSON.stringify(before)) {
      // A restart with no cloud starts from this: its peers' DHT addresses and the orders feed.
      await writeAtomically(this.#o.cachePath, JSON.stringify(profile), { mode: PRIVATE_FILE_MODE }).catch(
        (err: unknown) => hooks.storageFailed(err),
      );
    }
    this.#profile = profile;
    await hooks.apply(profile, grew, askedAt);
    await hooks.uplinkUp().catch((err: unknown) => {
      this.#o.logger.warn({ err }, 'offline redemptions not reported yet; retrying on the next refresh');
    });
    const scans = await hooks.scanHoldings();
    await client.putStatus(await hooks.statusReport(scans));
    for (const scan of scans) {
      await hooks.announce(scan);
      const held = toSeqRanges(scan.held.map((e) => e.seq));
      const digest = JSON.stringify(held);
      if (this.#lastHoldings.get(scan.eventId) === digest) continue;
      await this.#putHoldings(scan, held);
      this.#lastHoldings.set(scan.eventId, digest);
    }
  }

  async #putHoldings(scan: HoldingsScan, ranges: readonly SeqRange[]): Promise<void> {
    const { client, logger } = this.#o;
    if (!this.#holdingsAsIds) {
      try {
        await client.putHoldings(scan.eventId, ranges);
        return;
      } catch (err) {
        // A coordinator older than seq ranges refuses them as input it does not know.
        if (!(err instanceof CoordinatorError && err.code === 'invalid_input')) throw err;
        this.#holdingsAsIds = true;
        logger.warn({ err: err.message }, 'the coordinator refused a have-list as seq ranges: sending image ids');
      }
    }
    await client.putHeldImageIds(
      scan.eventId,
      scan.held.map((e) => e.imageId),
    );
  }

  close(): void {
    this.#closed = true;
    this.#closer.abort();
    this.#timer?.cancel();
    this.#timer = null;
    this.#dueAt = null;
  }

  /** The cached profile, if there is one this build can read (a damaged cache is no profile). */
  async #readCache(): Promise<PrinterProfile | null> {
    const text = await readFile(this.#o.cachePath, 'utf8').catch(() => null);
    if (text === null) return null;
    try {
      const parsed = printerProfileSchema.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data;
    } catch {
      // not JSON: fall through
    }
    this.#o.logger.warn({ file: this.#o.cachePath }, 'the cached profile is damaged; waiting for the coordinator');
    return null;
  }
}
