import type { Logger } from 'pino';
import type { Clock, Timer } from '../../shared/ports/clock.ts';
import type { Store } from '../store/port.ts';
import { type Alert, type AlertThresholds, computeAlerts, conflictAlerts, MAX_CONFLICT_ALERTS } from './alerts.ts';
import { buildConflictViews, OrderCodes } from './conflict-views.ts';
import { buildPrinterRows, type PrinterRow, ThroughputTracker } from './printer-rows.ts';

/** How often the dashboard stream re-reads printer state (printers report every 10 s by default). */
export const OPS_STREAM_POLL_MS = 2_000;

export interface OpsSnapshot {
  generatedAt: number;
  thresholds: AlertThresholds;
  rows: PrinterRow[];
  alerts: Alert[];
}

/** What changed since the previous snapshot: whole rows (replace by id), and the full alert list. */
export interface OpsUpdate {
  generatedAt: number;
  changed: PrinterRow[];
  removed: string[];
  /** Every row id in display order (rows move when a printer is paired or revoked). */
  order: string[];
  alerts: Alert[];
}

export type OpsMessage = { type: 'snapshot'; data: OpsSnapshot } | { type: 'update'; data: OpsUpdate };
export type OpsListener = (message: OpsMessage) => void;

/** Snapshot → update; null when nothing a viewer would see has changed. */
export function diffSnapshots(before: OpsSnapshot, after: OpsSnapshot): OpsUpdate | null {
  const old = new Map(before.rows.map((r) => [r.id, JSON.stringify(r)]));
  const changed = after.rows.filter((r) => old.get(r.id) !== JSON.stringify(r));
  const present = new Set(after.rows.map((r) => r.id));
  const removed = before.rows.map((r) => r.id).filter((id) => !present.has(id));
  const alertsChanged = JSON.stringify(before.alerts) !== JSON.stringify(after.alerts);
  const orderChanged = before.rows.map((r) => r.id).join() !== after.rows.map((r) => r.id).join();
  if (changed.length === 0 && removed.length === 0 && !alertsChanged && !orderChanged) return null;
  return {
    generatedAt: after.generatedAt,
    changed,
    removed,
    order: after.rows.map((r) => r.id),
    alerts: after.alerts,
  };
}

/**
 * One poller per process, shared by every open dashboard: it reads the store on an interval only
 * while someone watches, and fans the changes out. Several coordinator instances each poll the
 * shared store, so a report received by any of them reaches every dashboard.
 */
export class OpsMonitor {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #thresholds: AlertThresholds;
  readonly #pollMs: number;
  readonly #logger: Logger;
  readonly #throughput = new ThroughputTracker();
  readonly #orderCodes = new OrderCodes();
  readonly #listeners = new Set<OpsListener>();
  /** Subscribed before the first snapshot existed: they get a full one next. */
  readonly #awaitingSnapshot = new Set<OpsListener>();
  #last: OpsSnapshot | null = null;
  #timer: Timer | null = null;
  #closed = false;
  #polling: Promise<void> | null = null;

  constructor(opts: { store: Store; clock: Clock; thresholds: AlertThresholds; pollMs: number; logger: Logger }) {
    this.#store = opts.store;
    this.#clock = opts.clock;
    this.#thresholds = opts.thresholds;
    this.#pollMs = opts.pollMs;
    this.#logger = opts.logger;
  }

  get subscriberCount(): number {
    return this.#listeners.size;
  }

  /** A fresh snapshot (also what the dashboard page renders before its stream connects). */
  async snapshot(): Promise<OpsSnapshot> {
    const store = this.#store;
    const [printers, reports, venues, events, conflicts] = await Promise.all([
      store.listPrinters(),
      store.listPrinterReports(),
      store.listVenues(),
      store.listEvents(),
      // One more than shown tells whether there are others.
      store.listConflicts({ acknowledged: false }, MAX_CONFLICT_ALERTS + 1),
    ]);
    const now = this.#clock.now();
    const rows = buildPrinterRows({
      printers,
      reports,
      venueNames: new Map(venues.map((v) => [v.id, v.name])),
      eventNames: new Map(events.map((e) => [e.id, e.name])),
      now,
      thresholds: this.#thresholds,
      throughput: this.#throughput,
    });
    const conflictViews = await buildConflictViews({ store, conflicts, printers, codes: this.#orderCodes });
    const alerts = [
      ...computeAlerts(rows, now, this.#thresholds),
      ...conflictAlerts(conflictViews, conflicts.length > MAX_CONFLICT_ALERTS),
    ];
    return { generatedAt: now, thresholds: this.#thresholds, rows, alerts };
  }

  /** Starts with a full snapshot, then updates as they happen. Returns the unsubscribe function. */
  subscribe(listener: OpsListener): () => void {
    // Closed with the app: a late viewer gets nothing rather than restarting the polling.
    if (this.#closed) return () => {};
    this.#listeners.add(listener);
    if (this.#last) listener({ type: 'snapshot', data: this.#last });
    else this.#awaitingSnapshot.add(listener);
    if (!this.#timer && !this.#polling) void this.pollNow();
    return () => {
      this.#listeners.delete(listener);
      this.#awaitingSnapshot.delete(listener);
      if (this.#listeners.size === 0) this.#stop();
    };
  }

  /** One poll now (tests call it instead of waiting for the interval); concurrent calls share one. */
  pollNow(): Promise<void> {
    this.#polling ??= this.#poll().finally(() => {
      this.#polling = null;
      this.#schedule();
    });
    return this.#polling;
  }

  async #poll(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = null;
    let next: OpsSnapshot;
    try {
      next = await this.snapshot();
    } catch (err) {
      // The store may be briefly unreachable; the next poll tries again and the page keeps its rows.
      this.#logger.warn({ err }, 'ops dashboard poll failed');
      return;
    }
    if (this.#listeners.size === 0) return;
    const update = this.#last ? diffSnapshots(this.#last, next) : null;
    this.#last = next;
    for (const listener of this.#listeners) {
      if (this.#awaitingSnapshot.has(listener)) listener({ type: 'snapshot', data: next });
      else if (update) listener({ type: 'update', data: update });
    }
    this.#awaitingSnapshot.clear();
  }

  #schedule(): void {
    if (this.#closed || this.#listeners.size === 0 || this.#timer) return;
    this.#timer = this.#clock.setTimeout(() => void this.pollNow(), this.#pollMs).unref();
  }

  /** Stops polling for good; open streams end on their own. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#listeners.clear();
    this.#awaitingSnapshot.clear();
    this.#stop();
  }

  #stop(): void {
    this.#timer?.cancel();
    this.#timer = null;
    // A later viewer starts from a fresh snapshot, not one from before the pause.
    this.#last = null;
  }
}
