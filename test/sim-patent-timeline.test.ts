import test from 'ava';
import { runModel } from '../sim/run-model.ts';
import type { TraceEvent } from '../sim/strategies/strategy.ts';
import { builtIn, variant } from './sim-helpers.ts';

// The patent's Fig. 6 with T = 1 minute: T10 = 600 s … T15 = 900 s. Images are 0-based: G1 = 0 … G6 = 5.
const T = (k: number) => k * 60;
const G = (k: number) => k - 1;

function traceOf(name: 'star-periodic' | 'mesh', scenario = builtIn('patent-timeline')): TraceEvent[] {
  const events: TraceEvent[] = [];
  runModel(scenario, name, 1, { trace: (e) => events.push(e) });
  return events;
}

const during = (events: TraceEvent[], kind: string, from: number, to: number, printer?: number) =>
  events.filter((e) => e.kind === kind && e.t >= from && e.t < to && (printer === undefined || e.printer === printer));

test('star-periodic reproduces Fig. 6: T11 pushes G1–G3, T14 fetches only G4 on demand, T15 pushes only G5 and G6', (t) => {
  const ev = traceOf('star-periodic');
  t.deepEqual(
    ev.filter((e) => e.kind === 'push').map((e) => [e.t, e.images]),
    [
      [T(11), [G(1), G(2), G(3)]],
      [T(15), [G(5), G(6)]],
    ],
  );
  const onDemand = ev.filter((e) => e.kind === 'on-demand');
  t.is(onDemand.length, 1);
  t.deepEqual(onDemand[0]!.images, [G(4)]);
  t.true(onDemand[0]!.t >= T(14) && onDemand[0]!.t < T(14) + 1, 'G4 is sent right after the order is looked up at T14');
  // The printer prints G1 (already delivered) while G4 downloads, then G4.
  const printed = ev.filter((e) => e.kind === 'printed').map((e) => e.images![0]);
  t.deepEqual(printed, [G(1), G(4)]);
  const g4Held = ev.find((e) => e.kind === 'held' && e.images![0] === G(4))!;
  const g1Printed = ev.find((e) => e.kind === 'printed' && e.images![0] === G(1))!;
  t.true(g4Held.t < g1Printed.t, 'G4 arrives while G1 prints');
});

test('star-periodic per printer (5A, 5B, 5C): at T15 5A gets G5, G6 and 5B, 5C get G4, G5, G6', (t) => {
  const s = variant('patent-timeline', (raw) => {
    raw.venue.printers = [{ count: 3, model: 'dnp-ds620' }];
  });
  const ev = traceOf('star-periodic', s);
  for (let p = 0; p < 3; p++) {
    t.deepEqual(
      during(ev, 'push', T(11), T(11) + 1, p).map((e) => e.images),
      [[G(1), G(2), G(3)]],
      `printer ${p} at T11`,
    );
  }
  t.deepEqual(
    during(ev, 'on-demand', T(14), T(15)).map((e) => [e.printer, e.images]),
    [[0, [G(4)]]],
  );
  t.deepEqual(
    during(ev, 'push', T(15), T(15) + 1, 0).map((e) => e.images),
    [[G(5), G(6)]],
  );
  t.deepEqual(
    during(ev, 'push', T(15), T(15) + 1, 1).map((e) => e.images),
    [[G(4), G(5), G(6)]],
  );
  t.deepEqual(
    during(ev, 'push', T(15), T(15) + 1, 2).map((e) => e.images),
    [[G(4), G(5), G(6)]],
  );
});

test('the mesh on the same timeline has G4 before the fan arrives: nothing fetched on demand', (t) => {
  const ev = traceOf('mesh');
  t.is(ev.filter((e) => e.kind === 'on-demand').length, 0);
  const g4 = ev.find((e) => e.kind === 'held' && e.images![0] === G(4))!;
  t.true(g4.t < T(13));
  t.deepEqual(
    ev.filter((e) => e.kind === 'printed').map((e) => [e.t, e.images![0]]),
    [
      [T(14) + 12, G(1)],
      [T(14) + 24, G(4)],
    ],
  );
});
