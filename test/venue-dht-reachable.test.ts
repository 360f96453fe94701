/**
 * Printers of a venue have addresses of their own, and a private DHT of a few nodes never confirms
 * that a node is reachable. Between two nodes on different addresses that both count as firewalled,
 * hyperdht answers a dial with a hole punch it then abandons: the connection opens and carries
 * nothing. A printer's swarm DHT therefore says it is reachable (venueSwarmDht); here two swarms on
 * 127.0.0.1 and 127.0.0.3 must exchange bytes at once (with default DHT nodes, none did in 8 s).
 */
import { randomBytes } from 'node:crypto';
import test from 'ava';
import Hyperswarm, { type SwarmConnection } from 'hyperswarm';
import { venueSwarmDht } from '../edge-node/mesh/venue-dht.ts';
import { startBootstrap } from './fixtures/feed-fixtures.ts';

/** Far more than a loopback round trip on a loaded machine, far less than a dial abandoned and made again. */
const FIRST_BYTES_TIMEOUT_MS = 8_000;

test('two printers on different addresses of the venue LAN exchange bytes over their first connection', async (t) => {
  const bootstrap = await startBootstrap(t);
  const swarms = ['127.0.0.1', '127.0.0.3'].map((host) => new Hyperswarm({ dht: venueSwarmDht(host, bootstrap) }));
  t.teardown(() => Promise.all(swarms.map((s) => s.destroy())));
  t.true(
    swarms.every((s) => s.dht.firewalled === false),
    'each says it is reachable',
  );
  const [a, b] = swarms as [Hyperswarm, Hyperswarm];
  const timedOut = new AbortController();
  const received = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), FIRST_BYTES_TIMEOUT_MS);
    timedOut.signal.addEventListener('abort', () => clearTimeout(timer));
    b.on('connection', (conn: SwarmConnection) => {
      conn.on('error', () => {});
      conn.once('data', () => resolve(true));
    });
    a.on('connection', (conn: SwarmConnection) => {
      conn.on('error', () => {});
      conn.write(Buffer.from('hello from the next printer'));
    });
  });
  const topic = randomBytes(32);
  await a.join(topic, { server: true, client: true }).flushed();
  await b.join(topic, { server: true, client: true }).flushed();
  const ok = await received;
  timedOut.abort();
  t.true(ok, `bytes crossed within ${FIRST_BYTES_TIMEOUT_MS} ms`);
});
