import test from 'ava';
import { runModel } from '../sim/run-model.ts';
import type { TraceEvent } from '../sim/strategies/strategy.ts';
import { builtIn } from './sim-helpers.ts';

const s = builtIn('wan-outage');
const [outage] = s.faults.wanOutages;
const FROM = outage!.fromS;
const TO = outage!.toS;

function traced(strategy: 'mesh' | 'star-periodic') {
  const events: TraceEvent[] = [];
  const run = runModel(s, strategy, 1, { trace: (e) => events.push(e) });
  return { run, events };
}

test('star-periodic cannot redeem while the WAN is down: every scan in the outage fails', (t) => {
  const { events } = traced('star-periodic');
  const scans = events.filter((e) => e.kind === 'redeem' && e.t >= FROM && e.t < TO);
  const failedAt = new Set(events.filter((e) => e.kind === 'redeem-failed').map((e) => `${e.order}@${e.t}`));
  t.true(scans.length > 50, `${scans.length} scans`);
  // The order lookup needs the cloud: each of these fans is turned away at the moment of the scan.
  for (const scan of scans) t.true(failedAt.has(`${scan.order}@${scan.t}`), `order ${scan.order} at ${scan.t}`);
  t.is(events.filter((e) => e.kind === 'on-demand' && e.t >= FROM && e.t < TO).length, 0);
});

test('the mesh keeps serving every image already in the venue during the outage', (t) => {
  const { run, events } = traced('mesh');
  const holders = new Map<number, Set<number>>();
  const attempts: Array<{ order: number; printer: number; t: number; inVenue: boolean }> = [];
  const failedOrders = new Set<string>();
  for (const e of events) {
    if (e.kind === 'held') {
      const img = e.images![0]!;
      if (!holders.has(img)) holders.set(img, new Set());
      holders.get(img)!.add(e.printer!);
    } else if (e.kind === 'redeem' && e.t >= FROM && e.t < TO) {
      attempts.push({
        order: e.order!,
        printer: e.printer!,
        t: e.t,
        inVenue: e.images!.every((img) => (holders.get(img)?.size ?? 0) > 0),
      });
    } else if (e.kind === 'redeem-failed') failedOrders.add(`${e.order}`);
  }
  const served = attempts.filter((a) => a.inVenue);
  t.true(served.length > 50, `${served.length} fans whose photos were in the venue`);
  for (const a of served) t.false(failedOrders.has(`${a.order}`), `order ${a.order} at ${a.t}`);
  // Photos uploaded during the outage cannot be had anywhere: those fans may fail, and only those.
  t.true(
    attempts.some((a) => !a.inVenue),
    'some fans wanted photos the venue could not get',
  );
  t.is(
    events.filter((e) => e.kind === 'on-demand' && e.source === 'cloud' && e.t >= FROM && e.t < TO).length,
    0,
    'no cloud fetch starts while the WAN is down',
  );
  t.true(run.failedRedemptions < traced('star-periodic').run.failedRedemptions / 3);
});
