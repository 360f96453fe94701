/**
 * When a printer may run background sync (pre-fetching the event's photos before anyone orders
 * them). On-demand fetches for an order at the printer ignore this schedule: a fan waiting at the
 * counter always wins.
 *
 * Why operator-configured windows: venues share their uplink with ticketing, card terminals and
 * streaming, and know when it is quiet (before doors open, at half-time, overnight). Windows
 * Delivery Optimization and BranchCache expose the same knobs (background caps and business-hours
 * schedules) for the same reason; Dragonfly runs background prefetch at a lower priority with its
 * own limits. Bandwidth inside a window is capped separately (token-bucket.ts).
 *
 * Semantics:
 *  - Times are wall-clock "HH:MM" at the venue, i.e. UTC shifted by `utcOffsetMinutes`. A fixed
 *    offset keeps this module pure; the edge node recomputes it (e.g. with Intl) when it loads the
 *    config, so a DST change is picked up on the next reload.
 *  - A window is half-open [start, end). `end` may be "24:00". A window with end < start crosses
 *    midnight: "22:00"–"06:00" runs from 22:00 to 06:00 the next morning.
 *  - `days` (0 = Sunday … 6 = Saturday) name the day the window OPENS: "22:00"–"06:00" on [5]
 *    runs Friday 22:00 to Saturday 06:00. Omitted `days` = every day.
 *  - No windows at all = always allowed.
 *  - Runs are at least `intervalMs` apart.
 */
import { AppError } from '../errors.ts';

export interface SyncWindow {
  /** "HH:MM", 00:00–23:59. */
  start: string;
  /** "HH:MM", 00:00–24:00. */
  end: string;
  /** Days the window opens on, 0 = Sunday … 6 = Saturday; omitted = every day. */
  days?: number[];
}

