/**
 * Detours between edge-node processes (issue #16, edge-node/mesh/photo-detours.ts): on the photo
 * overlay with the sync windows closed, a fan's photo that only a printer off the overlay holds is
 * fetched from that printer over a detour, not from the cloud, and the detour closes afterwards.
 */
import { join } from 'node:path';
import test from 'ava';
import { CoordinatorClient } from '../edge-node/coordinator-client.ts';
import { loadOrCreateIdentity } from '../edge-node/identity.ts';
import { photoCoreNeighbours } from '../shared/policy/photo-overlay.ts';
import { DEFAULT_SOURCE_CONFIG } from '../shared/policy/source-choice.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { buyAndPay } from '../tools/venue-kit/http.ts';
import { waitFor } from './fixtures/feed-fixtures.ts';
import { neverSyncs, startVenue, startVenuePrinter } from './fixtures/venue-harness.ts';

const NAMES = ['A', 'B', 'C', 'D', 'E'] as const;
/**
 * How long the printers after the first wait for the LAN before the cloud: far longer than a LAN
 * transfer takes on a loaded machine, so a photo from the cloud means no LAN printer served it.
 */
const LONG_LAN_DEADLINE_MS = 40_000;

test('a photo only a printer off the overlay holds comes over a detour with 0 bytes from the cloud; the detour closes after', async (t) => {
  t.timeout(180_000);
  // One ring over five printers: two photo peers each, two printers off each one's overlay.
  const venue = await startVenue(t, { images: 2, photoOverlayRings: 1 });
  const nodes = await Promise.all(
    NAMES.map((name, i) =>
      startVenuePrinter(t, venue, name, {
        schedule: neverSyncs(),
        // The first printer's photo comes from the cloud (nobody holds it): no need to wait long.
        ...(i === 0 ? {} : { onDemandLanDeadlineMs: LONG_LAN_DEADLINE_MS }),
      }),
    ),
  );
  t.true(
    await waitFor(
      async () => (await Promise.all(nodes.map((n) => n.status()))).every((s) => s.lanPeers === 4),
      30_000,
      100,
    ),
    'every printer connects to every other',
  );
  const identities = await Promise.all(
    NAMES.map((name) => loadOrCreateIdentity(join(venue.kit.dir, name, 'identity.json'))),
  );
  const keys = identities.map((id) => id.publicKey.toString('hex'));
  const profile = await new CoordinatorClient({
    baseUrl: venue.base,
    keyPair: identities[0]!,
    clock: systemClock,
  }).me();
  const blobsKey = profile.feeds.find((f) => f.eventId === venue.event.id)!.blobsKey;
  const holderPeers = photoCoreNeighbours(blobsKey, keys, keys[0]!, 1);
  const stranger = keys.findIndex((k, i) => i > 0 && !holderPeers.has(k));
  t.true(stranger > 0, 'a printer off the first one’s overlay');

  const first = await buyAndPay(venue.base, venue.event.id, [{ imageId: venue.images[0]!.id, copies: 1 }]);
  const holderStarted = performance.now();
  const atHolder = await nodes[0]!.redeem(first.token);
  const holderMs = performance.now() - holderStarted;
  t.deepEqual(
    atHolder.body.units?.map((u) => [u.state, u.source]),
    [['printed', 'cloud']],
    'nobody held it: from the cloud',
  );

  const second = await buyAndPay(venue.base, venue.event.id, [{ imageId: venue.images[0]!.id, copies: 1 }]);
  const before = await nodes[stranger]!.status();
  const strangerStarted = performance.now();
  const atStranger = await nodes[stranger]!.redeem(second.token);
  t.log(
    `redeemed with the photo from the cloud in ${Math.round(holderMs)} ms (after its LAN deadline of ${DEFAULT_SOURCE_CONFIG.onDemandLanDeadlineMs} ms), over a detour in ${Math.round(performance.now() - strangerStarted)} ms`,
  );
  t.is(atStranger.status, 200, JSON.stringify(atStranger.body));
  t.deepEqual(
    atStranger.body.units?.map((u) => [u.state, u.source]),
    [['printed', 'lan']],
  );
  const after = await nodes[stranger]!.status();
  t.is(after.bytesFromCloud - before.bytesFromCloud, 0, 'the printer that holds it served it: 0 bytes from the cloud');
  t.true(after.bytesFromLan - before.bytesFromLan >= venue.images[0]!.bytes);
  t.like(after.photoDetours, { asked: 1 });
  t.true(
    await waitFor(
      async () => {
        const [holder, asker] = await Promise.all([nodes[0]!.status(), nodes[stranger]!.status()]);
        return (
          holder.photoDetours?.served === 1 &&
          holder.photoDetours.serving === 0 &&
          [holder, asker].every((s) => s.events.every((e) => e.photoPeers === 2))
        );
      },
      30_000,
      250,
    ),
    'the holder served one detour and closed it: two photo peers each again',
  );
});
