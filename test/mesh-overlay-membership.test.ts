/**
 * The photo overlay when the venue's membership changes (issue #16): a channel a printer refused
 * under the old membership is not offered again on the same connection, so when a printer leaves a
 * ring the two printers it stood between reconnect and link up. Real swarms on loopback.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import Corestore from 'corestore';
import Hypercore from 'hypercore';
import HyperDHT from 'hyperdht';
import { VenueMesh } from '../edge-node/mesh/venue-mesh.ts';
import { photoCoreNeighbours } from '../shared/policy/photo-overlay.ts';
import { LOOPBACK, recordingLogger, startBootstrap, tempDir, waitFor } from './fixtures/feed-fixtures.ts';
import { peerKeys } from './fixtures/guarded-venue.ts';

/** Real swarms on loopback: a dial and a handshake take milliseconds, seconds on a busy machine. */
const CONNECTED_WITHIN_MS = 30_000;
/** One ring: six printers have two photo peers each, and one leaving leaves a gap to close. */
const RINGS = 1;

async function station(t: ExecutionContext, bootstrap: Array<{ host: string; port: number }>) {
  const dir = await tempDir(t, 'vpm-overlay-membership-');
  const store = new Corestore(join(dir, 'store'));
  const keyPair = HyperDHT.keyPair();
  const logger = recordingLogger();
  const mesh = new VenueMesh({
    corestore: store,
    keyPair,
    bootstrap,
    dhtHost: LOOPBACK,
    logger,
    photoOverlayRings: RINGS,
  });
  t.teardown(async () => {
    await mesh.close();
    await store.close();
  });
  return { mesh, store, logger, key: keyPair.publicKey.toString('hex') };
}

test('a printer leaving and rejoining the photo ring: the two it stood between link up and part again, on the same connection', async (t) => {
  t.timeout(120_000);
  const bootstrap = await startBootstrap(t);
  const stations = await Promise.all(Array.from({ length: 6 }, () => station(t, bootstrap)));
  const keys = stations.map((s) => s.key);
  const writer = HyperDHT.keyPair();
  const photoKey = Hypercore.key(writer.publicKey, { version: 1 });
  const cores: Hypercore[] = [];
  for (const [i, s] of stations.entries()) {
    s.mesh.overlay.register(photoKey, 'photos');
    const core = i === 0 ? s.store.get({ keyPair: writer }) : s.store.get({ key: photoKey });
    await core.ready();
    if (i > 0) core.download({ start: 0, end: -1 });
    cores.push(core);
    s.mesh.setMembership(keys, []);
  }
  const topic = randomBytes(32);
  await Promise.all(stations.map((s) => s.mesh.join(topic)));
  t.true(
    await waitFor(() => stations.every((s) => s.mesh.lanPeers().length === 5), CONNECTED_WITHIN_MS),
    'every station is connected to every other',
  );
  const coreId = photoKey.toString('hex');
  // A station other than the writer leaves; its two ring neighbours stood apart until now.
  const leaver = 1;
  const [a, b] = [...photoCoreNeighbours(coreId, keys, keys[leaver]!, RINGS)].map((k) => keys.indexOf(k)) as [
    number,
    number,
  ];
  const linked = () => peerKeys(cores[a]!).includes(keys[b]!) && peerKeys(cores[b]!).includes(keys[a]!);
  t.true(
    await waitFor(() => cores.every((core) => core.peers.length === 2), CONNECTED_WITHIN_MS),
    'two photo peers each on one ring of six',
  );
  t.false(linked(), 'the leaver’s neighbours do not replicate the photos with each other yet');
  let abHungUp = false;
  stations[a]!.mesh.on('lan-peer-left', (key: string) => {
    if (key === keys[b]) abHungUp = true;
  });

  const rest = keys.filter((_, i) => i !== leaver);
  for (const [i, s] of stations.entries()) if (i !== leaver) s.mesh.setMembership(rest, []);
  t.true(await waitFor(linked, CONNECTED_WITHIN_MS), 'they link up under the new membership');
  await cores[0]!.append(Buffer.from('a photo after the change'));
  t.true(
    await waitFor(() => cores.every((core, i) => i === leaver || core.contiguousLength === 1), CONNECTED_WITHIN_MS),
    'it reaches every remaining station',
  );

  // It comes back: the same place on the ring, so the two part again and each links with it.
  for (const s of stations) s.mesh.setMembership(keys, []);
  t.true(
    await waitFor(
      () => !linked() && [a, b].every((i) => peerKeys(cores[i]!).includes(keys[leaver]!)),
      CONNECTED_WITHIN_MS,
    ),
    'they part again, each linked with the returning station',
  );
  t.true(
    await waitFor(() => cores.every((core) => core.peers.length === 2), CONNECTED_WITHIN_MS),
    'two photo peers each again',
  );
  t.false(abHungUp, 'the two kept their connection throughout: only the photos’ channel changed');
  t.true(
    [a, b].some((i) => stations[i]!.logger.lines.some((l) => l.msg?.includes('overlay channels offered and closed'))),
    'they said what changed',
  );
});
