import test from 'ava';
import fc from 'fast-check';
import { isAppError } from '../shared/errors.ts';
import {
  isSyncAllowed,
  nextSyncAt,
  type SyncSchedule,
  validateSchedule,
  windowEndsAt,
} from '../shared/policy/schedule.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/** UTC instant of a local wall-clock time at the given offset. 2024-01-05 was a Friday. */
function at(offsetMinutes: number, day: number, hh: number, mm = 0): number {
  return Date.UTC(2024, 0, day, hh, mm) - offsetMinutes * MIN;
}

test('no windows: always allowed, runs interval apart, never closes', (t) => {
  const s: SyncSchedule = { intervalMs: 10 * MIN, windows: [], utcOffsetMinutes: 0 };
  const now = at(0, 5, 12);
  t.true(isSyncAllowed(s, now));
  t.is(nextSyncAt(s, null, now), now);
  t.is(nextSyncAt(s, now - 3 * MIN, now), now + 7 * MIN);
  t.is(nextSyncAt(s, now - 30 * MIN, now), now);
  t.is(windowEndsAt(s, now), null);
});

test('office hours on weekdays: closed at the weekend, next run Monday 09:00', (t) => {
  const s: SyncSchedule = {
    intervalMs: HOUR,
    windows: [{ start: '09:00', end: '17:00', days: [1, 2, 3, 4, 5] }],
    utcOffsetMinutes: 0,
  };
  t.true(isSyncAllowed(s, at(0, 5, 9))); // Friday 09:00, start is inclusive
  t.true(isSyncAllowed(s, at(0, 5, 16, 59)));
  t.false(isSyncAllowed(s, at(0, 5, 17))); // end is exclusive
  t.false(isSyncAllowed(s, at(0, 6, 10))); // Saturday
  t.is(nextSyncAt(s, null, at(0, 6, 10)), at(0, 8, 9)); // Monday 2024-01-08
  t.is(nextSyncAt(s, null, at(0, 5, 8)), at(0, 5, 9)); // later the same day
  t.is(windowEndsAt(s, at(0, 5, 16)), at(0, 5, 17));
  t.is(windowEndsAt(s, at(0, 6, 10)), at(0, 6, 10)); // not allowed: stop now
});

test('a window across midnight belongs to the day it opens, in venue-local time', (t) => {
  // Friday 22:00 → Saturday 06:00 at UTC+1.
  const off = 60;
  const s: SyncSchedule = {
    intervalMs: HOUR,
    windows: [{ start: '22:00', end: '06:00', days: [5] }],
    utcOffsetMinutes: off,
  };
  t.false(isSyncAllowed(s, at(off, 5, 21, 59)));
  t.true(isSyncAllowed(s, at(off, 5, 22)));
  t.true(isSyncAllowed(s, at(off, 5, 23, 30)));
  t.true(isSyncAllowed(s, at(off, 6, 5, 59))); // Saturday morning, opened Friday
  t.false(isSyncAllowed(s, at(off, 6, 6)));
  t.false(isSyncAllowed(s, at(off, 5, 2))); // Friday early morning would be Thursday's window
  t.false(isSyncAllowed(s, at(off, 6, 23))); // Saturday night: not a listed day
  t.is(windowEndsAt(s, at(off, 5, 23)), at(off, 6, 6));
  t.is(nextSyncAt(s, null, at(off, 6, 7)), at(off, 12, 22)); // the next Friday
  // 22:30 local Friday is 21:30 UTC: the offset is applied, not ignored.
  t.true(isSyncAllowed(s, Date.UTC(2024, 0, 5, 21, 30)));
  t.false(isSyncAllowed({ ...s, utcOffsetMinutes: 0 }, Date.UTC(2024, 0, 5, 21, 30)));
});

test('a negative UTC offset moves the weekday too', (t) => {
  // UTC−5: Saturday 02:00 UTC is still Friday 21:00 at the venue.
  const s: SyncSchedule = {
    intervalMs: HOUR,
    windows: [{ start: '20:00', end: '23:00', days: [5] }],
    utcOffsetMinutes: -300,
  };
  t.true(isSyncAllowed(s, Date.UTC(2024, 0, 6, 2)));
  t.false(isSyncAllowed(s, Date.UTC(2024, 0, 6, 5)));
});

test('back-to-back windows form one period; a week without a gap never closes', (t) => {
  const s: SyncSchedule = {
    intervalMs: HOUR,
    windows: [
      { start: '20:00', end: '24:00' },
      { start: '00:00', end: '02:00' },
    ],
    utcOffsetMinutes: 0,
  };
  t.is(windowEndsAt(s, at(0, 5, 21)), at(0, 6, 2));
  t.true(isSyncAllowed(s, at(0, 6, 0)));
  const allDay: SyncSchedule = { intervalMs: HOUR, windows: [{ start: '00:00', end: '24:00' }], utcOffsetMinutes: 120 };
  t.is(windowEndsAt(allDay, at(120, 5, 13)), null);
  const overnight: SyncSchedule = {
    intervalMs: HOUR,
    windows: [
      { start: '12:00', end: '12:01' },
      { start: '12:01', end: '12:00' },
    ],
    utcOffsetMinutes: 0,
  };
  t.is(windowEndsAt(overnight, at(0, 5, 13)), null);
});

