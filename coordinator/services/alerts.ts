import { NO_PRINTER_ID } from '../store/offline-records.ts';
import { type ConflictView, joinNames } from './conflict-views.ts';
import { type AlertThresholds, isOffline, lastAliveAt } from './liveness.ts';
import type { PrinterRow } from './printer-rows.ts';
import { rollAlertMessages } from './station-rows.ts';

/**
 * Operator alerts, computed from the dashboard rows and the time alone (no I/O), so every rule is
 * unit-tested and the dashboard, the stream and any later pager integration agree.
 */

export {
  type AlertThresholds,
  DEFAULT_ALERT_THRESHOLDS,
  isOffline,
  LAG_ALERT_MS,
  lastAliveAt,
  OFFLINE_ALERT_MS,
} from './liveness.ts';

/** Unacknowledged conflicts shown one alert each; beyond, one alert sends operators to the Conflicts page. */
export const MAX_CONFLICT_ALERTS = 20;
export const CONFLICTS_PAGE = '/ops/conflicts';

export type AlertKind = 'offline' | 'paper_out' | 'printer_fault' | 'lag' | 'conflict' | 'job_log_damaged' | 'roll_low';
export type AlertSeverity = 'critical' | 'warning';

export interface Alert {
  /**
   * Stable while the condition lasts: `${kind}:${printerId}` (+ `:${eventId}` for lag);
   * `conflict:${conflictId}` until the conflict is acknowledged.
   */
  id: string;
  kind: AlertKind;
  severity: AlertSeverity;
  /** Null when the alert is about no single printer (the "more conflicts" summary). */
  printerId: string | null;
  printerName: string | null;
  eventId: string | null;
  /** One sentence an operator can act on. */
  message: string;
  /** The page where the operator acts on it, when that is not the dashboard. */
  href?: string;
}

/** Printer states (edge-node/printing/port.ts) in which fans wait for nothing. */
const FAULT_STATES = new Set(['cover_open', 'error', 'offline']);

function minutes(ms: number): string {
  const m = Math.floor(ms / 60_000);
  return m < 1 ? 'less than a minute' : m === 1 ? '1 minute' : `${m} minutes`;
}

/**
 * Alerts of every printer that is not revoked: critical ones first, then by printer name. An offline
 * printer gets only the offline alert: what it said about paper or lag before it fell silent is stale.
 */
export function computeAlerts(rows: readonly PrinterRow[], now: number, t: AlertThresholds): Alert[] {
  const alerts: Alert[] = [];
  for (const row of rows) {
    if (row.revoked) continue;
    const base = { printerId: row.id, printerName: row.name };
    if (isOffline(row, now, t)) {
      const silence = minutes(now - lastAliveAt(row));
      alerts.push({
        ...base,
        id: `offline:${row.id}`,
        kind: 'offline',
        severity: 'critical',
        eventId: null,
        message:
          row.lastSeenAt === null
            ? `${row.name} has not connected in the ${silence} since it was paired: check its power and network.`
            : `${row.name} has been silent for ${silence}: check its power and network.`,
      });
      continue;
    }
    if (row.printerState === 'paper_out') {
      alerts.push({
        ...base,
        id: `paper_out:${row.id}`,
        kind: 'paper_out',
        severity: 'critical',
        eventId: null,
        message: `${row.name} is out of paper: load a new roll.`,
      });
    } else if (row.printerState !== null && FAULT_STATES.has(row.printerState)) {
      alerts.push({
        ...base,
        id: `printer_fault:${row.id}`,
        kind: 'printer_fault',
        severity: 'critical',
        eventId: null,
        message: `${row.name}: ${row.printerDetail || row.printerState}`,
      });
    }
    if (row.jobLogDamagedLines) {
      alerts.push({
        ...base,
        id: `job_log_damaged:${row.id}`,
        kind: 'job_log_damaged',
        severity: 'warning',
        eventId: null,
        message: `${row.name} could not read ${row.jobLogDamagedLines} line(s) of its print job log at its last start: check its disk, and the orders it printed around then.`,
      });
    }
    for (const r of rollAlertMessages(row.name, row.photoPrinters ?? [])) {
      alerts.push({
        ...base,
        id: `${r.id}:${row.id}`,
        kind: 'roll_low',
        severity: 'warning',
        eventId: null,
        message: r.message,
      });
    }
    for (const e of row.events) {
      if (e.lagMs === null || e.lagMs <= t.lagAlertMs) continue;
      alerts.push({
        ...base,
        id: `lag:${row.id}:${e.eventId}`,
        kind: 'lag',
        severity: 'warning',
        eventId: e.eventId,
        message: `${row.name} is ${minutes(e.lagMs)} behind on ${e.eventName}: ${e.imagesTotal - e.imagesHeld} photos still to fetch.`,
      });
    }
  }
  const rank = (a: Alert) => (a.severity === 'critical' ? 0 : 1);
  return alerts.sort(
    (a, b) => rank(a) - rank(b) || (a.printerName ?? '').localeCompare(b.printerName ?? '') || a.id.localeCompare(b.id),
  );
}

function orderLabel(view: ConflictView): string {
  return view.orderCode !== null ? `Order ${view.orderCode}` : `An order unknown here (id ${view.conflict.orderId})`;
}

function conflictMessage(view: ConflictView): string {
  const { conflict } = view;
  switch (conflict.kind) {
    case 'double_print': {
      const printers = view.otherPrinterNames.length
        ? joinNames([...view.otherPrinterNames, view.printerName])
        : `${view.printerName} and another printer`;
      return `${orderLabel(view)} was printed twice while offline: at ${printers} — refund or contact the fan.`;
    }
    case 'not_redeemable':
      return `${orderLabel(view)} was printed offline at ${view.printerName} although it could not be redeemed — check the order, then refund or contact the fan.`;
    case 'paid_after_cancel':
      return `${orderLabel(view)} was paid after it had been cancelled: ${conflict.detail}`;
    case 'unknown_order':
      return `${view.printerName} printed an order offline that its venue does not know (id ${conflict.orderId}) — check the printer's venue and the fan's receipt.`;
  }
}

/**
 * One warning per unacknowledged conflict (newest first, as listed), at most MAX_CONFLICT_ALERTS:
 * with `more` set, a last alert says there are others, so a burst of conflicts cannot bury the
 * printer alerts. Acknowledging a conflict on the Conflicts page removes its alert.
 */
export function conflictAlerts(views: readonly ConflictView[], more: boolean): Alert[] {
  const alerts: Alert[] = views.slice(0, MAX_CONFLICT_ALERTS).map((view) => ({
    id: `conflict:${view.conflict.id}`,
    kind: 'conflict',
    severity: 'warning',
    printerId: view.conflict.printerId === NO_PRINTER_ID ? null : view.conflict.printerId,
    printerName: view.conflict.printerId === NO_PRINTER_ID ? null : view.printerName,
    eventId: null,
    message: conflictMessage(view),
    href: CONFLICTS_PAGE,
  }));
  if (more || views.length > MAX_CONFLICT_ALERTS) {
    alerts.push({
      id: 'conflict:more',
      kind: 'conflict',
      severity: 'warning',
      printerId: null,
      printerName: null,
      eventId: null,
      message: `More than ${MAX_CONFLICT_ALERTS} offline conflicts are waiting: review them all on the Conflicts page.`,
      href: CONFLICTS_PAGE,
    });
  }
  return alerts;
}
