import test from 'ava';
import fc from 'fast-check';
import {
  choosePrinter,
  chooseRebalance,
  estimatedWaitSeconds,
  lowRollAlert,
  printsLeft,
  type RebalanceView,
  type StationPrinterView,
  stationAvailability,
  unitAction,
  updatePrintTime,
} from '../shared/policy/station-dispatch.ts';

const p = (id: string, over: Partial<StationPrinterView> = {}): StationPrinterView => ({
  id,
  canPrint: true,
  busy: false,
  printsLeft: 100,
  secondsPerPrint: 10,
  unitsSent: 0,
  ...over,
});

test('the next unit goes to a free, healthy printer; none when all are busy or down', (t) => {
  t.is(choosePrinter([p('A', { busy: true }), p('B')]), 'B');
  t.is(choosePrinter([p('A', { canPrint: false }), p('B')]), 'B');
  t.is(choosePrinter([p('A', { printsLeft: 0 }), p('B')]), 'B');
  t.is(choosePrinter([p('A', { printsLeft: 0 }), p('B', { busy: true, inFlight: 1, queueDepth: 8 })]), 'B');
  // A counted roll is an estimate: at zero it still takes one job at a time (the printer says when it is empty).
  t.is(choosePrinter([p('A', { printsLeft: 0 }), p('B', { canPrint: false })]), 'A');
  t.is(choosePrinter([p('A', { printsLeft: 0, busy: true, inFlight: 1, queueDepth: 8 })]), null);
  t.is(choosePrinter([p('A', { busy: true }), p('B', { canPrint: false })]), null);
  t.is(choosePrinter([p('A'), p('B')], new Set(['A'])), 'B');
});

test('a printer with a queue takes units up to its depth, the one that would finish first wins; a counted roll caps it', (t) => {
  t.is(choosePrinter([p('A', { busy: true, inFlight: 1, queueDepth: 4 })]), 'A');
  t.is(choosePrinter([p('A', { busy: true, inFlight: 4, queueDepth: 4 })]), null);
  t.is(
    choosePrinter([
      p('A', { busy: true, inFlight: 2, queueDepth: 4 }),
      p('B', { busy: true, inFlight: 1, queueDepth: 4 }),
    ]),
    'B',
  );
  // Two jobs ahead at 5 s beat one ahead at 12 s.
  t.is(
    choosePrinter([
      p('A', { busy: true, inFlight: 1, queueDepth: 4, secondsPerPrint: 12 }),
      p('B', { busy: true, inFlight: 2, queueDepth: 4, secondsPerPrint: 5 }),
    ]),
    'B',
  );
  t.is(
    choosePrinter([p('A', { busy: true, inFlight: 2, queueDepth: 4, printsLeft: 2 })]),
    null,
    'no more jobs than prints left',
  );
  t.is(estimatedWaitSeconds([p('A', { busy: true, inFlight: 3, queueDepth: 4, secondsPerPrint: 10 })], 0), 35);
});

test('among free printers: faster, then more prints left, then fewer sent, then by id', (t) => {
  t.is(choosePrinter([p('A', { secondsPerPrint: 12 }), p('B', { secondsPerPrint: 9 })]), 'B');
  t.is(choosePrinter([p('A', { printsLeft: 20 }), p('B', { printsLeft: 300 })]), 'B');
  t.is(choosePrinter([p('A', { unitsSent: 5 }), p('B', { unitsSent: 2 })]), 'B');
  t.is(choosePrinter([p('B'), p('A')]), 'A');
});

test('property: the chosen printer is always free, healthy and not excluded', (t) => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          canPrint: fc.boolean(),
          busy: fc.boolean(),
          printsLeft: fc.option(fc.nat(400), { nil: null }),
          secondsPerPrint: fc.integer({ min: 5, max: 60 }),
          unitsSent: fc.nat(50),
        }),
        { maxLength: 6 },
      ),
      (rows) => {
        const views = rows.map((r, i) => ({ id: `P${i}`, ...r }));
        const id = choosePrinter(views);
        const eligible = views.filter((v) => v.canPrint && !v.busy);
        if (eligible.length === 0) return id === null;
        // A roll counted empty is the last resort: one job at a time, only when no other printer is free.
        const withPaper = eligible.filter((v) => v.printsLeft !== 0);
        return (withPaper.length > 0 ? withPaper : eligible).some((v) => v.id === id);
      },
    ),
  );
  t.pass();
});

const r = (id: string, inFlight: number, pendingJobs: number, over: Partial<RebalanceView> = {}): RebalanceView => ({
  ...p(id, { busy: inFlight > 0, inFlight, queueDepth: 8 }),
  pendingJobs,
  ...over,
});

