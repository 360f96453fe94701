import type Corestore from 'corestore';
import type Hypercore from 'hypercore';
import type { DownloadRange } from 'hypercore';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import { claimsCoreKey } from '../../shared/feed/orders-feed-layout.ts';
import { Resource } from '../../shared/lifecycle/resource.ts';
import { type HlcStamp, HybridClock } from '../../shared/policy/hlc.ts';
import {
  CLAIM_CLOCK_SKEW_MS,
  type ClaimLogRecord,
  type SeenClaimRecord,
} from '../../shared/policy/offline-claim-rule.ts';
import type { Clock, Timer } from '../../shared/ports/clock.ts';
import type { StructuredLogger } from '../../shared/ports/logger.ts';

/** A peer's claim record waits at most this long for its block once its log announced it. */
export const CLAIM_BLOCK_TIMEOUT_MS = 5_000;
/**
 * A record appended with `linger` waits at most this long for the next record to share its append.
 * Every append costs each printer following the log a round of Hypercore messages however small it
 * is (BENCHMARKS.md, bench:follow); an online order's `done` usually rides with the next claim.
 */
export const CLAIM_LINGER_MS = 1_000;
/** Propagation samples kept for the status report. */
const PROPAGATION_SAMPLES = 512;
/** A claims log record is a few dozen bytes; anything much larger is not one. */
const MAX_RECORD_BYTES = 1024;

const hlcSchema = z.object({ wall: z.number().int().min(0), count: z.number().int().min(0) }).strict();
const orderId = z.string().min(1).max(64);
const recordSchema = z.union([
  z
    .object({
      t: z.literal('claim'),
      orderId,
      hlc: hlcSchema,
      mode: z.enum(['online', 'offline', 'isolated']),
      units: z.number().int().min(0).max(10_000),
    })
    .strict(),
  z.object({ t: z.enum(['done', 'release', 'synced']), orderId, hlc: hlcSchema }).strict(),
]);

/** A record before the log stamps it. */
export type NewClaimLogRecord =
  | { t: 'claim'; orderId: string; mode: 'online' | 'offline' | 'isolated'; units: number }
  | { t: 'done' | 'release' | 'synced'; orderId: string };

/** Where small cores are registered before they are opened (the venue mesh's small-core overlay). */
export interface SmallCoreRegistry {
  register(coreKey: Uint8Array): void;
}

interface PeerLog {
  core: Hypercore;
  range: DownloadRange;
  next: number;
  draining: Promise<void> | null;
  /** Since when a peer serving this log is connected: records stamped after it arrived live. */
  connectedSince: number | null;
}

/**
 * The venue's claims logs as this printer sees them: its own (a Hypercore signed with its pairing
 * key, so every paired printer knows its key) and every paired peer's, replicated live over the
 * venue mesh (whose firewall admits paired printers only). Records are indexed by order. Peer
 * records that do not parse are skipped (a misbehaving peer can only write its own log, and
 * Hypercore rejects blocks not signed by the log's key). Emits 'record' (SeenClaimRecord) for peer
 * records as they arrive, with how long each took to get here when it was written while connected.
 */
export class ClaimsLog extends Resource {
  readonly selfKey: string;
  readonly #store: Corestore;
  readonly #keyPair: { publicKey: Buffer; secretKey: Buffer };
  readonly #encryption: { key: Buffer };
  readonly #clock: Clock;
  readonly #logger: StructuredLogger;
  readonly #hlc: HybridClock;
  readonly #overlay: SmallCoreRegistry | null;
  #own: Hypercore | null = null;
  readonly #peers = new Map<string, PeerLog>();
  readonly #byOrder = new Map<string, SeenClaimRecord[]>();
  readonly #propagationMs: number[] = [];
  #appending: Promise<unknown> = Promise.resolve();
  /** Lingering records, stamped, waiting for the next append or CLAIM_LINGER_MS. */
  #lingering: ClaimLogRecord[] = [];
  #lingerTimer: Timer | null = null;
  #closed = false;

