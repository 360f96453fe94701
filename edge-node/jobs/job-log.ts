import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError } from '../../shared/errors.ts';
import { readJournalLines } from '../../shared/fs/journal-lines.ts';
import { PRIVATE_FILE_MODE } from '../../shared/fs/private-files.ts';
import { Resource } from '../../shared/lifecycle/resource.ts';
import type { HlcStamp } from '../../shared/policy/hlc.ts';
import type { StructuredLogger } from '../../shared/ports/logger.ts';
import type { UnitTemplate } from '../../shared/templates/order-template.ts';
import { isDiskFull, storageFullError } from '../status/storage-health.ts';

/**
 * The edge node's durable job log: one JSON record a line, appended and fsync'd before the step it
 * records is acted on, so a restart (even after kill -9) knows exactly where each order stopped.
 *
 *   claimed   the coordinator gave us the order (units listed)
 *   printing  about to send a unit to the printer (written, not fsync'd: see append())
 *   printed   the printer accepted the unit
 *   confirmed the coordinator recorded the unit as printed
 *   closed    every unit printed and confirmed (or the order was given up, with a reason)
 *   reconciled the coordinator has this printer's offline claim and prints (offline redemption)
 *
 * A claim made with no cloud (`offline` on 'claimed') is not confirmed unit by unit: its units are
 * reported together with the claim when the uplink returns, then marked confirmed and reconciled.
 *
 * A unit "printing" but not "printed" after a crash is ambiguous: it is printed again, with the
 * same job id, so an adapter that can tell (the file printer) skips it and one that cannot prints it
 * once more: a duplicate print is recoverable at the counter, a lost one is not.
 */
export type JobRecord =
  | {
      t: 'claimed';
      orderId: string;
      code: string;
      /** The fan's signed code, to claim the order again after a restart. */
      token: string;
      eventId: string;
      units: Array<{ unit: number; imageId: string; copy: number; printedBefore: boolean; template?: UnitTemplate }>;
      /** Claimed on the venue LAN with no cloud: the claim's stamp in this printer's claims log. */
      offline?: OfflineClaim;
      at: number;
    }
  | { t: 'printing' | 'printed' | 'confirmed'; orderId: string; unit: number; at: number }
  | { t: 'closed'; orderId: string; outcome: 'done' | 'failed'; reason?: string; at: number }
  | { t: 'reconciled'; orderId: string; at: number };

export interface OfflineClaim {
  hlc: HlcStamp;
  mode: 'offline' | 'isolated';
}

export interface OrderProgress {
  orderId: string;
  code: string;
  token: string;
  eventId: string;
  units: Array<{ unit: number; imageId: string; copy: number; printedBefore: boolean; template?: UnitTemplate }>;
  printing: Set<number>;
  printed: Set<number>;
  confirmed: Set<number>;
  closed: boolean;
  outcome: 'done' | 'failed' | null;
  offline: OfflineClaim | null;
  /** The coordinator has the offline claim (always true for orders claimed online). */
  reconciled: boolean;
}

/** A Resource: ready() reads the log once, close() waits for the last append. */
export class JobLog extends Resource {
  readonly #path: string;
  #file: FileHandle | null = null;
  readonly #orders = new Map<string, OrderProgress>();
  #writing: Promise<void> = Promise.resolve();
  /** Bytes of whole, durable records: where a failed append is cut back to. */
  #size = 0;
  #torn = false;
  #damagedLines = 0;
  readonly #logger: StructuredLogger | undefined;

  constructor(path: string, opts: { logger?: StructuredLogger } = {}) {
    super();
    this.#path = path;
    this.#logger = opts.logger;
  }

  /**
   * Whole lines (not the torn tail of a crash) that could not be read at open: each is a step of an
   * order this printer no longer knows it took. Reported in the status, the metrics and on the
   * operators' dashboard; the coordinator keeps the authoritative order state.
   */
  get damagedLines(): number {
    return this.#damagedLines;
  }