export interface SyncSchedule {
  intervalMs: number;
  windows: SyncWindow[];
  utcOffsetMinutes: number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** 1970-01-01 (day 0 of the epoch) was a Thursday. */
const EPOCH_WEEKDAY = 4;
const ALL_DAYS_MASK = 0b1111111;

/** Below this the background job would mostly poll; on-demand fetches do not wait for it anyway. */
export const MIN_SYNC_INTERVAL_MS = 1_000;
export const MAX_SYNC_WINDOWS = 64;
/** Real-world UTC offsets range from −12:00 to +14:00. */
export const MIN_UTC_OFFSET_MINUTES = -12 * 60;
export const MAX_UTC_OFFSET_MINUTES = 14 * 60;

interface CompiledWindow {
  startMs: number;
  endMs: number;
  dayMask: number;
}

function isDigit(d: number): boolean {
  return d >= 0 && d <= 9;
}

/** Milliseconds since local midnight for "HH:MM", or -1 when malformed. */
function parseClock(text: unknown, allowEndOfDay: boolean): number {
  if (typeof text !== 'string' || text.length !== 5 || text.charCodeAt(2) !== 58 /* ':' */) return -1;
  const h1 = text.charCodeAt(0) - 48;
  const h2 = text.charCodeAt(1) - 48;
  const m1 = text.charCodeAt(3) - 48;
  const m2 = text.charCodeAt(4) - 48;
  if (!(isDigit(h1) && isDigit(h2) && isDigit(m1) && isDigit(m2))) return -1;
  const hours = h1 * 10 + h2;
  const minutes = m1 * 10 + m2;
  if (minutes > 59) return -1;
  if (hours === 24 && minutes === 0 && allowEndOfDay) return DAY_MS;
  if (hours > 23) return -1;
  return hours * 3_600_000 + minutes * MINUTE_MS;
}

function dayMaskOf(days: readonly number[] | undefined): number {
  if (days === undefined) return ALL_DAYS_MASK;
  let mask = 0;
  for (const d of days) if (Number.isInteger(d) && d >= 0 && d <= 6) mask |= 1 << d;
  return mask;
}

function invalid(message: string): AppError {
  return new AppError('invalid_sync_schedule', message);
}

function compile(s: SyncSchedule): CompiledWindow[] {
  return s.windows.map((w, i) => {
    const startMs = parseClock(w.start, false);
    const endMs = parseClock(w.end, true);
    if (startMs < 0 || endMs < 0 || startMs === endMs) {
      throw invalid(`sync window ${i + 1} (${w.start}–${w.end}) is not a valid "HH:MM"–"HH:MM" range`);
    }
    return { startMs, endMs, dayMask: dayMaskOf(w.days) };
  });
}

function offsetMs(s: SyncSchedule): number {
  if (!Number.isFinite(s.utcOffsetMinutes)) throw invalid('utcOffsetMinutes must be a number of minutes');
  return s.utcOffsetMinutes * MINUTE_MS;
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** End of the occurrence of `w` that contains local time `local`, or -1 when none does. */
function containingEnd(w: CompiledWindow, local: number): number {
  const day = Math.floor(local / DAY_MS);
  const dayStart = day * DAY_MS;
  const msOfDay = local - dayStart;
  const weekday = mod(day + EPOCH_WEEKDAY, 7);
  const opensToday = (w.dayMask & (1 << weekday)) !== 0;
  if (w.startMs < w.endMs) {
    return opensToday && msOfDay >= w.startMs && msOfDay < w.endMs ? dayStart + w.endMs : -1;
  }
  // Crosses midnight: either it opened today and runs into tomorrow, or it opened yesterday.
  if (opensToday && msOfDay >= w.startMs) return dayStart + DAY_MS + w.endMs;
  const openedYesterday = (w.dayMask & (1 << mod(weekday - 1, 7))) !== 0;
  if (openedYesterday && msOfDay < w.endMs) return dayStart + w.endMs;
  return -1;
}

function allowedAtLocal(windows: readonly CompiledWindow[], local: number): boolean {
  if (windows.length === 0) return true;
  for (const w of windows) if (containingEnd(w, local) >= 0) return true;
  return false;
}

/** Human-readable problems with an operator's schedule; empty when it is usable. */
export function validateSchedule(s: SyncSchedule): string[] {
  const problems: string[] = [];
  if (typeof s.intervalMs !== 'number' || !Number.isFinite(s.intervalMs) || s.intervalMs < MIN_SYNC_INTERVAL_MS) {
    problems.push(`intervalMs must be a number of milliseconds ≥ ${MIN_SYNC_INTERVAL_MS}`);
  }
  if (
    !Number.isInteger(s.utcOffsetMinutes) ||
    s.utcOffsetMinutes < MIN_UTC_OFFSET_MINUTES ||
    s.utcOffsetMinutes > MAX_UTC_OFFSET_MINUTES
  ) {
    problems.push(
      `utcOffsetMinutes must be a whole number between ${MIN_UTC_OFFSET_MINUTES} and ${MAX_UTC_OFFSET_MINUTES}`,
    );
  }
  if (!Array.isArray(s.windows)) {
    problems.push('windows must be a list (empty = sync allowed at any time)');
    return problems;
  }
  if (s.windows.length > MAX_SYNC_WINDOWS) problems.push(`at most ${MAX_SYNC_WINDOWS} sync windows`);
  s.windows.forEach((w, i) => {
    const label = `window ${i + 1}`;
    const start = parseClock(w?.start, false);
    const end = parseClock(w?.end, true);
    if (start < 0) problems.push(`${label}: start must be "HH:MM" between 00:00 and 23:59`);
    if (end < 0) problems.push(`${label}: end must be "HH:MM" between 00:00 and 24:00`);
    if (start >= 0 && end >= 0 && start === end) {
      problems.push(`${label}: start equals end; use "00:00"–"24:00" for a whole day`);
    }
    if (w?.days !== undefined) {
      if (!Array.isArray(w.days)) {
        problems.push(`${label}: days must be a list of weekday numbers (0 = Sunday … 6 = Saturday)`);
      } else if (w.days.length === 0) {
        problems.push(`${label}: days is empty, so the window never opens; omit days for every day`);
      } else if (w.days.some((d) => !Number.isInteger(d) || d < 0 || d > 6)) {
        problems.push(`${label}: days must be weekday numbers 0 (Sunday) to 6 (Saturday)`);
      }
    }
  });
  return problems;
}

/** Throws an AppError listing every problem; for config loading. */
export function assertValidSchedule(s: SyncSchedule): void {
  const problems = validateSchedule(s);
  if (problems.length > 0) throw invalid(`invalid sync schedule: ${problems.join('; ')}`);
}

/** The "HH:MM" of `ms` at UTC (a window for a schedule with `utcOffsetMinutes: 0`). */
function utcClockTime(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

/**
 * A schedule whose only window is the minute from `startsAtMs` (UTC), checked every minute: sync is
 * shut from the end of that minute until the same minute the next day. Tests, benches and closed
 * emulation runs use it to keep background sync off.
 */
export function oneMinuteWindowSchedule(startsAtMs: number): SyncSchedule {
  return {
    intervalMs: MINUTE_MS,
    windows: [{ start: utcClockTime(startsAtMs), end: utcClockTime(startsAtMs + MINUTE_MS) }],
    utcOffsetMinutes: 0,
  };
}

export function isSyncAllowed(s: SyncSchedule, now: number): boolean {
  return allowedAtLocal(compile(s), now + offsetMs(s));
}

/**
 * The earliest time ≥ now that is at least `intervalMs` after the last run and inside a window.
 * Number.POSITIVE_INFINITY when no window can ever open (every window has an empty `days`).
 */
export function nextSyncAt(s: SyncSchedule, lastRunAt: number | null, now: number): number {
  if (!(Number.isFinite(s.intervalMs) && s.intervalMs >= 0)) throw invalid('intervalMs must be ≥ 0');
  const windows = compile(s);
  const off = offsetMs(s);
  const earliest = lastRunAt === null ? now : Math.max(now, lastRunAt + s.intervalMs);
  const local = earliest + off;
  if (allowedAtLocal(windows, local)) return earliest;
  // Not inside a window: the answer is the next opening. Every weekday recurs within 8 local days.
  const firstDay = Math.floor(local / DAY_MS);
  let best = Number.POSITIVE_INFINITY;
  for (let day = firstDay; day <= firstDay + 7; day++) {
    const weekdayBit = 1 << mod(day + EPOCH_WEEKDAY, 7);
    for (const w of windows) {
      if ((w.dayMask & weekdayBit) === 0) continue;
      const opensAt = day * DAY_MS + w.startMs;
      if (opensAt > local && opensAt < best) best = opensAt;
    }
  }
  return best === Number.POSITIVE_INFINITY ? best : best - off;
}

/**
 * When the allowed period containing `now` closes (back-to-back or overlapping windows count as one
 * period): the time background sync must stop.
 *  - `now` itself when sync is not allowed at `now` (stop at once);
 *  - null when it never closes (no windows, or windows that cover the whole week), so callers do
 *    not arm a timer with an infinite delay.
 */
export function windowEndsAt(s: SyncSchedule, now: number): number | null {
  const windows = compile(s);
  if (windows.length === 0) return null;
  const off = offsetMs(s);
  const localNow = now + off;
  let t = localNow;
  while (allowedAtLocal(windows, t)) {
    // The schedule repeats weekly, so a week without a gap means it never closes.
    if (t - localNow >= WEEK_MS) return null;
    let end = t;
    for (const w of windows) end = Math.max(end, containingEnd(w, t));
    t = end;
  }
  return t - off;
}

/**
 * Star-periodic pulls happen at the multiples of `intervalMs` since the Unix epoch (the first one
 * after `now`, and after the last run), so every printer of a venue pulls at the same moments, as
 * the patent's cloud pushes to all printers at once every T minutes.
 */
export function nextStarPullAt(intervalMs: number, lastRunAt: number | null, now: number): number {
  const after = lastRunAt === null ? now : Math.max(now, lastRunAt + 1);
  return Math.ceil(after / intervalMs) * intervalMs;
}
