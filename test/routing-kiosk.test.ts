import test from 'ava';
import type { RedemptionProgress } from '../edge-node/jobs/redemption-progress.ts';
import { printerMessage, refusalMessage } from '../edge-node/kiosk/kiosk-messages.ts';
import { kioskRouting } from '../edge-node/routing/kiosk-routing.ts';
import { ownStationQueue, pendingUnits } from '../edge-node/routing/own-queue.ts';
import type { StationReport } from '../shared/protocol/station-report.ts';
import { stationQueue } from './fixtures/station-queues.ts';

const q = stationQueue;

const down = { workingPrinters: 0, canPrint: false } as const;

test('a fully-down station names the nearest working printer, by position on the venue plan', (t) => {
  const here = q('1', { ...down, position: { x: 0, y: 0 } });
  const view = kioskRouting(here, [
    q('2', { position: { x: 60, y: 0 } }),
    q('3', { position: { x: 10, y: 5 }, queueWorkSeconds: 30 }),
    q('4', { ...down, position: { x: 1, y: 0 } }),
  ]);
  t.is(view.nearestWorking?.name, 'Printer 3');
  t.is(view.suggestion, null);
  t.regex(
    view.text ?? '',
    /^This printer cannot print right now\. Go to Printer 3: it is working \(ready in about \d+ s\)\.$/,
  );
  t.deepEqual(
    view.others.map((o) => o.name),
    ['Printer 3', 'Printer 2'],
    'the down peer is not offered',
  );
  const alone = kioskRouting(here, [q('4', down)]);
  t.is(alone.nearestWorking, null);
  t.is(alone.text, 'This printer cannot print right now. Please ask a member of staff.');
});

test('the kiosk refusal and banner name the nearest working printer instead of only "another printer"', (t) => {
  const banner = printerMessage('paper_out', 'Printer 3');
  t.is(banner.title, 'This printer is out of paper');
  t.is(banner.text, 'Please go to Printer 3: it is working. Or ask a member of staff to reload this one.');
  t.is(
    refusalMessage('printer_offline', { printerState: 'offline', nearestPrinter: 'Printer 2' }).text,
    'Please go to Printer 2: it is working. Or ask a member of staff.',
  );
  // Without a known working printer the words stay as they were.
  t.is(printerMessage('paper_out').text, 'Please ask a member of staff to reload it, or use another printer.');
});

test('a kiosk with a long queue suggests a nearby shorter one; a short queue only says its wait', (t) => {
  const busy = kioskRouting(q('1', { queueWorkSeconds: 120, unitsWaiting: 12 }), [
    q('2', { queueWorkSeconds: 0 }),
    q('3', { queueWorkSeconds: 60 }),
  ]);
  t.is(busy.suggestion?.name, 'Printer 2');
  t.is(busy.here.etaSeconds, 130);
  t.is(busy.text, 'Busy here: ready in about 2 min. Shorter queue: go to Printer 2 (about 10 s, walk included).');
  const calm = kioskRouting(q('1', { queueWorkSeconds: 10, unitsWaiting: 1 }), [q('2')]);
  t.is(calm.suggestion, null);
  t.is(calm.text, 'Ready here in about 20 s.');
  t.is(kioskRouting(q('1'), [q('2')]).text, null, 'nothing to say while idle');
});

function progress(states: RedemptionProgress['units'][number]['state'][], done = false): RedemptionProgress {
  return {
    orderId: 'o',
    code: 'C',
    done,
    units: states.map((state, unit) => ({ unit, imageId: `i${unit}`, copy: 0, state })),
  };
}

test('own queue: units not out yet × print time; a thermal printer out of paper cannot print', (t) => {
  const running = [progress(['printed', 'printing', 'local', 'queued']), progress(['queued'], true)];
  t.is(pendingUnits(running), 3);
  const thermal = ownStationQueue({
    id: 'k',
    name: 'Printer A',
    now: 5,
    printer: { state: 'printing', detail: '', checkedAt: 0 },
    progress: running,
    thermalSecondsPerPrint: 8,
    position: null,
  });
  t.deepEqual(
    { work: thermal.queueWorkSeconds, waiting: thermal.unitsWaiting, working: thermal.workingPrinters },
    { work: 2 * 8 + 0.5 * 8, waiting: 2, working: 1 },
  );
  const empty = ownStationQueue({
    id: 'k',
    name: 'Printer A',
    now: 5,
    printer: { state: 'paper_out', detail: '', checkedAt: 0 },
    progress: running,
    thermalSecondsPerPrint: 8,
    position: null,
  });
  t.false(empty.canPrint);
  t.is(empty.workingPrinters, 0);
});

test('own queue of a photo station: its working printers and their measured print time', (t) => {
  const printer = (name: string, canPrint: boolean, busy: boolean, measured: number | null) => ({
    name,
    uri: 'ipp://127.0.0.1/ipp/print',
    model: 'm',
    media: 'na_index-4x6_4x6in',
    tray: name,
    state: canPrint ? 'idle' : 'stopped',
    detail: '',
    canPrint,
    busy,
    printsLeft: null,
    lowRoll: false,
    printsToday: 0,
    failures: 0,
    secondsPerPrint: 10,
    measuredSecondsPerPrint: measured,
  });
  const station: StationReport = {
    printers: [printer('P1', true, true, 12), printer('P2', true, false, null), printer('P3', false, false, 50)],
    counters: { unitsCompleted: 0, failoverMoved: 0, recoveredCompleted: 0 },
    canTakeCodes: true,
  };
  const report = ownStationQueue({
    id: 's',
    name: 'Station',
    now: 1,
    printer: null,
    station,
    progress: [progress(['printing', 'queued', 'queued', 'queued'])],
    thermalSecondsPerPrint: 8,
    position: { x: 1, y: 2 },
  });
  t.is(report.workingPrinters, 2);
  t.is(report.secondsPerPrint, 11);
  t.is(report.unitsWaiting, 3);
  t.is(report.queueWorkSeconds, (3 + 0.5) * 11);
  t.true(report.canPrint);
});
