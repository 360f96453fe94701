/**
 * The seeder and the printers on different addresses with no NAT between them (a cloud server and a
 * venue; here two loopback addresses). A private DHT of a few nodes never confirms that a node is
 * reachable, so without being told, the seeder counts itself as firewalled; printers count
 * themselves as firewalled too, hyperdht then answers their dial with a hole punch that it abandons,
 * and the printer's connection opens but never carries a byte (the stalled cloud sessions of the
 * validation runs, issue #16). `seederNetwork: 'reachable'` (the default) tells the seeder's DHT.
 */
import { join } from 'node:path';
import test from 'ava';
import HyperDHT from 'hyperdht';
import { deriveVenueTopic } from '../shared/feed/feed-layout.ts';
import {
  insertPendingImages,
  insertVenueAndEvent,
  openStore,
  PlainReader,
  sha256Hex,
  startBootstrap,
  startFeedService,
  tempDir,
  waitFor,
} from './fixtures/feed-fixtures.ts';
import { printerRecord } from './fixtures/store-records.ts';

/** The cloud's address; the printers (and the DHT bootstrap) are on 127.0.0.1. */
const SEEDER_HOST = '127.0.0.2';
const FLOW_TIMEOUT_MS = 30_000;

test('a printer on another address than the seeder gets the feed: the seeder is reachable by default, no hole punch needed', async (t) => {
  const bootstrap = await startBootstrap(t);
  const dir = await tempDir(t);
  const store = await openStore(t, dir);
  const { venue, event } = await insertVenueAndEvent(store, 'v1', 'ev1');
  const masters = await insertPendingImages(store, event.id, ['n1', 'n2']);

  const printer = new PlainReader({ dir: await tempDir(t), bootstrap });
  t.teardown(() => printer.close());
  await store.insertPrinter(printerRecord(printer.publicKeyHex, venue.id));

  const service = await startFeedService(t, {
    store,
    dataDir: join(dir, 'coordinator'),
    instanceId: 'coordinator-a',
    swarmKeyPair: HyperDHT.keyPair(),
    bootstrap,
    dhtHost: SEEDER_HOST,
    peerRefreshIntervalMs: 60_000,
    appender: { pollIntervalMs: 200, batchMaxImages: 4 },
  });
  service.notifyImagesPending(event.id);
  t.true(
    await waitFor(async () => (await store.listPendingImages(event.id, 10)).length === 0, FLOW_TIMEOUT_MS),
    'images appended',
  );

  await printer.open(service.descriptorFor(event), deriveVenueTopic(Buffer.from(venue.topicSecret, 'hex')));
  t.true(await printer.waitForImageCount(masters.length, FLOW_TIMEOUT_MS), 'the printer sees the catalog');
  for (const master of masters) {
    const bytes = await printer.readImage(master.id);
    t.is(bytes === null ? null : sha256Hex(bytes), master.sha256, `image ${master.id} arrived whole`);
  }
  t.true(service.seeder.connectedPeers().includes(printer.publicKeyHex), 'the seeder holds the connection');
});
