import test from 'ava';
import { ManualClock } from '../shared/ports/clock.ts';
import { VENUE_STEADY_TIMEOUT_MS, waitForSteadyVenue } from '../sim/emulation/venue-steady.ts';

/** Printers whose LAN peer counts follow the clock: `connectedAt[i][k]` is when printer i met its k-th peer. */
function printers(clock: ManualClock, connectedAt: number[][]) {
  return connectedAt.map((times) => ({
    status: async () => ({ lanPeers: times.filter((at) => at <= clock.now()).length }),
  }));
}

test('the run starts once every printer is connected to all the others, not before', async (t) => {
  const clock = new ManualClock(0);
  const nodes = printers(clock, [
    [100, 2_000],
    [100, 900],
    [900, 2_000],
  ]);
  const waiting = waitForSteadyVenue(nodes, clock);
  let result: Awaited<typeof waiting> | null = null;
  void waiting.then((r) => {
    result = r;
  });
  await clock.tick(1_500);
  t.is(result, null, 'two printers still miss a peer');
  await clock.tick(1_000);
  t.deepEqual(result, { steady: true, waitedMs: 2_000, lanPeers: [2, 2, 2] });
});

test('a venue whose printers never all meet starts after the timeout, saying who missed whom', async (t) => {
  const clock = new ManualClock(0);
  const nodes = printers(clock, [[100], [100], []]);
  const waiting = waitForSteadyVenue(nodes, clock);
  await clock.tick(VENUE_STEADY_TIMEOUT_MS + 1_000);
  t.deepEqual(await waiting, { steady: false, waitedMs: VENUE_STEADY_TIMEOUT_MS, lanPeers: [1, 1, 0] });
});
