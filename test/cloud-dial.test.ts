/**
 * How fast a printer reaches the cloud seeder when its first attempt goes wrong (issue #16).
 *
 * A cloud dial that has not connected after CLOUD_DIAL_RETRY_MS is started over: in
 * validation-8 two printers' dials hung for the whole 15 s timeout while the others connected in
 * 30 ms, and Hyperswarm by itself starts no new attempt while one is in flight, then waits out its
 * retry back-off. Here the seeder refuses the printer's first attempt and admits it a moment later.
 */
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import Corestore from 'corestore';
import HyperDHT from 'hyperdht';
import Hyperswarm, { type SwarmConnection } from 'hyperswarm';
import { VenueMesh } from '../edge-node/mesh/venue-mesh.ts';
import { LOOPBACK, recordingLogger, startBootstrap, tempDir } from './fixtures/feed-fixtures.ts';

/** The seeder answers only once `admit()` was called; until then its firewall refuses the printer. */
async function reluctantSeeder(t: ExecutionContext, bootstrap: Array<{ host: string; port: number }>) {
  let admitted = false;
  let refusals = 0;
  const swarm = new Hyperswarm({
    dht: new HyperDHT({ host: LOOPBACK, bootstrap, firewalled: false }),
    keyPair: HyperDHT.keyPair(),
    firewall: () => {
      if (!admitted) refusals++;
      return !admitted;
    },
  });
  swarm.on('connection', (conn: SwarmConnection) => conn.on('error', () => {}));
  t.teardown(() => swarm.destroy());
  await swarm.listen();
  return {
    publicKey: swarm.keyPair.publicKey,
    refusals: () => refusals,
    admit: () => {
      admitted = true;
      // Hyperswarm bans a key its firewall refused; the real seeder unbans keys it admits too.
      for (const peer of swarm.peers.values()) peer.ban(false);
    },
  };
}

async function printer(
  t: ExecutionContext,
  bootstrap: Array<{ host: string; port: number }>,
  opts: { dialRetryMs?: number; parallelDials?: number },
) {
  const dir = await tempDir(t, 'vpm-dial-');
  const store = new Corestore(join(dir, 'store'));
  const logger = recordingLogger();
  const mesh = new VenueMesh({
    corestore: store,
    keyPair: HyperDHT.keyPair(),
    bootstrap,
    dhtHost: LOOPBACK,
    logger,
    ...opts,
  });
  t.teardown(async () => {
    await mesh.close();
    await store.close();
  });
  return { mesh, logger };
}

/** Dials, has the seeder admit the printer once the first attempt was refused, returns the dial's ms. */
async function dialThroughRefusal(t: ExecutionContext, dialRetryMs: number) {
  const bootstrap = await startBootstrap(t);
  const seeder = await reluctantSeeder(t, bootstrap);
  const { mesh, logger } = await printer(t, bootstrap, { dialRetryMs });
  mesh.setMembership([], [seeder.publicKey.toString('hex')]);
  const startedAt = Date.now();
  const dial = mesh.dialCloud(30_000);
  // Admitted only once it refused the first attempt: admitting earlier would test nothing.
  while (seeder.refusals() === 0) await new Promise((r) => setTimeout(r, 20));
  seeder.admit();
  const connected = await dial;
  return { connected, ms: Date.now() - startedAt, logger };
}

test('an unanswered dial is started over and connects soon after the seeder answers again', async (t) => {
  const { connected, ms, logger } = await dialThroughRefusal(t, 500);
  t.true(connected);
  const redials = logger.lines.filter((l) => l.msg === 'the cloud seeder has not answered: dialling it afresh');
  t.true(redials.length >= 1, 'the dial was started over');
  const state = (redials[0]?.obj as { seeders?: Array<Record<string, unknown>> } | undefined)?.seeders?.[0];
  t.is(state?.known, true, 'the log line carries the swarm view of the seeder');
  t.true(typeof state?.attempts === 'number');
  // Hyperswarm alone waits its back-off after the refusal (5 s for a seeder never connected).
  t.true(ms < 4_000, `connected ${ms} ms after dialling`);
});

test('without the fresh start the same dial waits for the swarm back-off (what the test above guards)', async (t) => {
  const { connected, ms } = await dialThroughRefusal(t, 60_000);
  t.true(connected);
  t.true(ms >= 4_000, `connected ${ms} ms after dialling`);
});

/** Venue peers that refuse everyone: a dial to one hangs until it fails, about 4 s. */
async function refusingPeers(
  t: ExecutionContext,
  bootstrap: Array<{ host: string; port: number }>,
  topic: Buffer,
  count: number,
) {
  let refusals = 0;
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const swarm = new Hyperswarm({
      dht: new HyperDHT({ host: LOOPBACK, bootstrap, firewalled: false }),
      keyPair: HyperDHT.keyPair(),
      firewall: () => {
        refusals++;
        return true;
      },
    });
    t.teardown(() => swarm.destroy());
    await swarm.join(topic, { server: true, client: false }).flushed();
    keys.push(swarm.keyPair.publicKey.toString('hex'));
  }
  return { keys, refusals: () => refusals };
}

/** Joins the venue while `lanPeers` hang the printer's LAN dials, then dials the cloud; the dial's ms. */
async function dialBehindHangingLanDials(t: ExecutionContext, parallelDials?: number) {
  const bootstrap = await startBootstrap(t);
  const seeder = await reluctantSeeder(t, bootstrap);
  seeder.admit();
  const topic = Buffer.alloc(32, 7);
  const lan = await refusingPeers(t, bootstrap, topic, 3);
  const { mesh } = await printer(t, bootstrap, { dialRetryMs: 60_000, parallelDials });
  mesh.setMembership(lan.keys, [seeder.publicKey.toString('hex')]);
  const joined = mesh.join(topic);
  // All three LAN dials are in flight once each peer has refused one.
  while (lan.refusals() < lan.keys.length) await new Promise((r) => setTimeout(r, 20));
  const startedAt = Date.now();
  const connected = await mesh.dialCloud(30_000);
  const ms = Date.now() - startedAt;
  await joined;
  return { connected, ms };
}

test('the seeder is dialled at once while LAN dials hang (MESH_PARALLEL_DIALS)', async (t) => {
  const { connected, ms } = await dialBehindHangingLanDials(t);
  t.true(connected);
  t.true(ms < 2_000, `connected ${ms} ms after dialling`);
});

test("with Hyperswarm's default of 3 parallel dials the same seeder dial waits behind them", async (t) => {
  const { connected, ms } = await dialBehindHangingLanDials(t, 3);
  t.true(connected);
  t.true(ms >= 2_000, `connected ${ms} ms after dialling`);
});
