/**
 * Live, pipelined mesh replication in the model (issue #16 item 1): printers start on the feed's
 * append and take others' shares from the LAN while the owners still receive them, and each photo
 * still crosses the WAN once. Model runs: deterministic, no wall-clock timing.
 */
import test from 'ava';
import type { StrategyRun } from '../sim/results-schema.ts';
import { runModel } from '../sim/run-model.ts';
import type { TraceEvent } from '../sim/strategies/strategy.ts';
import { variant } from './sim-helpers.ts';

function meanBoundRatio(run: StrategyRun): number {
  const r = run.batches.map((b) => (b.completeSeconds ?? Number.POSITIVE_INFINITY) / b.boundSeconds);
  return r.reduce((a, x) => a + x, 0) / r.length;
}

const club = (live: boolean) =>
  variant('club', (raw) => {
    raw.strategies = { mesh: { live } };
  });

test('live: batches reach every printer within 1.3× the Kumar–Ross bound; one cycle per tick needs several times it', (t) => {
  const live = runModel(club(true), 'mesh', 1);
  const ticked = runModel(club(false), 'mesh', 1);
  t.true(meanBoundRatio(live) <= 1.3, `live ${meanBoundRatio(live)}`);
  t.true(meanBoundRatio(ticked) > 3, `ticked ${meanBoundRatio(ticked)}`);
  // Cloud-once holds: the pipelining moves LAN bytes earlier, not WAN bytes more often.
  t.true(live.wanRatio >= 1 && live.wanRatio < 1.01, `${live.wanRatio}`);
  t.true(live.lanBytes >= ticked.lanBytes * 0.99, 'every printer still gets every photo');
});

test('live: a streamed LAN copy is never held before some printer holds the photo from the cloud', (t) => {
  const firstHeld = new Map<number, number>();
  const cloudHeld = new Map<number, number>();
  const pulledBy = new Map<number, number>();
  const trace = (e: TraceEvent) => {
    if (e.kind === 'cloud-pull') for (const i of e.images!) pulledBy.set(i, e.printer!);
    if (e.kind !== 'held') return;
    const i = e.images![0]!;
    if (!firstHeld.has(i)) firstHeld.set(i, e.t);
    if (pulledBy.get(i) === e.printer && !cloudHeld.has(i)) cloudHeld.set(i, e.t);
  };
  runModel(
    variant('club', (raw) => {
      raw.orders = { kind: 'explicit', list: [] };
    }),
    'mesh',
    1,
    { trace },
  );
  t.true(cloudHeld.size > 500, `${cloudHeld.size} photos pulled`);
  for (const [i, t0] of cloudHeld) t.is(firstHeld.get(i), t0, `photo ${i}: held first by its owner`);
});

test('live: the sync windows still hold (nothing moves in the background outside them)', (t) => {
  const windowed = variant('club', (raw) => {
    raw.strategies = { mesh: { live: true, syncWindows: [{ start: '18:00', end: '19:00' }] } };
  });
  const events: TraceEvent[] = [];
  runModel(windowed, 'mesh', 1, { trace: (e) => events.push(e) });
  const planned = events.filter((e) => e.kind === 'cloud-pull' || e.kind === 'lan-fetch');
  t.true(planned.length > 10);
  for (const e of planned) t.true(e.t >= 3600 && e.t < 7200 + 1, `${e.kind} at ${e.t}`);
});

test('live: a printer down mid-event loses nothing: its share moves and every batch completes', (t) => {
  const faulty = variant('club', (raw) => {
    raw.faults = { printerDown: [{ printers: [2], fromS: 1000, toS: 4000 }] };
  });
  const run = runModel(faulty, 'mesh', 1);
  t.true(run.batches.every((b) => b.completeSeconds !== null));
  t.true(run.wanRatio < 1.05, `${run.wanRatio}`);
});