test('the interval pushes the next run, possibly past the window into the next one', (t) => {
  const s: SyncSchedule = { intervalMs: 2 * HOUR, windows: [{ start: '01:00', end: '05:00' }], utcOffsetMinutes: 0 };
  t.is(nextSyncAt(s, at(0, 5, 1), at(0, 5, 1, 30)), at(0, 5, 3)); // inside the window
  t.is(nextSyncAt(s, at(0, 5, 4), at(0, 5, 4, 30)), at(0, 6, 1)); // 06:00 is outside: next night
});

test('a schedule whose windows never open yields Infinity', (t) => {
  const s: SyncSchedule = {
    intervalMs: HOUR,
    windows: [{ start: '01:00', end: '05:00', days: [] }],
    utcOffsetMinutes: 0,
  };
  t.false(isSyncAllowed(s, at(0, 5, 2)));
  t.is(nextSyncAt(s, null, at(0, 5, 2)), Number.POSITIVE_INFINITY);
  t.true(validateSchedule(s).some((p) => p.includes('never opens')));
});

test('validateSchedule explains each problem and accepts a good schedule', (t) => {
  t.deepEqual(
    validateSchedule({
      intervalMs: 15 * MIN,
      windows: [
        { start: '22:00', end: '06:00', days: [5, 6] },
        { start: '00:00', end: '24:00' },
      ],
      utcOffsetMinutes: 60,
    }),
    [],
  );
  const problems = validateSchedule({
    intervalMs: 0,
    windows: [
      { start: '25:00', end: '06:00' },
      { start: '10:00', end: '10:00' },
      { start: '10:00', end: '9:00' },
      { start: '10:00', end: '11:00', days: [7] },
    ],
    utcOffsetMinutes: 1000,
  });
  t.is(problems.length, 6, problems.join('\n'));
  t.true(problems.some((p) => p.includes('intervalMs')));
  t.true(problems.some((p) => p.includes('utcOffsetMinutes')));
  t.true(problems.some((p) => p.startsWith('window 1: start')));
  t.true(problems.some((p) => p.startsWith('window 2: start equals end')));
  t.true(problems.some((p) => p.startsWith('window 3: end')));
  t.true(problems.some((p) => p.startsWith('window 4: days')));
  t.true(
    validateSchedule({ intervalMs: MIN, windows: [{ start: '24:00', end: '01:00' }], utcOffsetMinutes: 0 }).length ===
      1,
  );
});

test('evaluating a malformed window throws an actionable AppError', (t) => {
  const s: SyncSchedule = { intervalMs: HOUR, windows: [{ start: '9am', end: '17:00' }], utcOffsetMinutes: 0 };
  const err = t.throws(() => isSyncAllowed(s, 0));
  t.true(isAppError(err));
  t.is((err as { code?: string }).code, 'invalid_sync_schedule');
});

const clock = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
  .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
const windowArb = fc
  .record({
    start: clock,
    end: clock,
    days: fc.option(fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 7 }), { nil: undefined }),
  })
  .filter((w) => w.start !== w.end)
  .map((w) => (w.days === undefined ? { start: w.start, end: w.end } : w));
const scheduleArb = fc.record({
  intervalMs: fc.integer({ min: 1_000, max: 3 * DAY }),
  windows: fc.array(windowArb, { maxLength: 4 }),
  utcOffsetMinutes: fc.integer({ min: -720, max: 840 }),
});
const instant = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) });

test('nextSyncAt is the earliest allowed time honouring the interval', (t) => {
  fc.assert(
    fc.property(
      scheduleArb,
      instant,
      fc.option(fc.integer({ min: -3 * DAY, max: DAY }), { nil: null }),
      (s, now, last) => {
        if (validateSchedule(s).length > 0) return false;
        const lastRunAt = last === null ? null : now + last;
        const next = nextSyncAt(s, lastRunAt, now);
        const earliest = lastRunAt === null ? now : Math.max(now, lastRunAt + s.intervalMs);
        if (!(next >= earliest && next - earliest <= WEEK + DAY)) return false;
        if (!isSyncAllowed(s, next)) return false;
        // Earliest: either the lower bound itself or the instant a window opens.
        return next === earliest || !isSyncAllowed(s, next - 1);
      },
    ),
  );
  t.pass();
});

test('windowEndsAt: allowed right up to the end, not at the end', (t) => {
  fc.assert(
    fc.property(scheduleArb, instant, (s, now) => {
      const end = windowEndsAt(s, now);
      if (!isSyncAllowed(s, now)) return end === now;
      if (end === null) {
        // Never closes: sample the coming week minute by minute-ish.
        for (let x = now; x < now + WEEK; x += 7 * MIN) if (!isSyncAllowed(s, x)) return false;
        return true;
      }
      if (!(end > now && isSyncAllowed(s, end - 1) && !isSyncAllowed(s, end))) return false;
      for (let x = now; x < end; x += 7 * MIN) if (!isSyncAllowed(s, x)) return false;
      return true;
    }),
    { numRuns: 200 },
  );
  t.pass();
});
