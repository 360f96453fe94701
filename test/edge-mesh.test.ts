import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import HyperDHT from 'hyperdht';
import Hyperswarm, { type SwarmConnection } from 'hyperswarm';
import { api, buyAndPay, uploadImage } from '../tools/venue-kit/http.ts';
import { noisyJpeg } from '../tools/venue-kit/photos.ts';
import { waitFor } from './fixtures/feed-fixtures.ts';
import { heldEverywhere } from './fixtures/printer-holdings.ts';
import { neverSyncs, startVenue, startVenuePrinter } from './fixtures/venue-harness.ts';

test('4 edge-node processes: scheduled sync replicates each new batch to all, the cloud pays about once', async (t) => {
  t.timeout(180_000);
  const venue = await startVenue(t, { images: 8 });
  const nodes = await Promise.all(['A', 'B', 'C', 'D'].map((n) => startVenuePrinter(t, venue, n)));
  t.true(await heldEverywhere(nodes, 8, 90_000), 'the first batch reached every printer');

  // A new batch while the event runs.
  for (let i = 0; i < 4; i++) {
    const bytes = await noisyJpeg(100 + i, 1200);
    const res = await uploadImage(venue.base, venue.event.id, venue.photographer, bytes, `late${i}.jpg`);
    t.is(res.status, 201);
    venue.images.push({ id: res.body.image.id, sha256: '', bytes: bytes.length, data: bytes });
  }
  t.true(await heldEverywhere(nodes, 12, 90_000), 'the second batch reached every printer');
  const unique = venue.images.reduce((n, i) => n + i.bytes, 0);
  const statuses = await Promise.all(nodes.map((n) => n.status()));
  const cloud = statuses.reduce((n, s) => n + s.bytesFromCloud, 0);
  const lan = statuses.reduce((n, s) => n + s.bytesFromLan, 0);
  t.log(`unique ${unique} B; cloud ${cloud} B = ${(cloud / unique).toFixed(3)}× unique; LAN ${lan} B`);
  t.true(cloud <= 1.5 * unique, `cloud ${cloud} ≤ 1.5 × unique ${unique}`);
  t.true(
    statuses.every((s) => s.lanPeers === 3),
    'full LAN mesh',
  );
});

/**
 * Issue #16: past 2 × photoOverlayRings + 1 printers each printer replicates the photos with its
 * overlay neighbours only (shared/policy/photo-overlay.ts); every printer still gets every photo,
 * relayed printer to printer, and the cloud still pays about once. One ring over five printers: two
 * photo peers each, so photos from the cloud cross up to two LAN hops.
 */
test('5 edge-node processes on a photo overlay of one ring: two photo peers each, every photo everywhere, the cloud pays about once', async (t) => {
  t.timeout(180_000);
  // The coordinator states the venue's overlay; a printer's own setting (here a different one) is
  // only for coordinators that do not.
  const venue = await startVenue(t, { images: 8, photoOverlayRings: 1 });
  const nodes = await Promise.all(
    ['A', 'B', 'C', 'D', 'E'].map((n) => startVenuePrinter(t, venue, n, { photoOverlayRings: 3 })),
  );
  t.true(await heldEverywhere(nodes, 8, 120_000), 'every photo reached every printer');
  const meshed = async () =>
    (await Promise.all(nodes.map((n) => n.status()))).every(
      (s) => s.lanPeers === 4 && s.events.every((e) => e.photoPeers === 2),
    );
  t.true(await waitFor(meshed, 30_000, 250), 'every printer connects to all four others and takes photos from two');
  const unique = venue.images.reduce((n, i) => n + i.bytes, 0);
  const statuses = await Promise.all(nodes.map((n) => n.status()));
  const cloud = statuses.reduce((n, s) => n + s.bytesFromCloud, 0);
  t.log(`unique ${unique} B; cloud ${cloud} B = ${(cloud / unique).toFixed(3)}× unique`);
  t.true(cloud <= 1.5 * unique, `cloud ${cloud} ≤ 1.5 × unique ${unique}`);
});

/**
 * Issue #16: with ticks and profile refreshes ten minutes apart, a new photo still reaches every
 * printer within seconds: the catalog's owner keeps its cloud connection open and hears the append,
 * and the new length travels on over the LAN, waking each printer. Without that watch nobody is
 * connected to the cloud between bursts and the venue waits for the next refresh.
 */