test('a queued job moves to an idle printer only when nothing waits, it cannot be printing, and it saves a print', (t) => {
  // End of a burst: right holds one printing + two pending, left is idle.
  t.deepEqual(chooseRebalance([r('left', 0, 0), r('right', 3, 2)], 0), { from: 'right', to: 'left' });
  t.is(
    chooseRebalance([r('left', 0, 0), r('right', 3, 2)], 1),
    null,
    'a waiting unit goes to the idle printer instead',
  );
  t.is(chooseRebalance([r('left', 0, 0), r('right', 2, 1)], 0), null, 'the only pending job may start any moment');
  t.is(chooseRebalance([r('left', 1, 0), r('right', 3, 2)], 0), null, 'no printer is idle');
  t.is(chooseRebalance([r('left', 0, 0, { canPrint: false }), r('right', 3, 2)], 0), null, 'the idle one cannot print');
  // A slow idle printer gains nothing: 2 × 10 s ahead vs 25 s there.
  t.is(chooseRebalance([r('left', 0, 0, { secondsPerPrint: 25 }), r('right', 2, 2)], 0), null);
  // The longest queue gives first.
  t.deepEqual(chooseRebalance([r('a', 0, 0), r('b', 3, 2), r('c', 5, 4)], 0), { from: 'c', to: 'a' });
});

test('property: a rebalance always moves a pending job that has another pending ahead, to an idle healthy printer', (t) => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          canPrint: fc.boolean(),
          inFlight: fc.nat(8),
          pending: fc.nat(8),
          secondsPerPrint: fc.integer({ min: 5, max: 60 }),
        }),
        { maxLength: 5 },
      ),
      fc.nat(3),
      (rows, waiting) => {
        const views = rows.map((row, i) =>
          r(`P${i}`, row.inFlight, Math.min(row.pending, row.inFlight), {
            canPrint: row.canPrint,
            secondsPerPrint: row.secondsPerPrint,
          }),
        );
        const move = chooseRebalance(views, waiting);
        if (move === null) return true;
        const from = views.find((v) => v.id === move.from)!;
        const to = views.find((v) => v.id === move.to)!;
        return waiting === 0 && from.pendingJobs >= 2 && to.canPrint && to.inFlight === 0 && from.id !== to.id;
      },
    ),
  );
  t.pass();
});

test('a unit is moved only once its job is known not to have printed', (t) => {
  t.is(unitAction('completed', false, 99_999, 5000), 'confirm');
  t.is(unitAction('aborted', true, 0, 5000), 'move');
  t.is(unitAction('canceled', true, 0, 5000), 'move');
  t.is(unitAction('processing', false, 4999, 5000), 'wait');
  t.is(unitAction('processing', false, 5000, 5000), 'cancel');
  t.is(unitAction('pending', true, 99_999, 5000), 'wait');
});

test('station availability, prints left and the low-roll alert', (t) => {
  t.deepEqual(stationAvailability([p('A', { canPrint: false }), p('B')]), { canTakeCodes: true, working: ['B'] });
  t.false(stationAvailability([p('A', { canPrint: false })]).canTakeCodes);
  t.is(printsLeft({ markerPercent: 25, rollPrints: 400, printedSinceLoad: 0 }), 100);
  t.is(printsLeft({ markerPercent: null, rollPrints: 400, printedSinceLoad: 390 }), 10);
  t.is(printsLeft({ markerPercent: null, rollPrints: 400, printedSinceLoad: 450 }), 0);
  t.is(printsLeft({ markerPercent: 50, rollPrints: null, printedSinceLoad: 3 }), null);
  t.true(lowRollAlert(40, 40));
  t.false(lowRollAlert(41, 40));
  t.false(lowRollAlert(null, 40));
  t.is(updatePrintTime(null, 10), 10);
  t.is(updatePrintTime(10, 20), 13);
});

test('the kiosk estimate: units ahead shared by the working printers', (t) => {
  t.is(estimatedWaitSeconds([p('A', { secondsPerPrint: 40 })], 0), 40);
  t.is(estimatedWaitSeconds([p('A', { secondsPerPrint: 40 }), p('B', { secondsPerPrint: 40 })], 4), 120);
  t.is(estimatedWaitSeconds([p('A', { busy: true, secondsPerPrint: 10 }), p('B', { canPrint: false })], 1), 25);
  t.is(estimatedWaitSeconds([p('A', { canPrint: false })], 3), null);
});
