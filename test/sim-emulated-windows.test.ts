import { readFile } from 'node:fs/promises';
import test from 'ava';
import { isSyncAllowed, nextSyncAt, type SyncSchedule } from '../shared/policy/schedule.ts';
import { type Clock, ManualClock } from '../shared/ports/clock.ts';
import { EMULATED_STRATEGIES } from '../sim/emulation/emulated-strategies.ts';
import {
  assertWindowsEmulatable,
  closedSchedule,
  MAX_CLOSED_RUN_WALL_MS,
  windowsOverRun,
} from '../sim/emulation/emulated-windows.ts';
import { runEmulation } from '../sim/emulation/run-emulation.ts';
import { parseScenario, type Scenario } from '../sim/scenario.ts';

const SMOKE = new URL('../sim/scenarios/emulation-smoke.json', import.meta.url);
const CLOSED = new URL('../sim/scenarios/emulation-20-closed.json', import.meta.url);
const HOUR_MS = 3_600_000;

/** The smoke scenario (240 s from 17:00 UTC) with these mesh windows. */
async function smokeWith(mesh: Partial<Scenario['strategies']['mesh']>): Promise<Scenario> {
  const s = parseScenario(await readFile(SMOKE, 'utf8'), 'emulation-smoke.json');
  return { ...s, strategies: { ...s.strategies, mesh: { ...s.strategies.mesh, ...mesh } } };
}

test('windows over the timeline: none or covering it is open; none during it is closed', async (t) => {
  t.is(windowsOverRun(await smokeWith({ syncWindows: [] })), 'open');
  t.is(windowsOverRun(await smokeWith({ syncWindows: [{ start: '16:00', end: '18:00' }] })), 'open');
  t.is(windowsOverRun(await smokeWith({ syncWindows: [{ start: '06:00', end: '07:00' }] })), 'closed');
  // 17:00 UTC is 19:00 at +120 min: a 16:00–18:00 window at the venue has closed by then.
  t.is(
    windowsOverRun(await smokeWith({ syncWindows: [{ start: '16:00', end: '18:00' }], utcOffsetMinutes: 120 })),
    'closed',
  );
  // Windows are half-open: one that ends as the timeline ends is open all through it, and one that
  // opens as it ends is closed all through it.
  t.is(windowsOverRun(await smokeWith({ syncWindows: [{ start: '16:00', end: '17:04' }] })), 'open');
  t.is(windowsOverRun(await smokeWith({ syncWindows: [{ start: '17:04', end: '18:00' }] })), 'closed');
  const closed = parseScenario(await readFile(CLOSED, 'utf8'), 'emulation-20-closed.json');
  t.is(windowsOverRun(closed), 'closed', 'the detour scenario emulates what it says');
});

test('a window that opens or closes during the timeline is refused, naming when and what to do', async (t) => {
  const closes = await smokeWith({ syncWindows: [{ start: '16:00', end: '17:02' }] });
  t.throws(() => windowsOverRun(closes), {
    message: /syncWindows: a window closes 120 s into the timeline.*open or closed from startsAtUtc/,
  });
  const opens = await smokeWith({ syncWindows: [{ start: '17:03', end: '18:00' }] });
  t.throws(() => windowsOverRun(opens), { message: /a window opens 180 s into the timeline/ });
  t.throws(() => assertWindowsEmulatable(opens, ['star-periodic', 'mesh'], 8), { message: /a window opens 180 s/ });
  t.notThrows(() => assertWindowsEmulatable(opens, ['star-periodic', 'on-demand'], 8), 'the baselines have no windows');
  // Refused before anything starts: the run's clock, read first thing when a venue starts, is never read.
  const started = (): never => {
    throw new Error('the run started before the windows were checked');
  };
  const untouchable: Clock = { now: started, sleep: started, setTimeout: started, setInterval: started };
  await t.throwsAsync(runEmulation(opens, { timeCompression: 8, clock: untouchable }), {
    message: /a window opens 180 s/,
  });
});

test('a closed run keeps the nodes from syncing for a day, and refuses a timeline longer than it can cover', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 11, 7, 23, 59, 30));
  const schedule = closedSchedule(clock);
  const now = clock.now();
  t.false(isSyncAllowed(schedule, now));
  t.true(
    nextSyncAt(schedule, null, now) > now + MAX_CLOSED_RUN_WALL_MS + 11 * HOUR_MS,
    'the window opens again a day later',
  );
  // Just after midnight the window is "23:59"–"00:00", which crosses midnight: shut for a day too.
  const early = Date.UTC(2026, 11, 8, 0, 2, 30);
  const acrossMidnight = closedSchedule(new ManualClock(early));
  t.deepEqual(acrossMidnight.windows, [{ start: '23:59', end: '00:00' }]);
  t.false(isSyncAllowed(acrossMidnight, early));
  t.true(nextSyncAt(acrossMidnight, null, early) > early + 23 * HOUR_MS);
  // The mesh's node settings for a closed scenario carry that schedule; for an open one, none.
  const mesh = EMULATED_STRATEGIES.get('mesh')!;
  const closed = await smokeWith({ syncWindows: [{ start: '06:00', end: '07:00' }] });
  const settings = mesh.nodeSettings(closed, 8, clock).schedule as SyncSchedule;
  t.false(isSyncAllowed(settings, now));
  t.true(nextSyncAt(settings, null, now) > now + MAX_CLOSED_RUN_WALL_MS);
  t.deepEqual(mesh.nodeSettings(await smokeWith({}), 8, clock).schedule, { intervalMs: 1250 }, 'every 10 s ÷ 8');
  // 240 simulated s at F = 0.005 are 13.3 h of wall time.
  t.throws(() => assertWindowsEmulatable(closed, ['mesh'], 0.005), { message: /closed over a timeline of 13 h/ });
  t.notThrows(() => assertWindowsEmulatable(closed, ['mesh'], 0.01));
});