  constructor(opts: {
    corestore: Corestore;
    keyPair: { publicKey: Buffer; secretKey: Buffer };
    encryptionKey: Buffer;
    clock: Clock;
    logger: StructuredLogger;
    /** The LAN overlay the logs replicate on (edge-node/mesh/lan-overlay.ts); none: every peer. */
    overlay?: SmallCoreRegistry;
  }) {
    super();
    this.#overlay = opts.overlay ?? null;
    this.#store = opts.corestore;
    this.#keyPair = opts.keyPair;
    this.#encryption = { key: opts.encryptionKey };
    this.#clock = opts.clock;
    this.#logger = opts.logger;
    this.selfKey = opts.keyPair.publicKey.toString('hex');
    this.#hlc = new HybridClock(() => this.#clock.now(), CLAIM_CLOCK_SKEW_MS);
  }

  protected override async _open(): Promise<void> {
    this.#overlay?.register(claimsCoreKey(this.#keyPair.publicKey));
    const own = this.#store.get({ keyPair: this.#keyPair, encryption: this.#encryption });
    await own.ready();
    this.#own = own;
    for (let seq = 0; seq < own.length; seq++) {
      const record = parseRecord(await own.get(seq, { timeout: CLAIM_BLOCK_TIMEOUT_MS }));
      if (!record) continue;
      // After a restart, stamps go on after the last one written, even if the wall clock stepped back.
      this.#hlc.observe(record.hlc);
      this.#index({ printerKey: this.selfKey, seq, record });
    }
  }