test('a new photo reaches every printer long before the next tick or profile refresh: one printer watches the feed', async (t) => {
  t.timeout(120_000);
  const venue = await startVenue(t, { images: 2 });
  const slow = { schedule: { intervalMs: 600_000 }, reportIntervalMs: 600_000 };
  const nodes = await Promise.all(['A', 'B', 'C'].map((n) => startVenuePrinter(t, venue, n, slow)));
  t.true(await heldEverywhere(nodes, 2, 60_000), 'the first cycle took the photos already there');
  // The others hang up once idle (CLOUD_IDLE_HANGUP_MS); the watcher stays.
  const connected = async () =>
    (await Promise.all(nodes.map((n) => n.status()))).filter((s) => s.cloudConnected === true).length;
  t.true(await waitFor(async () => (await connected()) <= 1, 40_000, 250), 'idle printers hung up');
  t.is(await connected(), 1, 'one printer keeps the cloud connection: the catalog owner watches the feed');
  const bytes = await noisyJpeg(200, 1200);
  const sentAt = Date.now();
  const res = await uploadImage(venue.base, venue.event.id, venue.photographer, bytes, 'new.jpg');
  t.is(res.status, 201);
  const uploadedAt = Date.now();
  t.true(await heldEverywhere(nodes, 3, 45_000), 'every printer holds the new photo within 45 s (ticks: 600 s)');
  const seenAt = Date.now();
  t.log(`every printer held the new photo ${seenAt - uploadedAt} ms after its upload`);

  // Each printer stamped the moment the photo became printable there (photo-arrivals.ts).
  const stamps: number[] = [];
  for (const node of nodes) {
    const arrival = (await node.arrivals(venue.event.id)).find((a) => a.imageId === res.body.image.id);
    if (!arrival) return t.fail(`${node.name} lists no arrival of the new photo`);
    t.true(arrival.wholeAt >= sentAt && arrival.wholeAt <= seenAt, `${node.name} stamped it while it replicated`);
    t.true(arrival.registeredAt >= sentAt && arrival.registeredAt <= arrival.wholeAt);
    stamps.push(arrival.wholeAt - arrival.registeredAt);
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    const arrivals = (await node.arrivals(venue.event.id)).length;
    t.regex(
      metrics,
      new RegExp(`^vpm_edge_photo_arrival_seconds_count ${arrivals}$`, 'm'),
      'one observation per arrival',
    );
  }
  t.log(`printable at the printers ${stamps.join(', ')} ms after registration`);
  const unknown = await api(nodes[0]!.url, 'GET', '/api/events/no-such-event/arrivals');
  t.is(unknown.status, 404);
  const bad = await api(nodes[0]!.url, 'GET', `/api/events/${venue.event.id}/arrivals?afterSeq=x`);
  t.is(bad.status, 400);
});

/**
 * D redeems a photo nobody holds (from the cloud), then E redeems the same photo: E must take it
 * from D over the LAN with 0 bytes from the cloud. `e2.host` puts E on an address of its own; `e2.lanDeadlineMs` is how long E waits for the LAN.
 */
async function lanServesTheNextPrinter(t: ExecutionContext, e2: { host?: string; lanDeadlineMs: number }) {
  const venue = await startVenue(t, { images: 2 });
  // A LAN peer that holds the photo is always asked first; how long a stalled LAN transfer may take
  // before the cloud is asked too is a deadline (1.5 s by default) that a loaded test machine can
  // overrun, so E's is long: the test is about who serves, not about the deadline. D keeps the
  // default: nobody holds the photo when D redeems, so it goes to the cloud after that deadline.
  const [d, e] = await Promise.all([
    startVenuePrinter(t, venue, 'D', { schedule: neverSyncs() }),
    startVenuePrinter(t, venue, 'E', {
      schedule: neverSyncs(),
      onDemandLanDeadlineMs: e2.lanDeadlineMs,
      ...(e2.host ? { dhtHost: e2.host } : {}),
    }),
  ]);
  t.true(await waitFor(async () => (await d.status()).lanPeers === 1, 20_000, 100), 'D and E are connected');
  const first = await buyAndPay(venue.base, venue.event.id, [{ imageId: venue.images[0]!.id, copies: 1 }]);
  const atD = await d.redeem(first.token);
  t.is(atD.status, 200, JSON.stringify(atD.body));
  t.deepEqual(
    atD.body.units?.map((u) => u.state),
    ['printed'],
  );
  const dStatus = await d.status();
  t.true(dStatus.bytesFromCloud >= venue.images[0]!.bytes, 'no LAN peer had it: it came from the cloud');

  const second = await buyAndPay(venue.base, venue.event.id, [{ imageId: venue.images[0]!.id, copies: 2 }]);
  const before = await e.status();
  const atE = await e.redeem(second.token);
  t.is(atE.status, 200, JSON.stringify(atE.body));
  t.deepEqual(
    atE.body.units?.map((u) => u.state),
    ['printed', 'printed'],
  );
  const after = await e.status();
  t.is(after.bytesFromCloud - before.bytesFromCloud, 0, 'a LAN peer had it: 0 bytes from the cloud');
  t.true(after.bytesFromLan - before.bytesFromLan >= venue.images[0]!.bytes);
  return { e, second };
}