  protected override async _open(): Promise<void> {
    // A torn last line (crash mid-write) is dropped by readJournalLines; the rest was fsync'd whole.
    const { text, lines } = await readJournalLines(this.#path);
    const damaged: number[] = [];
    for (const [index, line] of lines.entries()) {
      if (!line.trim()) continue;
      const record = parseRecord(line);
      // A damaged line cannot be trusted; it is skipped, counted and reported, never guessed at.
      if (record) this.#apply(record);
      else damaged.push(index + 1);
    }
    this.#damagedLines = damaged.length;
    if (damaged.length > 0) {
      this.#logger?.error(
        { file: this.#path, damagedLines: damaged.length, lineNumbers: damaged.slice(0, 20) },
        'job log has damaged lines: the steps they recorded are unknown here (the coordinator has the order state)',
      );
    }
    // Fans' full redemption tokens: readable by this printer's user only.
    this.#file = await open(this.#path, 'a', PRIVATE_FILE_MODE);
    if (!text.endsWith('\n') && text.length > 0) {
      await this.#file.write('\n');
      await this.#file.sync();
    }
    this.#size = (await this.#file.stat()).size;
  }

  /**
   * Appends and fsyncs; resolves once the record is durable. Calls are serialized.
   *
   * A 'printing' record is written but not fsync'd: after a crash a unit without 'printed' is
   * printed again with the same job id whether or not its 'printing' record survived, so the fan's
   * print need not wait for the disk first. The next record's fsync makes it durable with it.
   */
  append(record: JobRecord): Promise<void> {
    const write = this.#writing.then(async () => {
      const file = this.#file;
      if (!file) throw new AppError('shutting_down', 'The job log is closed; the step is not recorded.');
      const line = Buffer.from(`${JSON.stringify(record)}\n`);
      try {
        // A record cut short by a failed write is cut off first: the next record would be glued to
        // it, and both lost at the next start.
        if (this.#torn) await file.truncate(this.#size);
        this.#torn = false;
        const { bytesWritten } = await file.write(line, 0, line.length);
        // A short write to a regular file means the disk filled up mid-record.
        if (bytesWritten !== line.length) throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
        if (record.t !== 'printing') await file.sync();
      } catch (err) {
        this.#torn = true;
        await file.truncate(this.#size).then(
          () => {
            this.#torn = false;
          },
          () => {},
        );
        if (isDiskFull(err)) throw Object.assign(storageFullError(dirname(this.#path)), { cause: err });
        throw err;
      }
      this.#size += line.length;
      this.#apply(record);
    });
    this.#writing = write.catch(() => {});
    return write;
  }

  get(orderId: string): OrderProgress | undefined {
    return this.#orders.get(orderId);
  }

  /** Orders claimed here and not closed: to resume after a restart. */
  open(): OrderProgress[] {
    return [...this.#orders.values()].filter((o) => !o.closed);
  }

  /**
   * Units printed here whose confirmation has not reached the coordinator yet. Offline claims not
   * reconciled yet are left out: their units go with the claim (unreconciled()).
   */
  unconfirmed(): Array<{ orderId: string; unit: number }> {
    const out: Array<{ orderId: string; unit: number }> = [];
    for (const o of this.#orders.values()) {
      if (!o.reconciled) continue;
      for (const u of o.printed) if (!o.confirmed.has(u)) out.push({ orderId: o.orderId, unit: u });
    }
    return out;
  }

  /** Orders claimed with no cloud that the coordinator does not know yet, in claim order. */
  unreconciled(): OrderProgress[] {
    return [...this.#orders.values()]
      .filter((o) => o.offline !== null && !o.reconciled)
      .sort((a, b) => a.offline!.hlc.wall - b.offline!.hlc.wall || a.offline!.hlc.count - b.offline!.hlc.count);
  }

  protected override async _close(): Promise<void> {
    await this.#writing;
    await this.#file?.close();
    this.#file = null;
  }

  #apply(r: JobRecord): void {
    if (r.t === 'claimed') {
      const existing = this.#orders.get(r.orderId);
      // An offline claim stays to be reported even if the order is claimed online again meanwhile.
      const offline = r.offline ?? existing?.offline ?? null;
      this.#orders.set(r.orderId, {
        orderId: r.orderId,
        code: r.code,
        token: r.token,
        eventId: r.eventId,
        units: r.units,
        printing: existing?.printing ?? new Set(),
        printed: existing?.printed ?? new Set(),
        confirmed: existing?.confirmed ?? new Set(),
        closed: false,
        outcome: null,
        offline,
        reconciled: offline === null || (r.offline === undefined && (existing?.reconciled ?? true)),
      });
      return;
    }
    const order = this.#orders.get(r.orderId);
    if (!order) return;
    if (r.t === 'reconciled') order.reconciled = true;
    else if (r.t === 'closed') {
      order.closed = true;
      order.outcome = r.outcome;
    } else if (r.t === 'printing') order.printing.add(r.unit);
    else if (r.t === 'printed') order.printed.add(r.unit);
    else order.confirmed.add(r.unit);
  }
}

const RECORD_TYPES = new Set(['claimed', 'printing', 'printed', 'confirmed', 'closed', 'reconciled']);

/** A line as a record, or null when it is not one (bad JSON, or JSON of another shape). */
function parseRecord(line: string): JobRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  const r = value as { t?: unknown; orderId?: unknown } | null;
  if (typeof r !== 'object' || r === null || !RECORD_TYPES.has(r.t as string) || typeof r.orderId !== 'string') {
    return null;
  }
  return value as JobRecord;
}
