import { type ConflictView, joinNames } from './conflict-views.ts';
import type { PrinterRow } from './printer-rows.ts';
import { rollAlertMessages } from './station-view.ts';

/**
 * Operator alerts, computed from the dashboard rows and the time alone (no I/O), so every rule is
 * unit-tested and the dashboard, the stream and any later pager integration agree.
 */

/** A printer not heard from for this long is offline (it reports every 10 s by default). */
export const OFFLINE_ALERT_MS = 2 * 60_000;
/** An event whose oldest missing image is older than this on a printer is lagging there. */
export const LAG_ALERT_MS = 5 * 60_000;
/** Unacknowledged conflicts shown one alert each; beyond, one alert sends operators to the Conflicts page. */
export const MAX_CONFLICT_ALERTS = 20;
export const CONFLICTS_PAGE = '/ops/conflicts';

export interface AlertThresholds {
  offlineAlertMs: number;
  lagAlertMs: number;
}

export const DEFAULT_ALERT_THRESHOLDS: AlertThresholds = {
  offlineAlertMs: OFFLINE_ALERT_MS,
  lagAlertMs: LAG_ALERT_MS,
};

export type AlertKind = 'offline' | 'paper_out' | 'printer_fault' | 'lag' | 'conflict' | 'roll_low';
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

/** The last moment the printer was known alive: its last request, else when it was paired. */
export function lastAliveAt(row: Pick<PrinterRow, 'lastSeenAt' | 'pairedAt'>): number {
  return row.lastSeenAt ?? row.pairedAt;
}

export function isOffline(row: Pick<PrinterRow, 'lastSeenAt' | 'pairedAt'>, now: number, t: AlertThresholds): boolean {
  return now - lastAliveAt(row) > t.offlineAlertMs;
}

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
    printerId: view.conflict.printerId,
    printerName: view.printerName,
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
