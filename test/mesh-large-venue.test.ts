/**
 * A venue with more stations than Hyperswarm's topic discovery brings: a lookup returns about twenty
 * announcements per DHT node, so each finds a different part of a large venue, and Hyperswarm stops
 * dialling what it finds at 64 connections (31 while the cloud seeder is joined). The stations here
 * only answer, as stations that are busy or started late do, so the printer must reach every one
 * of them itself; the profile names them all, and it dials the missing ones by key.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import test from 'ava';
import Corestore from 'corestore';
import HyperDHT from 'hyperdht';
import Hyperswarm from 'hyperswarm';
import { VenueMesh } from '../edge-node/mesh/venue-mesh.ts';
import { LOOPBACK, recordingLogger, startBootstrap, tempDir, waitFor } from './fixtures/feed-fixtures.ts';

/** More than the 64 connections Hyperswarm dials to by default, and several lookups' worth. */
const STATIONS = 70;
/**
 * Measured 1.2–1.6 s on an idle machine (the first rediscovery is at 1 s). Without the dials by key
 * the count stayed at 31 (the seeder is joined) for the whole 45 s, so a wide bound still catches
 * that and survives 71 DHT nodes in one process on a busy machine.
 */
const MESHED_WITHIN_MS = 45_000;

test('a printer meshes with every station of a 71-station venue while it dials the cloud: the missing ones by key', async (t) => {
  t.timeout(90_000);
  const bootstrap = await startBootstrap(t);
  const topic = randomBytes(32);
  const listen = async (swarm: Hyperswarm) => {
    swarm.on('connection', (conn) => conn.on('error', () => {}));
    t.teardown(() => swarm.destroy());
  };
  const stations: string[] = [];
  for (let i = 0; i < STATIONS; i++) {
    const swarm = new Hyperswarm({ dht: new HyperDHT({ host: LOOPBACK, bootstrap }) });
    await listen(swarm);
    await swarm.join(topic, { server: true, client: false }).flushed();
    stations.push(swarm.keyPair.publicKey.toString('hex'));
  }
  const seeder = new Hyperswarm({ dht: new HyperDHT({ host: LOOPBACK, bootstrap }) });
  await listen(seeder);
  await seeder.listen();

  const store = new Corestore(join(await tempDir(t, 'vpm-large-venue-'), 'store'));
  const mesh = new VenueMesh({
    corestore: store,
    keyPair: HyperDHT.keyPair(),
    bootstrap,
    dhtHost: LOOPBACK,
    logger: recordingLogger(),
  });
  t.teardown(async () => {
    await mesh.close();
    await store.close();
  });
  mesh.setMembership(stations, [seeder.keyPair.publicKey.toString('hex')]);
  t.true(await mesh.dialCloud(), 'the cloud seeder is connected: Hyperswarm counts it as an explicit peer');
  const started = Date.now();
  await mesh.join(topic);
  const meshed = await waitFor(() => mesh.lanPeers().length === STATIONS, MESHED_WITHIN_MS, 100);
  t.log(`${mesh.lanPeers().length} of ${STATIONS} stations connected after ${Date.now() - started} ms`);
  t.true(meshed);
  t.true(mesh.cloudConnected());
});
