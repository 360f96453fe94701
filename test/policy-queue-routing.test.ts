import test from 'ava';
import {
  chooseStation,
  expectedReadySeconds,
  expectedWaitSeconds,
  formatEta,
  nearestWorkingStation,
  RENDER_AT_SCAN_SECONDS,
  type RouteCandidate,
  rankStations,
  SUGGEST_LONG_QUEUE_SECONDS,
  suggestShorterQueue,
  travelSeconds,
} from '../shared/policy/queue-routing.ts';

function station(id: string, over: Partial<RouteCandidate> = {}): RouteCandidate {
  return {
    id,
    name: `Printer ${id}`,
    queueWorkSeconds: 0,
    secondsPerPrint: 10,
    workingPrinters: 1,
    canPrint: true,
    holdsPhotos: true,
    travelSeconds: 0,
    ...over,
  };
}

test('expected wait: queue work shared by the working printers, plus the walk; no printer → never', (t) => {
  t.is(expectedWaitSeconds(120, 2, 15), 75);
  t.is(expectedWaitSeconds(0, 1), 0);
  t.is(expectedWaitSeconds(50, 0), Number.POSITIVE_INFINITY);
  // 3 units on 2 printers: two rounds of 10 s after a 60 s wait.
  t.is(expectedReadySeconds(120, 2, 10, 3), 80);
  t.is(expectedReadySeconds(120, 0, 10, 3), Number.POSITIVE_INFINITY);
});

test('travel: straight-line distance at walking speed, 0 when a position is unknown', (t) => {
  t.is(travelSeconds({ x: 0, y: 0 }, { x: 30, y: 40 }), 50);
  t.is(travelSeconds(null, { x: 30, y: 40 }), 0);
});

test('the shortest queue among the stations that hold the photos wins', (t) => {
  const options = rankStations(
    [
      station('1', { queueWorkSeconds: 200 }),
      station('2', { queueWorkSeconds: 20, holdsPhotos: false }),
      station('3', { queueWorkSeconds: 60, workingPrinters: 2 }),
      station('4', { queueWorkSeconds: 0, canPrint: false, workingPrinters: 0 }),
    ],
    1,
  );
  t.deepEqual(
    options.map((o) => o.id),
    ['3', '1'],
  );
  t.is(options[0]!.etaSeconds, 40);
});

test('with no station holding the photos, every working station is a candidate', (t) => {
  const best = chooseStation(
    [
      station('1', { queueWorkSeconds: 90, holdsPhotos: false }),
      station('2', { queueWorkSeconds: 30, holdsPhotos: false }),
    ],
    1,
  );
  t.is(best?.id, '2');
  t.is(chooseStation([station('1', { canPrint: false, workingPrinters: 0 })], 1), null);
});

test('ties within a second go to the nearer station; a clearly shorter queue beats distance', (t) => {
  const tie = chooseStation(
    [
      station('far', { queueWorkSeconds: 10.5, travelSeconds: 0.2 }),
      station('near', { queueWorkSeconds: 10, travelSeconds: 0 }),
    ],
    1,
  );
  t.is(tie?.id, 'near');
  const shorter = chooseStation(
    [station('near', { queueWorkSeconds: 120 }), station('far', { queueWorkSeconds: 0, travelSeconds: 40 })],
    1,
  );
  t.is(shorter?.id, 'far');
  t.is(shorter?.etaSeconds, 50);
});

test('a station that did not render the photos ahead counts the render at the scan; unknown counts none', (t) => {
  const idle = rankStations(
    [station('1', { rendersAhead: false }), station('2', { rendersAhead: true }), station('3')],
    1,
  );
  t.deepEqual(
    idle.map((o) => [o.id, o.etaSeconds]),
    [
      ['2', 10],
      ['3', 10],
      ['1', 10 + RENDER_AT_SCAN_SECONDS],
    ],
  );
  // Sooner by more than a render: the station that must render still goes first.
  const sooner = rankStations(
    [station('1', { queueWorkSeconds: 0.5, rendersAhead: true }), station('2', { rendersAhead: false })],
    1,
  );
  t.deepEqual(
    sooner.map((o) => o.id),
    ['2', '1'],
  );
  // Sooner by less than a render: the one that rendered ahead wins.
  const close = rankStations(
    [station('1', { queueWorkSeconds: 0.1, rendersAhead: true }), station('2', { rendersAhead: false })],
    1,
  );
  t.deepEqual(
    close.map((o) => o.id),
    ['1', '2'],
  );
});

test('a kiosk with a long queue suggests a shorter one only when the saving is worth the walk', (t) => {
  const here = station('here', { queueWorkSeconds: 300 });
  const next = station('next', { queueWorkSeconds: 0, travelSeconds: 20 });
  t.is(suggestShorterQueue(here, [next], 1)?.id, 'next');
  // Short queue here: stay.
  t.is(suggestShorterQueue(station('here', { queueWorkSeconds: SUGGEST_LONG_QUEUE_SECONDS - 20 }), [next], 1), null);
  // The other station is about as slow once the walk counts: stay.
  t.is(suggestShorterQueue(here, [station('next', { queueWorkSeconds: 200, travelSeconds: 90 })], 1), null);
  // A station that must fetch the photos is not offered when this one has them.
  t.is(suggestShorterQueue(here, [station('next', { queueWorkSeconds: 0, holdsPhotos: false })], 1), null);
  // A station that cannot print suggests any working one.
  const down = station('here', { canPrint: false, workingPrinters: 0 });
  t.is(suggestShorterQueue(down, [station('next', { queueWorkSeconds: 500 })], 1)?.id, 'next');
});

test('a fully-down station names the nearest working printer', (t) => {
  const best = nearestWorkingStation([
    station('2', { travelSeconds: 60, queueWorkSeconds: 0 }),
    station('3', { travelSeconds: 15, queueWorkSeconds: 100 }),
    station('4', { travelSeconds: 5, canPrint: false, workingPrinters: 0 }),
  ]);
  t.is(best?.name, 'Printer 3');
  t.is(best?.etaSeconds, 125);
  t.is(nearestWorkingStation([station('4', { canPrint: false, workingPrinters: 0 })]), null);
  // Positions unknown everywhere: the shortest wait, then the name.
  t.is(
    nearestWorkingStation([station('b', { queueWorkSeconds: 30 }), station('a', { queueWorkSeconds: 30 })])?.id,
    'a',
  );
});

test('estimates read as seconds, then minutes', (t) => {
  t.is(formatEta(19.6), 'about 20 s');
  t.is(formatEta(0), 'about 1 s');
  t.is(formatEta(200), 'about 3 min');
});
