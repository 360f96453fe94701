/**
 * A station that dials a printer which does not know it yet (paired since that printer's last
 * profile) is held, not refused, so it is meshed the moment the profile lists it. Refused, its dial
 * hung unanswered for seconds and, for half the key orders, Hyperswarm kept that hanging dial over
 * the printer's working dial-back. The keys here are in that order.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import Corestore from 'corestore';
import HyperDHT from 'hyperdht';
import Hyperswarm, { type SwarmConnection } from 'hyperswarm';
import { VenueMesh } from '../edge-node/mesh/venue-mesh.ts';
import { LOOPBACK, recordingLogger, startBootstrap, tempDir, waitFor, within } from './fixtures/feed-fixtures.ts';

/** Real swarms on loopback: a dial and a handshake take milliseconds, seconds on a busy machine. */
const CONNECTED_WITHIN_MS = 20_000;

type KeyPair = { publicKey: Buffer; secretKey: Buffer };

/** Two key pairs, the newcomer's key the greater: the order whose dial-back Hyperswarm dropped. */
function keysInHangingOrder(): { old: KeyPair; newcomer: KeyPair } {
  const [a, b] = [HyperDHT.keyPair(), HyperDHT.keyPair()].sort((x, y) => Buffer.compare(x.publicKey, y.publicKey));
  return { old: a!, newcomer: b! };
}

async function station(
  t: ExecutionContext,
  bootstrap: Array<{ host: string; port: number }>,
  keyPair: KeyPair,
  probationMs?: number,
) {
  const dir = await tempDir(t, 'vpm-probation-');
  const store = new Corestore(join(dir, 'store'));
  const logger = recordingLogger();
  const mesh = new VenueMesh({ corestore: store, keyPair, bootstrap, dhtHost: LOOPBACK, logger, probationMs });
  t.teardown(async () => {
    await mesh.close();
    await store.close();
  });
  return { mesh, store, logger, key: keyPair.publicKey.toString('hex') };
}

/**
 * A printer on a fresh venue topic whose profile lists nobody yet, recording the knocks it hears;
 * the newcomer's key pair is the greater of the two (keysInHangingOrder).
 */
async function printerThatKnowsNobody(t: ExecutionContext, probationMs?: number) {
  const bootstrap = await startBootstrap(t);
  const keys = keysInHangingOrder();
  const topic = randomBytes(32);
  const old = await station(t, bootstrap, keys.old, probationMs);
  const knocks: string[] = [];
  old.mesh.on('unknown-peer', (key: string) => knocks.push(key));
  old.mesh.setMembership([], []);
  await old.mesh.join(topic);
  return { bootstrap, keys, topic, old, knocks };
}

test('a station unknown to the printer it dials is meshed the moment the profile lists it, and replicates', async (t) => {
  t.timeout(60_000);
  const { bootstrap, keys, topic, old, knocks } = await printerThatKnowsNobody(t);

  const newcomer = await station(t, bootstrap, keys.newcomer);
  const photos = newcomer.store.get({ name: 'photos' });
  await photos.append(Buffer.from('a photo held back until the station is confirmed'));
  newcomer.mesh.setMembership([old.key], []);
  await newcomer.mesh.join(topic);

  t.true(
    await waitFor(() => old.mesh.stationsOnProbation === 1, CONNECTED_WITHIN_MS),
    'the newcomer dialled and is held',
  );
  t.true(knocks.includes(newcomer.key), 'its knock asked the owner to refresh the profile');
  t.deepEqual(old.mesh.lanPeers(), [], 'held, not a LAN peer: nothing replicates yet');

  // The refreshed profile lists the newcomer.
  old.mesh.setMembership([newcomer.key], []);
  t.deepEqual(old.mesh.lanPeers(), [newcomer.key], 'the held connection is the mesh link: no dial to wait for');
  t.is(old.mesh.stationsOnProbation, 0);
  t.true(await waitFor(() => newcomer.mesh.lanPeers().includes(old.key), CONNECTED_WITHIN_MS));

  const copy = old.store.get({ key: photos.key });
  await copy.ready();
  const block = await within(copy.get(0, { timeout: CONNECTED_WITHIN_MS }), CONNECTED_WITHIN_MS, null);
  t.is(
    block?.toString(),
    'a photo held back until the station is confirmed',
    'what the newcomer sent while held arrived',
  );
});

test('a station the profile never lists is dropped when its probation ends', async (t) => {
  t.timeout(60_000);
  const { bootstrap, keys, topic, old } = await printerThatKnowsNobody(t, 500);
  const stranger = await station(t, bootstrap, keys.newcomer);
  stranger.mesh.setMembership([old.key], []);
  const left = new Promise<string>((resolve) => stranger.mesh.once('lan-peer-left', resolve));
  await stranger.mesh.join(topic);

  t.true(await waitFor(() => old.mesh.stationsOnProbation === 1, CONNECTED_WITHIN_MS));
  t.is(await within(left, CONNECTED_WITHIN_MS, 'still connected'), old.key, 'the printer hung up on it');
  t.is(old.mesh.stationsOnProbation, 0);
  t.deepEqual(old.mesh.lanPeers(), []);
  t.true(old.logger.lines.some((l) => l.msg?.includes('did not confirm')));
});

test('a held station that sends more than a new station would is dropped before the coordinator answers', async (t) => {
  t.timeout(60_000);
  const { bootstrap, keys, topic, old } = await printerThatKnowsNobody(t);
  // A raw swarm, not a VenueMesh: it writes whatever it likes on the connection.
  const flooder = new Hyperswarm({ dht: new HyperDHT({ host: LOOPBACK, bootstrap }), keyPair: keys.newcomer });
  t.teardown(() => flooder.destroy());
  const closed = new Promise<void>((resolve) => {
    flooder.on('connection', (conn: SwarmConnection) => {
      conn.on('error', () => {});
      conn.once('close', () => resolve());
      // Far past PROBATION_BYTES_MAX, in chunks as a stream would send them.
      for (let i = 0; i < 32; i++) conn.write(Buffer.alloc(64 * 1024, i));
    });
  });
  await flooder.join(topic, { server: false, client: true }).flushed();
  t.is(
    await within(
      closed.then(() => 'hung up'),
      CONNECTED_WITHIN_MS,
      'still connected',
    ),
    'hung up',
  );
  t.is(old.mesh.stationsOnProbation, 0);
  t.true(old.logger.lines.some((l) => l.msg?.includes('sent more than it may')));
});
