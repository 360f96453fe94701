import test from 'ava';
import { runModel } from '../sim/run-model.ts';
import type { TraceEvent } from '../sim/strategies/strategy.ts';
import { builtIn, variant } from './sim-helpers.ts';

const club = builtIn('club'); // 5 printers, WAN ample for 5 copies

test('mesh: each byte crosses the WAN about once; star: about once per printer (N = 5)', (t) => {
  const mesh = runModel(club, 'mesh', 1);
  const star = runModel(club, 'star-periodic', 1);
  t.true(mesh.wanRatio >= 1 && mesh.wanRatio < 1.05, `mesh ${mesh.wanRatio}`);
  t.true(star.wanRatio > 4.5 && star.wanRatio <= 5 + 1e-9, `star ${star.wanRatio}`);
  t.true(mesh.wanRatio < star.wanRatio);
  // The other N − 1 copies travel on the LAN.
  t.true(mesh.lanBytes > 3.8 * mesh.uniqueBytes && mesh.lanBytes <= 4 * mesh.uniqueBytes + 1, `${mesh.lanBytes}`);
  t.is(star.lanBytes, 0);
});

test('on-demand finds fewer orders already local than the prefetching strategies', (t) => {
  const onDemand = runModel(club, 'on-demand', 1);
  const mesh = runModel(club, 'mesh', 1);
  const star = runModel(club, 'star-periodic', 1);
  t.true(onDemand.allLocalShare < star.allLocalShare);
  t.true(onDemand.allLocalShare < mesh.allLocalShare);
  t.true(mesh.allLocalShare > 0.95, `${mesh.allLocalShare}`);
  t.true(onDemand.wanRatio < 1, 'on-demand moves only what was bought');
  t.true(
    onDemand.batches.every((b) => b.completeSeconds === null),
    'without prefetch no batch reaches every printer',
  );
  for (const run of [onDemand, mesh, star]) {
    t.is(run.fanWaitSeconds.count + run.failedRedemptions, run.redemptions);
    t.true(run.fanWaitSeconds.p50 <= run.fanWaitSeconds.p95 && run.fanWaitSeconds.p95 <= run.fanWaitSeconds.p99);
  }
});

test('replication lag: mesh keeps every printer near the head, on-demand never catches up', (t) => {
  const mesh = runModel(club, 'mesh', 1);
  const onDemand = runModel(club, 'on-demand', 1);
  const meanOf = (xs: Array<{ meanLagSeconds: number }>) => xs.reduce((a, x) => a + x.meanLagSeconds, 0) / xs.length;
  t.true(meanOf(mesh.lagSeries) < 120, `${meanOf(mesh.lagSeries)}`);
  t.true(meanOf(onDemand.lagSeries) > 1000);
  t.is(mesh.lagSeries.length, onDemand.lagSeries.length);
  t.is(mesh.lagSeries[0]!.t, 0);
});

test('a printer down for 30 minutes: fans go elsewhere, its share moves, and it catches up', (t) => {
  const s = variant('club', (raw) => {
    raw.faults = { printerDown: [{ printers: [2], fromS: 3600, toS: 5400 }] };
  });
  for (const strategy of ['mesh', 'star-periodic'] as const) {
    const events: TraceEvent[] = [];
    const run = runModel(s, strategy, 1, { trace: (e) => events.push(e) });
    const redeemsThere = events.filter((e) => e.kind === 'redeem' && e.printer === 2 && e.t >= 3600 && e.t < 5400);
    t.is(redeemsThere.length, 0, `${strategy}: no fan is sent to a printer that is down`);
    t.true(
      run.batches.every((b) => b.completeSeconds !== null),
      `${strategy}: every printer ends with every batch`,
    );
    if (strategy === 'mesh') t.true(run.wanRatio < 1.1, `mesh ${run.wanRatio}`);
  }
});

test('shortest-queue spreads fans better than everyone going to the nearest printer of a hot spot', (t) => {
  const hot = variant('club', (raw) => {
    raw.redemption.choice = 'nearest';
    raw.redemption.hotspotSkew = 3;
  });
  const spread = variant('club', (raw) => {
    raw.redemption.choice = 'shortest-queue';
  });
  t.true(runModel(spread, 'mesh', 1).fanWaitSeconds.p95 < runModel(hot, 'mesh', 1).fanWaitSeconds.p95);
});