test('on demand: an image no printer holds comes from the cloud; the next printer gets it from its LAN peer with 0 cloud bytes', async (t) => {
  t.timeout(120_000);
  const { e, second } = await lanServesTheNextPrinter(t, { lanDeadlineMs: 40_000 });
  // A code already printed, or a foreign one, is refused with a reason and prints nothing.
  const again = await e.redeem(second.token);
  t.is(again.status, 409);
  const garbage = await e.redeem('THIS IS NOT A CODE');
  t.is(garbage.status, 400);
});

// Printers of a venue have addresses of their own. A private DHT never confirms that a node is
// reachable, and between two nodes on different addresses that both count as firewalled, hyperdht's
// connection opened but carried nothing (venue-dht.ts venueSwarmDht): E's first LAN bytes came
// ~15 s later, over a connection dialled again. E's LAN deadline here is 8 s: five times the default,
// far more than a LAN transfer of this photo takes on a loaded machine, far less than that wait.
test('printers on different addresses of the venue LAN serve each other (their DHT nodes say they are reachable)', async (t) => {
  t.timeout(120_000);
  await lanServesTheNextPrinter(t, { host: '127.0.0.3', lanDeadlineMs: 8_000 });
});

test('an unpaired peer that knows the venue topic gets nothing: printers hold it without replicating, then hang up once the coordinator does not know it', async (t) => {
  t.timeout(120_000);
  const venue = await startVenue(t, { images: 1 });
  const [a, b] = await Promise.all([startVenuePrinter(t, venue, 'A'), startVenuePrinter(t, venue, 'B')]);
  t.true(await waitFor(async () => (await a.status()).lanPeers === 1, 20_000, 100), 'paired printers connect');
  // The topic leaked (it never should: it is derived from the venue secret); the key was never paired.
  const profile = await readPrinterProfile(venue, 'A');
  const printers = await Promise.all(['A', 'B'].map((name) => readPublicKey(venue, name)));
  const members = [...printers, ...profile.peers.coordinators];
  const stranger = new Hyperswarm({ dht: new HyperDHT({ host: '127.0.0.1', bootstrap: venue.bootstrap }) });
  t.teardown(() => stranger.destroy());
  const opened: string[] = [];
  const hungUp = new Set<string>();
  let bytesFromVenue = 0;
  stranger.on('connection', (conn: SwarmConnection) => {
    const key = conn.remotePublicKey.toString('hex');
    opened.push(key);
    conn.on('error', () => {});
    // Anything a printer sent would be Hypercore's channel opens for its cores.
    conn.on('data', (data: Buffer) => {
      bytesFromVenue += data.byteLength;
    });
    conn.once('close', () => hungUp.add(key));
  });
  await stranger.join(Buffer.from(profile.venue.topic, 'hex'), { server: true, client: true }).flushed();
  // The stranger found every member on the topic and dialled each (a PeerInfo counts an attempt
  // when its connection closes): the printers held its connection until the coordinator's answer
  // to its knock left it out, then hung up; the coordinator refused it outright.
  const dialledAndDone = () =>
    members.every((key) => (stranger.peers.get(key)?.attempts ?? 0) >= 1) && stranger.connections.size === 0;
  t.true(await waitFor(dialledAndDone, 30_000, 100), 'the stranger dialled both printers and the coordinator');
  t.deepEqual(
    [...opened].sort(),
    [...printers].sort(),
    'both printers held it; the coordinator admitted it at no time',
  );
  t.deepEqual([...hungUp].sort(), [...printers].sort(), 'both hung up');
  t.is(bytesFromVenue, 0, 'no printer replicated anything with it');
  const logs = [...a.logs, ...b.logs].join('\n');
  t.regex(logs, /does not know a station that dialled: dropped/, "on the coordinator's answer, not the 15 s backstop");
  t.is((await a.status()).lanPeers, 1);
  t.is((await b.status()).lanPeers, 1);
});

async function readPublicKey(venue: Awaited<ReturnType<typeof startVenue>>, name: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return (JSON.parse(await readFile(join(venue.dir, name, 'identity.json'), 'utf8')) as { publicKey: string })
    .publicKey;
}

async function readPrinterProfile(
  venue: Awaited<ReturnType<typeof startVenue>>,
  name: string,
): Promise<{ venue: { topic: string }; peers: { coordinators: string[] } }> {
  const { readFile } = await import('node:fs/promises');
  return JSON.parse(await readFile(join(venue.dir, name, 'profile.json'), 'utf8'));
}