/** Per printer: LAN photos that landed while its cloud lane still had photos to bring, and all LAN photos. */
function lanWhileCloudLane(events: readonly TraceEvent[]): { during: number; lan: number } {
  const pendingCloud = new Map<number, Set<number>>();
  let during = 0;
  let lan = 0;
  for (const e of events) {
    if (e.kind === 'cloud-pull') {
      const set = pendingCloud.get(e.printer!) ?? new Set<number>();
      for (const i of e.images!) set.add(i);
      pendingCloud.set(e.printer!, set);
    }
    if (e.kind !== 'held') continue;
    const set = pendingCloud.get(e.printer!);
    if (set?.delete(e.images![0]!)) continue;
    lan++;
    if (set && set.size > 0) during++;
  }
  return { during, lan };
}

test('sequential lanes (the edge node today): a printer takes nothing from the LAN while its cloud lane has work; batches take longer than pipelined, the WAN still carries each photo once', (t) => {
  const lanes = (mode: 'pipelined' | 'sequential') =>
    variant('club', (raw) => {
      raw.strategies = { mesh: { live: true, lanes: mode } };
    });
  const seqEvents: TraceEvent[] = [];
  const pipeEvents: TraceEvent[] = [];
  const sequential = runModel(lanes('sequential'), 'mesh', 1, { trace: (e) => seqEvents.push(e) });
  const pipelined = runModel(lanes('pipelined'), 'mesh', 1, { trace: (e) => pipeEvents.push(e) });
  t.true(
    meanBoundRatio(sequential) > meanBoundRatio(pipelined),
    `sequential ${meanBoundRatio(sequential)} vs pipelined ${meanBoundRatio(pipelined)}`,
  );
  t.true(sequential.wanRatio >= 1 && sequential.wanRatio < 1.01, `${sequential.wanRatio}`);
  t.true(
    sequential.batches.every((b) => b.completeSeconds !== null),
    'every batch still completes',
  );
  const seq = lanWhileCloudLane(seqEvents);
  const pipe = lanWhileCloudLane(pipeEvents);
  t.log(
    `LAN photos landing while the cloud lane had work: sequential ${seq.during}/${seq.lan}, pipelined ${pipe.during}/${pipe.lan}`,
  );
  t.true(seq.lan > 100, `${seq.lan} photos from the LAN`);
  t.is(seq.during, 0, 'sequential: no LAN photo lands while the cloud lane has work');
  t.true(pipe.during > 0, 'pipelined: LAN photos land while the cloud lane still has work');
});

test('live: on the photo overlay a streamed copy reaches a printer one LAN round trip per hop after the venue copy', (t) => {
  // A slow LAN makes the hops show: five printers on one ring are up to two hops apart, on two
  // rings (2 × 2 + 1 = 5) everyone is a neighbour.
  const club = (rings: number) =>
    variant('club', (raw) => {
      const venue = raw.venue as { lan: { rttMs: number } };
      venue.lan.rttMs = 400;
      raw.orders = { kind: 'explicit', list: [] };
      raw.strategies = { mesh: { live: true, photoOverlayRings: rings } };
    });
  const lagBehindVenueCopy = (rings: number) => {
    const firstHeld = new Map<number, number>();
    const lags: number[] = [];
    runModel(club(rings), 'mesh', 1, {
      trace: (e) => {
        if (e.kind !== 'held') return;
        const i = e.images![0]!;
        const first = firstHeld.get(i);
        if (first === undefined) firstHeld.set(i, e.t);
        else lags.push(e.t - first);
      },
    });
    return lags;
  };
  const full = lagBehindVenueCopy(2);
  const ring = lagBehindVenueCopy(1);
  const share = (lags: number[], atLeastS: number) => lags.filter((l) => l >= atLeastS - 1e-9).length / lags.length;
  t.log(`copies ≥ 2 round trips behind the first: full mesh ${share(full, 0.8)}, one ring ${share(ring, 0.8)}`);
  t.true(share(ring, 0.8) > share(full, 0.8) + 0.1, 'on one ring some copies are two hops from the venue copy');
});