  /** Follows the logs of these printers (the venue's paired printers, from the coordinator). */
  async setPeers(keys: Iterable<string>): Promise<void> {
    for (const key of keys) {
      if (key === this.selfKey || this.#peers.has(key) || this.#closed || !/^[0-9a-f]{64}$/.test(key)) continue;
      const coreKey = claimsCoreKey(Buffer.from(key, 'hex'));
      this.#overlay?.register(coreKey);
      const core = this.#store.get({ key: coreKey, encryption: this.#encryption });
      const log: PeerLog = {
        core,
        range: core.download({ start: 0, end: -1 }),
        next: 0,
        draining: null,
        connectedSince: null,
      };
      this.#peers.set(key, log);
      core.on('append', () => this.#drain(key, log));
      core.on('peer-add', () => {
        log.connectedSince ??= this.#clock.now();
        this.#drain(key, log);
      });
      core.on('peer-remove', () => {
        if (core.peers.length === 0) log.connectedSince = null;
      });
      await core.ready();
      this.#drain(key, log);
    }
  }

  /**
   * Appends a record to this printer's log, stamped after everything it has seen; durable locally
   * when the promise resolves. Lingering records go in the same Hypercore append, before it.
   */
  append(record: NewClaimLogRecord): Promise<SeenClaimRecord> {
    const full = this.#stamp(record);
    return this.#write([...this.#takeLingering(), full]).then((seen) => seen[seen.length - 1]!);
  }

  /**
   * Stamps a record now and writes it with the next `append`, or on its own after CLAIM_LINGER_MS:
   * for records nobody waits for and whose loss in a crash only changes a refusal's wording (an
   * online order's `done`: the coordinator, not the claims logs, decides online orders).
   */
  linger(record: NewClaimLogRecord): void {
    if (this.#closed) return;
    this.#lingering.push(this.#stamp(record));
    this.#lingerTimer ??= this.#clock
      .setTimeout(() => {
        this.#lingerTimer = null;
        const records = this.#takeLingering();
        if (records.length > 0)
          this.#write(records).catch((err: unknown) =>
            this.#logger.warn({ err }, 'could not write lingering records to the claims log'),
          );
      }, CLAIM_LINGER_MS)
      .unref();
  }

  #stamp(record: NewClaimLogRecord): ClaimLogRecord {
    return { ...record, hlc: this.#hlc.now() } as ClaimLogRecord;
  }

  #takeLingering(): ClaimLogRecord[] {
    this.#lingerTimer?.cancel();
    this.#lingerTimer = null;
    const records = this.#lingering;
    this.#lingering = [];
    return records;
  }

  /** One Hypercore append of these records, in order, after the appends before it. */
  #write(records: ClaimLogRecord[]): Promise<SeenClaimRecord[]> {
    const run = this.#appending.then(async () => {
      const own = this.#own;
      if (!own) throw new AppError('shutting_down', 'The claims log is not open; the claim is not recorded.');
      const { length } = await own.append(records.map((r) => Buffer.from(JSON.stringify(r))));
      const first = length - records.length;
      const seen = records.map((record, i): SeenClaimRecord => ({ printerKey: this.selfKey, seq: first + i, record }));
      for (const s of seen) this.#index(s);
      return seen;
    });
    this.#appending = run.catch(() => {});
    return run;
  }

  /** Every record about the order, from every log followed, in no particular order. */
  recordsFor(orderId: string): SeenClaimRecord[] {
    return [...(this.#byOrder.get(orderId) ?? [])];
  }

  /** Peers whose log is being served by a connected peer right now. */
  liveLogs(): number {
    return [...this.#peers.values()].filter((l) => l.core.peers.length > 0).length;
  }

  stats(): { logs: number; records: number; propagationSamples: number; maxPropagationMs: number | null } {
    let records = 0;
    for (const list of this.#byOrder.values()) records += list.length;
    return {
      logs: this.#peers.size + 1,
      records,
      propagationSamples: this.#propagationMs.length,
      maxPropagationMs: this.#propagationMs.length > 0 ? Math.max(...this.#propagationMs) : null,
    };
  }

  protected override async _close(): Promise<void> {
    this.#closed = true;
    const lingering = this.#takeLingering();
    if (lingering.length > 0)
      await this.#write(lingering).catch((err: unknown) =>
        this.#logger.warn({ err }, 'could not write lingering records to the claims log'),
      );
    await this.#appending;
    for (const log of this.#peers.values()) log.range.destroy();
    await Promise.allSettled([...this.#peers.values()].map((l) => l.draining));
    await Promise.allSettled([this.#own?.close(), ...[...this.#peers.values()].map((l) => l.core.close())]);
    this.#peers.clear();
  }

  #drain(key: string, log: PeerLog): void {
    if (log.draining || this.#closed) return;
    log.draining = (async () => {
      while (!this.#closed && log.next < log.core.length) {
        const seq = log.next;
        let block: Buffer | null = null;
        try {
          block = await log.core.get(seq, { timeout: CLAIM_BLOCK_TIMEOUT_MS });
        } catch {
          return; // not here yet: the next append or peer-add drains again
        }
        log.next = seq + 1;
        const record = parseRecord(block);
        if (!record) {
          this.#logger.warn({ peer: key, seq }, 'skipped a claims log record that is not one');
          continue;
        }
        this.#hlc.observe(record.hlc);
        const seen: SeenClaimRecord = { printerKey: key, seq, record };
        this.#index(seen);
        this.#notePropagation(log, record.hlc);
        this.emit('record', seen);
      }
    })().finally(() => {
      log.draining = null;
      if (!this.#closed && log.next < log.core.length) this.#drain(key, log);
    });
  }

  /** How long a record written while connected took to arrive (writer and reader clocks agree on a LAN). */
  #notePropagation(log: PeerLog, stamp: HlcStamp): void {
    if (log.connectedSince === null || stamp.wall < log.connectedSince) return;
    this.#propagationMs.push(Math.max(0, this.#clock.now() - stamp.wall));
    if (this.#propagationMs.length > PROPAGATION_SAMPLES) this.#propagationMs.shift();
  }

  #index(seen: SeenClaimRecord): void {
    const list = this.#byOrder.get(seen.record.orderId);
    if (list) list.push(seen);
    else this.#byOrder.set(seen.record.orderId, [seen]);
  }
}

function parseRecord(block: Buffer | null): ClaimLogRecord | null {
  if (!block || block.byteLength > MAX_RECORD_BYTES) return null;
  try {
    const parsed = recordSchema.safeParse(JSON.parse(block.toString('utf8')));
    return parsed.success ? (parsed.data as ClaimLogRecord) : null;
  } catch {
    return null;
  }
}
