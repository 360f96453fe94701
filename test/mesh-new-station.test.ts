/**
 * A station paired while the venue runs joins the mesh at once: the printers already running learn
 * of it from its knock (their firewall refused an unknown key, so they ask the coordinator now), not
 * at their next profile refresh. Here that refresh is ten minutes away.
 */
import test from 'ava';
import { waitFor } from './fixtures/feed-fixtures.ts';
import { neverSyncs, startVenue, startVenuePrinter } from './fixtures/venue-harness.ts';

/** Far beyond the test's timeout: a scheduled profile refresh cannot be what admits the new station. */
const REPORT_INTERVAL_MS = 600_000;
/** The knock, a profile fetch and a dial: seconds, even on a busy machine. */
const ADMITTED_WITHIN_MS = 20_000;

test('a station paired after the others started is admitted on its first knock, not at their next profile refresh', async (t) => {
  t.timeout(120_000);
  const venue = await startVenue(t, { images: 1, imageSide: 200 });
  const slow = { reportIntervalMs: REPORT_INTERVAL_MS, schedule: neverSyncs() };
  const first = await startVenuePrinter(t, venue, 'first', slow);
  t.is((await first.status()).lanPeers, 0);
  // Paired only now: `first` fetched its profile before this station existed.
  const late = await startVenuePrinter(t, venue, 'late', slow);
  const startedAt = Date.now();
  const meshed = await waitFor(
    async () => (await first.status()).lanPeers === 1 && (await late.status()).lanPeers === 1,
    ADMITTED_WITHIN_MS,
    100,
  );
  t.true(meshed, `not meshed after ${Date.now() - startedAt} ms: ${first.logs.slice(-5).join(' | ')}`);
  t.log(`meshed ${Date.now() - startedAt} ms after the late station was ready`);
});
