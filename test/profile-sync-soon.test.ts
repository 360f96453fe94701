import test, { type ExecutionContext } from 'ava';
import { type CoordinatorClient, CoordinatorError } from '../edge-node/coordinator-client.ts';
import type { HoldingsScan } from '../edge-node/mesh/event-replica.ts';
import { PROFILE_REFRESH_SOON_GAP_MS, PROFILE_REFRESH_SOON_SPREAD_MS, ProfileSync } from '../edge-node/profile-sync.ts';
import type { CatalogEntry } from '../shared/feed/feed-layout.ts';
import { hashString32 } from '../shared/policy/hash32.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import type { PrinterProfile, PrinterStatusReport } from '../shared/protocol/printer-api.ts';
import { recordingLogger, tempDir } from './fixtures/feed-fixtures.ts';

const INTERVAL_MS = 60_000;
const PAIRING_CODE = 'p'.repeat(64);
/** This printer's delay of an out-of-schedule refresh (its share of the spread). */
const SPREAD_MS = hashString32(PAIRING_CODE) % PROFILE_REFRESH_SOON_SPREAD_MS;

const profile = {
  printer: { id: PAIRING_CODE, name: 'P' },
  venue: { id: 'v', name: 'Venue', topic: 't'.repeat(64) },
  tokenKeys: [],
  feeds: [],
  peers: { printers: [], coordinators: [] },
} as unknown as PrinterProfile;

/**
 * A ProfileSync whose coordinator counts profile requests and records have-lists; `hold()` keeps the
 * next profile request pending until `release()`. `rangesRefused`: the coordinator is older than seq
 * ranges and refuses them as invalid input.
 */
async function sync(t: ExecutionContext, opts: { scans?: HoldingsScan[]; rangesRefused?: boolean } = {}) {
  const clock = new ManualClock(1_000_000);
  const asked: number[] = [];
  const holdings: Array<{ eventId: string; seqRanges?: unknown; imageIds?: unknown }> = [];
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
    putHoldings: async (eventId: string, seqRanges: unknown) => {
      if (opts.rangesRefused) throw new CoordinatorError(400, 'invalid_input', 'Unrecognized key: "seqRanges"');
      holdings.push({ eventId, seqRanges });
    },
    putHeldImageIds: async (eventId: string, imageIds: unknown) => {
      holdings.push({ eventId, imageIds });
    },
  } as unknown as CoordinatorClient;
  const s = new ProfileSync({
    client,
    clock,
    logger: recordingLogger(),
    cachePath: `${await tempDir(t, 'vpm-profile-sync-')}/profile.json`,
    pairingCode: PAIRING_CODE,
    intervalMs: INTERVAL_MS,
    hooks: {
      cloudReachable: () => {},
      apply: async () => {},
      uplinkUp: async () => {},
      scanHoldings: async () => opts.scans ?? [],
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
    holdings,
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

test('profile sync: refreshSoon asks within the spread, then not again within the gap, and the schedule goes on', async (t) => {
  const { s, clock, asked, finished } = await sync(t);
  s.start();
  await clock.tick(5_000);
  t.is(asked.length, 0);
  s.refreshSoon();
  await clock.tick(SPREAD_MS);
  t.deepEqual(asked, [1_005_000 + SPREAD_MS], 'asked after this printer’s share of the spread');
  await finished();
  s.refreshSoon();
  await clock.tick(PROFILE_REFRESH_SOON_GAP_MS - 1);
  t.is(asked.length, 1, 'not again within the gap');
  await clock.tick(1);
  t.deepEqual(asked, [1_005_000 + SPREAD_MS, 1_005_000 + SPREAD_MS + PROFILE_REFRESH_SOON_GAP_MS]);
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

const entry = (seq: number) => ({ imageId: `img-${seq}`, seq }) as unknown as CatalogEntry;

test('profile sync: have-lists go as seq ranges, once per change; a coordinator that refuses ranges gets image ids', async (t) => {
  const scans = [{ eventId: 'e1', held: [entry(0), entry(1), entry(2), entry(5)] }] as unknown as HoldingsScan[];
  const modern = await sync(t, { scans });
  await modern.s.refresh();
  await modern.s.refresh();
  t.deepEqual(modern.holdings, [
    {
      eventId: 'e1',
      seqRanges: [
        [0, 3],
        [5, 6],
      ],
    },
  ]);

  const older = await sync(t, { scans, rangesRefused: true });
  await older.s.refresh();
  t.deepEqual(older.holdings, [{ eventId: 'e1', imageIds: ['img-0', 'img-1', 'img-2', 'img-5'] }]);
});
