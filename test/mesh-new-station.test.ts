/**
 * A station paired while the venue runs joins the mesh at once: the printers already running learn
 * of it from its knock (their firewall does not know its key, so they hold its connection and ask
 * the coordinator now), not at their next profile refresh. Here that refresh is ten minutes away.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import HyperDHT from 'hyperdht';
import { waitFor } from './fixtures/feed-fixtures.ts';
import { neverSyncs, startVenue, startVenuePrinter, type VenueSite } from './fixtures/venue-harness.ts';

/** Far beyond the test's timeout: a scheduled profile refresh cannot be what admits the new station. */
const REPORT_INTERVAL_MS = 600_000;
/**
 * The knock, a profile fetch (0–0.5 s spread) and the held connection handed over. A refused dial
 * in this key order used to hang until HyperDHT gave up on it and the new station retried: 6.4 s
 * and more, by the wall clock, however idle the machine.
 */
const ADMITTED_WITHIN_MS = 4_000;

/** Writes the identity a printer's data dir starts with (edge-node/identity.ts's file), so the test picks its key. */
async function presetIdentity(venue: VenueSite, name: string, keyPair: { publicKey: Buffer; secretKey: Buffer }) {
  const dir = join(venue.kit.dir, name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const identity = { publicKey: keyPair.publicKey.toString('hex'), secretKey: keyPair.secretKey.toString('hex') };
  await writeFile(join(dir, 'identity.json'), `${JSON.stringify(identity)}\n`, { mode: 0o600 });
}

test('a station paired after the others started is admitted on its first knock, not at their next profile refresh', async (t) => {
  t.timeout(120_000);
  const venue = await startVenue(t, { images: 1, imageSide: 200 });
  // The late station's key the greater: the order in which Hyperswarm used to keep its hanging dial.
  const [early, late] = [HyperDHT.keyPair(), HyperDHT.keyPair()].sort((a, b) =>
    Buffer.compare(a.publicKey, b.publicKey),
  );
  await presetIdentity(venue, 'first', early!);
  await presetIdentity(venue, 'late', late!);
  const slow = { reportIntervalMs: REPORT_INTERVAL_MS, schedule: neverSyncs() };
  const first = await startVenuePrinter(t, venue, 'first', slow);
  t.is((await first.status()).lanPeers, 0);
  // Paired only now: `first` fetched its profile before this station existed.
  const lateNode = await startVenuePrinter(t, venue, 'late', slow);
  const startedAt = Date.now();
  const meshed = await waitFor(
    async () => (await first.status()).lanPeers === 1 && (await lateNode.status()).lanPeers === 1,
    ADMITTED_WITHIN_MS,
    100,
  );
  t.true(meshed, `not meshed after ${Date.now() - startedAt} ms: ${first.logs.slice(-5).join(' | ')}`);
  t.log(`meshed ${Date.now() - startedAt} ms after the late station was ready`);
});
