import test, { type ExecutionContext } from 'ava';
import type { CoordinatorClient } from '../edge-node/coordinator-client.ts';
import { PROFILE_REFRESH_SOON_GAP_MS, ProfileSync } from '../edge-node/profile-sync.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import type { PrinterProfile, PrinterStatusReport } from '../shared/protocol/printer-api.ts';
import { recordingLogger, tempDir } from './fixtures/feed-fixtures.ts';

const INTERVAL_MS = 60_000;

const profile = {
  printer: { id: 'p'.repeat(64), name: 'P' },
  venue: { id: 'v', name: 'Venue', topic: 't'.repeat(64) },
  tokenKeys: [],
  feeds: [],
  peers: { printers: [], coordinators: [] },
} as unknown as PrinterProfile;

/** A ProfileSync whose coordinator counts profile requests; `hold()` keeps the next one pending. */
async function sync(t: ExecutionContext) {
  const clock = new ManualClock(1_000_000);
  const asked: number[] = [];
  let reported = 0;
  let held: { release: () => void } | null = null;
  const client = {
    me: async () => {
      asked.push(clock.now());
      if (held) await new Promise<void>((release) => (held = { release }));
      return profile;
    },
    putStatus: async () => {
      reported++;
    },
    putHoldings: async () => {},
  } as unknown as CoordinatorClient;
  const s = new ProfileSync({
    client,
    clock,
    logger: recordingLogger(),
    cachePath: `${await tempDir(t, 'vpm-profile-sync-')}/profile.json`,
    pairingCode: 'p'.repeat(64),
    intervalMs: INTERVAL_MS,
    hooks: {
      cloudReachable: () => {},
      apply: async () => {},
      uplinkUp: async () => {},
      scanHoldings: async () => [],
      statusReport: async () => ({}) as PrinterStatusReport,
      announce: async () => {},
      storageFailed: () => {},
      refreshFailed: () => {},
    },
  });
  t.teardown(() => s.close());
  return {
    s,
    clock,
    asked,
    /** Until every refresh asked for so far has finished (its cache write is real I/O). */
    finished: async () => {
      while (reported < asked.length) await new Promise((r) => setImmediate(r));
      await clock.tick(0);
    },
    hold: () => {
      held = { release: () => {} };
    },
    release: () => {
      const h = held as { release: () => void } | null;
      held = null;
      h?.release();
    },
  };
}

test('profile sync: refreshSoon asks at once, then not again within the gap, and the schedule goes on', async (t) => {
  const { s, clock, asked, finished } = await sync(t);
  s.start();
  await clock.tick(5_000);
  t.is(asked.length, 0);
  s.refreshSoon();
  await clock.tick(0);
  t.deepEqual(asked, [1_005_000], 'asked at once');
  await finished();
  s.refreshSoon();
  await clock.tick(PROFILE_REFRESH_SOON_GAP_MS - 1);
  t.is(asked.length, 1, 'not again within the gap');
  await clock.tick(1);
  t.deepEqual(asked, [1_005_000, 1_005_000 + PROFILE_REFRESH_SOON_GAP_MS]);
  await finished();
  await clock.tick(INTERVAL_MS - 1);
  t.is(asked.length, 2);
  await clock.tick(1);
  t.is(asked.length, 3, 'the regular refresh follows an interval after the last one');
});

test('profile sync: refreshSoon while a refresh runs asks once more after the gap; before start it asks nothing', async (t) => {
  const { s, clock, asked, hold, release, finished } = await sync(t);
  s.refreshSoon();
  await clock.tick(INTERVAL_MS * 2);
  t.is(asked.length, 0, 'not started: nothing scheduled, nothing asked');
  s.start();
  hold();
  await clock.tick(INTERVAL_MS);
  t.is(asked.length, 1, 'the regular refresh is running');
  s.refreshSoon();
  release();
  await finished();
  await clock.tick(PROFILE_REFRESH_SOON_GAP_MS - 1);
  t.is(asked.length, 1);
  await clock.tick(1);
  t.is(asked.length, 2, 'the knock during the refresh got a refresh of its own');
});
