import { readFile, writeFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import HyperDHT from 'hyperdht';
import { freeUdpPort } from '../../shared/net/free-udp-port.ts';
import { type Clock, systemClock } from '../../shared/ports/clock.ts';
import type { StructuredLogger } from '../../shared/ports/logger.ts';

/** Where the node keeps the DHT port it chose, so its venue peers' cached address of it stays right. */
export const DHT_PORT_FILE = 'dht-port';
/**
 * Bootstrap candidates that do not answer a ping this fast are left out of the swarm node's first
 * bootstrap: every dead one would hold it up ~12 s (three tries, two rounds), and with the cloud
 * gone that is most of them. They are added back later (revisit()).
 */
export const BOOTSTRAP_PROBE_TIMEOUT_MS = 1_000;

/**
 * The DHT node a printer's swarm runs on. It says it is reachable (`firewalled: false`): its venue
 * peers reach it directly on the LAN, which is the premise of the venue mesh. Left to find out, a
 * private DHT of a few nodes never confirms it, so every printer counts as firewalled, and between
 * two firewalled printers on different addresses hyperdht answers a dial with a hole punch that it
 * then abandons: the connection opens and never carries a byte (re-measured here, issue #16: 0 of 4
 * dials between 127.0.0.1 and 127.0.0.3 carried data, 3 of 3 once reachable). The cloud still works
 * for a printer behind a NAT: the printer dials the seeder, which is reachable (swarm-seeder.ts).
 */
export function venueSwarmDht(host: string, bootstrap: DhtAddress[]): HyperDHT {
  return new HyperDHT({ host, bootstrap, firewalled: false });
}

export interface DhtAddress {
  host: string;
  port: number;
}

/**
 * The port this printer's DHT node listens on: the configured one, else the one chosen on a
 * previous start, else a free one (then kept). Peers cache it as a bootstrap address of the venue.
 */
export async function stableDhtPort(dataDir: string, host: string, configured: number): Promise<number> {
  if (configured !== 0) return configured;
  const file = join(dataDir, DHT_PORT_FILE);
  const kept = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(kept) && kept > 0 && kept < 65_536) return kept;
  const port = await freeUdpPort(host);
  await writeFile(file, `${port}\n`);
  return port;
}

/**
 * Where this printer's DHT node bootstraps from: the cloud's bootstrap nodes first, then the
 * venue's own (configured LAN bootstrap nodes and the other printers' DHT nodes, as last learned
 * from the coordinator and cached in the profile), without this node itself and without repeats.
 * With the cloud unreachable, the venue's nodes are enough to find the venue's printers again.
 */
export function venueBootstrapList(
  cloud: readonly DhtAddress[],
  venue: ReadonlyArray<DhtAddress | null | undefined>,
  self: DhtAddress,
): DhtAddress[] {
  const seen = new Set<string>([`${self.host}:${self.port}`]);
  const out: DhtAddress[] = [];
  for (const a of [...cloud, ...venue]) {
    if (!a) continue;
    const key = `${a.host}:${a.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ host: a.host, port: a.port });
  }
  return out;
}

/**
 * This printer's part of the venue's DHT. Two nodes:
 *  - a persistent bootstrap node on a fixed address (like the cloud's), which the venue's other
 *    printers bootstrap from and which stores the venue topic's announcements. It is a node of its
 *    own, not the swarm's: a DHT lookup never asks the asking node, so with two printers and no
 *    cloud, records kept only on the two swarm nodes would never be found;
 *  - the swarm's ordinary node, bootstrapping from this printer's bootstrap node, the cloud's and the
 *    other printers'.
 * A bootstrap node needs a concrete IPv4 address to announce; with 0.0.0.0 there is none (logged).
 */
export class VenueDht {
  readonly address: DhtAddress;
  /** For the venue mesh's swarm, which destroys it. */
  readonly swarmDht: HyperDHT;
  readonly #bootstrapNode: HyperDHT | null;
  readonly #known = new Set<string>();
  readonly #candidates: DhtAddress[];

  private constructor(
    address: DhtAddress,
    swarmDht: HyperDHT,
    bootstrapNode: HyperDHT | null,
    candidates: DhtAddress[],
  ) {
    this.address = address;
    this.swarmDht = swarmDht;
    this.#bootstrapNode = bootstrapNode;
    this.#candidates = [...candidates];
  }

  static async open(opts: {
    address: DhtAddress;
    cloud: readonly DhtAddress[];
    venue: ReadonlyArray<DhtAddress | null | undefined>;
    logger: StructuredLogger;
    clock?: Clock;
  }): Promise<VenueDht> {
    const { address } = opts;
    const others = venueBootstrapList(opts.cloud, opts.venue, address);
    let bootstrapNode: HyperDHT | null = null;
    if (isIPv4(address.host) && address.host !== '0.0.0.0') {
      // Empty-handed on purpose (a bootstrap node knows nobody at first; ready() at once): the live
      // candidates are added below. Never an empty constructor otherwise: HyperDHT then falls back
      // to the public bootstrap nodes.
      bootstrapNode = HyperDHT.bootstrapper(address.port, address.host, { host: address.host, bootstrap: [] });
      await bootstrapNode.ready();
    } else {
      opts.logger.warn(
        { dhtHost: address.host },
        'dhtHost is not a concrete IPv4 address: this printer cannot serve as a venue bootstrap node',
      );
    }
    const alive = bootstrapNode ? await answering(bootstrapNode, others, opts.clock ?? systemClock) : others;
    for (const node of alive) bootstrapNode?.addNode(node);
    const swarmDht = venueSwarmDht(address.host, bootstrapNode ? [address, ...alive] : alive);
    const dht = new VenueDht(address, swarmDht, bootstrapNode, others);
    for (const a of others) dht.#known.add(`${a.host}:${a.port}`);
    return dht;
  }

  /**
   * Adds every known node again (the cloud's bootstrap and the venue's): after an outage the ones
   * that were down when this node started are back, and the cloud's seeder is found through them.
   */
  revisit(): void {
    for (const node of this.#candidates) {
      this.swarmDht.addNode(node);
      this.#bootstrapNode?.addNode(node);
    }
  }

  /** A venue DHT node learned since start (a peer's bootstrap node) joins both routing tables. */
  addVenueNode(node: DhtAddress): void {
    const key = `${node.host}:${node.port}`;
    if (this.#known.has(key) || key === `${this.address.host}:${this.address.port}`) return;
    this.#known.add(key);
    this.#candidates.push({ ...node });
    this.swarmDht.addNode(node);
    this.#bootstrapNode?.addNode(node);
  }

  /** After the swarm (and its DHT) are destroyed. */
  async close(): Promise<void> {
    await this.#bootstrapNode?.destroy();
  }
}

/** The candidates that answer a single ping in time, in their order. */
async function answering(prober: HyperDHT, candidates: DhtAddress[], clock: Clock): Promise<DhtAddress[]> {
  const probing = new AbortController();
  const answers = await Promise.all(
    candidates.map((node) =>
      Promise.race([
        prober.ping(node, { retry: false }).then(
          () => true,
          () => false,
        ),
        clock.sleep(BOOTSTRAP_PROBE_TIMEOUT_MS, probing.signal).then(
          () => false,
          () => false,
        ),
      ]),
    ),
  );
  probing.abort();
  return candidates.filter((_, i) => answers[i]);
}
