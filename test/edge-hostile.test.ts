import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { loadOrCreateIdentity } from '../edge-node/identity.ts';
import type { EventFeedDescriptor } from '../shared/feed/feed-layout.ts';
import { buyAndPay, printerApi } from '../tools/venue-kit/http.ts';
import { waitFor } from './fixtures/feed-fixtures.ts';
import { HostilePeer } from './fixtures/hostile-peer.ts';
import { printedPhotoMismatch } from './fixtures/print-output.ts';
import { neverSyncs, pairPrinter, startVenue, startVenuePrinter } from './fixtures/venue-harness.ts';

/** The file printer's default width (the harness's printers leave it unset). */
const WIDTH_DOTS = 576;

test('a paired peer serving corrupted blocks is cut off, and what prints is the genuine photo', async (t) => {
  t.timeout(120_000);
  const venue = await startVenue(t, { images: 1 });
  // The hostile printer is paired (it passed the firewall), holds the feed, and corrupts what it serves.
  const hostileDir = join(venue.dir, 'H');
  await pairPrinter(venue.base, venue.operator, venue.venue.id, hostileDir, 'H');
  const identity = await loadOrCreateIdentity(join(hostileDir, 'identity.json'));
  const me = await printerApi<{
    venue: { topic: string };
    feeds: EventFeedDescriptor[];
    peers: { coordinators: string[] };
  }>(venue.base, identity, 'GET', '/api/printer/me');
  const hostile = new HostilePeer({
    dir: join(hostileDir, 'corestore'),
    bootstrap: venue.bootstrap,
    keyPair: identity,
  });
  t.teardown(() => hostile.close());
  await hostile.start(me.body.feeds[0]!, Buffer.from(me.body.venue.topic, 'hex'), me.body.peers.coordinators[0]!);

  const dataDir = join(venue.dir, 'N');
  const honest = await startVenuePrinter(t, venue, 'N', { schedule: neverSyncs() });

  t.true(
    await waitFor(async () => (await honest.status()).lanPeers === 1, 20_000, 100),
    'the honest printer connected to the hostile one',
  );

  const { token, orderId } = await buyAndPay(venue.base, venue.event.id, [{ imageId: venue.images[0]!.id, copies: 1 }]);
  const result = await honest.redeem(token);
  t.is(result.status, 200, JSON.stringify(result.body));
  t.deepEqual(
    result.body.units?.map((u) => u.state),
    ['printed'],
  );
  t.true(hostile.blocksCorrupted > 0, 'the hostile peer did serve corrupted blocks');
  const status = (await honest.status()) as Awaited<ReturnType<typeof honest.status>> & { blockedPeers: number };
  t.is(status.blockedPeers, 1, 'the hostile peer was cut off');
  t.is(status.lanPeers, 0);
  t.true(status.bytesFromCloud >= venue.images[0]!.bytes, 'the genuine blocks came from the cloud');

  // What came out of the printer is the genuine photo, decoded back from the ESC/POS bytes.
  const prints = join(dataDir, 'prints');
  const slug = orderId.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const photo = (await readdir(prints)).find((f) => f.endsWith('.escpos') && f.includes(slug));
  t.truthy(photo);
  t.is(
    await printedPhotoMismatch(join(prints, photo!), venue.images[0]!.data, WIDTH_DOTS),
    null,
    'printed dots = the genuine photo dithered',
  );
});
