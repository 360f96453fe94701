/**
 * When a printer counts as offline or lagging: the thresholds and the one rule, shared by the
 * dashboard rows and the alerts (kept apart from both so neither imports the other).
 */

/** A printer not heard from for this long is offline (it reports every 10 s by default). */
export const OFFLINE_ALERT_MS = 2 * 60_000;
/** An event whose oldest missing image is older than this on a printer is lagging there. */
export const LAG_ALERT_MS = 5 * 60_000;

/** What liveness is judged from: the printer's last request, else when it was paired. */
export interface AliveSince {
  lastSeenAt: number | null;
  pairedAt: number;
}

export interface AlertThresholds {
  offlineAlertMs: number;
  lagAlertMs: number;
}

export const DEFAULT_ALERT_THRESHOLDS: AlertThresholds = {
  offlineAlertMs: OFFLINE_ALERT_MS,
  lagAlertMs: LAG_ALERT_MS,
};

/** The last moment the printer was known alive: its last request, else when it was paired. */
export function lastAliveAt(row: AliveSince): number {
  return row.lastSeenAt ?? row.pairedAt;
}

export function isOffline(row: AliveSince, now: number, t: AlertThresholds): boolean {
  return now - lastAliveAt(row) > t.offlineAlertMs;
}
