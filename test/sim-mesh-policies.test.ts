import test from 'ava';
import { runModel } from '../sim/run-model.ts';
import type { TraceEvent } from '../sim/strategies/strategy.ts';
import { variant } from './sim-helpers.ts';

// These check that the mesh strategy really runs the edge node's policies from shared/policy/:
// each would fail if the corresponding module were bypassed.

test('schedule.ts: no sync window during the event → no background sync, fans fetch on demand', (t) => {
  // The club starts 17:00 UTC (offset 0); a 03:00–04:00 window never opens during the 5-hour run.
  const closed = variant('club', (raw) => {
    raw.strategies = { mesh: { syncWindows: [{ start: '03:00', end: '04:00' }] } };
  });
  const events: TraceEvent[] = [];
  const run = runModel(closed, 'mesh', 1, { trace: (e) => events.push(e) });
  t.is(events.filter((e) => e.kind === 'cloud-pull' || e.kind === 'lan-fetch').length, 0);
  t.true(events.some((e) => e.kind === 'on-demand'));
  t.true(run.allLocalShare < 0.5, `${run.allLocalShare}`);
  t.true(run.wanRatio < 1, 'only bought images moved');
});

test('schedule.ts: background sync runs inside its window and not outside', (t) => {
  // Window 18:00–19:00 local = 3,600–7,200 s after the 17:00 start.
  const windowed = variant('club', (raw) => {
    raw.strategies = { mesh: { syncWindows: [{ start: '18:00', end: '19:00' }] } };
  });
  const events: TraceEvent[] = [];
  runModel(windowed, 'mesh', 1, { trace: (e) => events.push(e) });
  const cycles = events.filter((e) => e.kind === 'cloud-pull' || e.kind === 'lan-fetch');
  t.true(cycles.length > 10);
  for (const e of cycles) t.true(e.t >= 3600 && e.t < 7200 + 1, `${e.kind} at ${e.t}`);
});

test('token-bucket.ts: a background cap slows replication down', (t) => {
  const capped = variant('club', (raw) => {
    raw.strategies = { mesh: { backgroundCapMbps: 2 } };
  });
  const mean = (run: ReturnType<typeof runModel>) => {
    const done = run.batches.filter((b) => b.completeSeconds !== null);
    return done.reduce((a, b) => a + b.completeSeconds!, 0) / done.length;
  };
  const club = variant('club', () => {});
  t.true(mean(runModel(capped, 'mesh', 1)) > 2 * mean(runModel(club, 'mesh', 1)));
});

test('source-choice.ts: the background LAN deadline does not expire during a WAN outage, so the backlog crosses once', (t) => {
  const withDeadline = (ms: number) =>
    variant('wan-outage', (raw) => {
      raw.strategies = { mesh: { backgroundLanDeadlineMs: ms } };
    });
  const strict = runModel(withDeadline(120_000), 'mesh', 1);
  const patient = runModel(withDeadline(1e12), 'mesh', 1);
  // Measured 1.0079 (seed 1): every photo crosses once; the 0.8 % over is fans' on-demand cloud
  // fetches of photos no printer held yet.
  t.true(patient.wanRatio >= 1 && patient.wanRatio < 1.02, `${patient.wanRatio}`);
  // Before backgroundWaitedMs every printer's deadline expired during the 30-minute outage and the
  // backlog was pulled by all 30 printers (ratio ≈ 12). Later the simulator restarted the deadline
  // clock when a *printer* came back instead of when the WAN did, so 4–5 printers pulled each
  // backlog photo at once (1.6325). Now the deadline counts from the WAN's return, and the strict run
  // crosses the backlog once, as the patient one does.
  t.true(
    Math.abs(strict.wanRatio - patient.wanRatio) < 0.01,
    `strict ${strict.wanRatio} vs patient ${patient.wanRatio}: the deadline clock restarts when the WAN returns`,
  );
});

test('responsibility.ts: each image is pulled from the cloud by exactly one printer', (t) => {
  const events: TraceEvent[] = [];
  runModel(
    variant('arena', (raw) => {
      raw.orders = { kind: 'explicit', list: [] };
    }),
    'mesh',
    1,
    { trace: (e) => events.push(e) },
  );
  const pulledBy = new Map<number, number[]>();
  for (const e of events) {
    if (e.kind !== 'cloud-pull') continue;
    for (const img of e.images!) pulledBy.set(img, [...(pulledBy.get(img) ?? []), e.printer!]);
  }
  t.is(pulledBy.size, 4000);
  t.true([...pulledBy.values()].every((printers) => printers.length === 1));
  // …and the shares are spread: with 50 printers no one pulls more than a few percent.
  const perPrinter = new Map<number, number>();
  for (const [, [p]] of pulledBy) perPrinter.set(p!, (perPrinter.get(p!) ?? 0) + 1);
  t.true(perPrinter.size > 40);
  t.true(Math.max(...perPrinter.values()) < 0.06 * 4000);
});
