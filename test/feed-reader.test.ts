import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import HyperDHT from 'hyperdht';
import { FeedService } from '../coordinator/feed/feed-service.ts';
import type { Store } from '../coordinator/store/port.ts';
import { deriveVenueTopic } from '../shared/feed/feed-layout.ts';
import {
  insertPendingImages,
  insertVenueAndEvent,
  LOOPBACK,
  openStore,
  PlainReader,
  recordingLogger,
  sha256Hex,
  startBootstrap,
  tempDir,
  waitFor,
} from './fixtures/feed-fixtures.ts';
import { printerRecord } from './fixtures/store-records.ts';

const FLOW_TIMEOUT_MS = 30_000;

async function startService(
  t: ExecutionContext,
  store: Store,
  dataDir: string,
  bootstrap: Array<{ host: string; port: number }>,
): Promise<FeedService> {
  const service = new FeedService({
    store,
    dataDir,
    instanceId: 'coordinator-a',
    swarmKeyPair: HyperDHT.keyPair(),
    bootstrap,
    dhtHost: LOOPBACK,
    logger: recordingLogger(),
    peerRefreshIntervalMs: 60_000,
    appender: { pollIntervalMs: 200, batchMaxImages: 4 },
  });
  await service.ready();
  t.teardown(() => service.close());
  return service;
}

async function allAppended(store: Store, eventId: string): Promise<boolean> {
  return (await store.listPendingImages(eventId, 100)).length === 0;
}

test('a plain reader with only the descriptor and the venue topic reads every master over the swarm', async (t) => {
  const bootstrap = await startBootstrap(t);
  const dir = await tempDir(t);
  const store = await openStore(t, dir);
  const { venue, event } = await insertVenueAndEvent(store, 'v1', 'ev1');
  const ids = ['i1', 'i2', 'i3', 'i4', 'i5', 'i6'];
  const masters = await insertPendingImages(store, event.id, ids);

  const reader = new PlainReader({ dir: await tempDir(t), bootstrap });
  t.teardown(() => reader.close());
  await store.insertPrinter(printerRecord(reader.publicKeyHex, venue.id));

  const service = await startService(t, store, join(dir, 'coordinator'), bootstrap);
  service.notifyImagesPending(event.id);
  t.true(await waitFor(() => allAppended(store, event.id), FLOW_TIMEOUT_MS), 'all images appended');

  const images = await store.listImages(event.id);
  t.deepEqual(
    images.map((image) => [image.id, image.feedState, image.seq]),
    ids.map((id, seq) => [id, 'appended', seq]),
  );
  const committed = (await store.getEvent(event.id))?.feedHead;
  const [stats] = await service.stats();
  t.deepEqual(committed, stats && { blobsLength: stats.blobsLength, catalogLength: stats.catalogLength });
  t.is(
    stats?.blobsBytes,
    masters.reduce((sum, m) => sum + m.bytes.byteLength, 0),
  );

  await reader.open(service.descriptorFor(event), deriveVenueTopic(Buffer.from(venue.topicSecret, 'hex')));
  t.true(await reader.waitForImageCount(ids.length, FLOW_TIMEOUT_MS), 'reader sees the catalog');
  for (const master of masters) {
    const entry = await reader.entry(master.id);
    const stored = images.find((image) => image.id === master.id);
    t.deepEqual(entry?.blob, stored?.feed ?? undefined);
    t.is(entry?.seq ?? null, stored?.seq ?? null);
    const bytes = await reader.readImage(master.id);
    t.is(bytes === null ? null : sha256Hex(bytes), master.sha256, `image ${master.id} is byte-identical`);
  }
  t.true(service.seeder.connectedPeers().includes(reader.publicKeyHex));
  const counters = service.seeder.byteCounters();
  t.true(counters.written > masters.reduce((sum, m) => sum + m.bytes.byteLength, 0), 'bytes went over the wire');
  t.is(service.appender.appendedTotal, ids.length);
});

test('firewall: a key that is not an unrevoked printer gets nothing; pairing admits it; revoking drops it', async (t) => {
  const bootstrap = await startBootstrap(t);
  const dir = await tempDir(t);
  const store = await openStore(t, dir);
  const { venue, event } = await insertVenueAndEvent(store, 'v2', 'ev2');
  const masters = await insertPendingImages(store, event.id, ['s1', 's2']);

  const stranger = new PlainReader({ dir: await tempDir(t), bootstrap });
  t.teardown(() => stranger.close());
  // Paired once, revoked since: still a stranger.
  await store.insertPrinter(printerRecord(stranger.publicKeyHex, venue.id, { revokedAt: Date.now() }));

  const service = await startService(t, store, join(dir, 'coordinator'), bootstrap);
  service.notifyImagesPending(event.id);
  t.true(await waitFor(() => allAppended(store, event.id), FLOW_TIMEOUT_MS));

  await stranger.open(service.descriptorFor(event), deriveVenueTopic(Buffer.from(venue.topicSecret, 'hex')));
  // The stranger found the coordinator on the topic and knocked: the firewall refused (and banned) it.
  t.true(
    await waitFor(() => service.seeder.isBanned(stranger.publicKeyHex), FLOW_TIMEOUT_MS),
    'the firewall saw and refused the stranger',
  );
  t.is(stranger.swarm.connections.size, 0, 'no connection for a stranger');
  t.is(service.seeder.connectionCount, 0);
  t.is(stranger.catalogCore.length, 0, 'no catalog data');
  t.is(stranger.blobsCore.length, 0, 'no blob data');

  // A printer that joins before it is paired: the firewall rejects (and bans) its key...
  const paired = new PlainReader({ dir: await tempDir(t), bootstrap });
  t.teardown(() => paired.close());
  await paired.open(service.descriptorFor(event), deriveVenueTopic(Buffer.from(venue.topicSecret, 'hex')));
  t.true(await waitFor(() => service.seeder.isBanned(paired.publicKeyHex), FLOW_TIMEOUT_MS), 'rejected key is banned');
  t.false(service.seeder.connectedPeers().includes(paired.publicKeyHex));
  // ...then pairing (which refreshes the peers) admits it although the swarm had banned the key.
  await store.insertPrinter(printerRecord(paired.publicKeyHex, venue.id));
  await service.refreshPeers();
  t.false(service.seeder.isBanned(paired.publicKeyHex));
  t.true(await paired.waitForImageCount(masters.length, FLOW_TIMEOUT_MS), 'admitted reader gets the catalog');
  for (const master of masters) {
    const bytes = await paired.readImage(master.id);
    t.is(bytes === null ? null : sha256Hex(bytes), master.sha256);
  }
  // (Plain readers do not firewall each other, so only the coordinator's side is checked.)
  t.false(service.seeder.connectedPeers().includes(stranger.publicKeyHex), 'the revoked key is still kept out');

  await store.revokePrinter(paired.publicKeyHex, Date.now());
  await service.refreshPeers();
  t.true(
    await waitFor(() => !service.seeder.connectedPeers().includes(paired.publicKeyHex), 5000),
    'revocation drops the live connection',
  );
});
