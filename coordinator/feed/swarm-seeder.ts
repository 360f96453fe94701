import type Corestore from 'corestore';
import HyperDHT from 'hyperdht';
import Hyperswarm, { type Discovery, type SwarmConnection } from 'hyperswarm';
import { AppError } from '../../shared/errors.ts';
import { deriveVenueTopic } from '../../shared/feed/feed-layout.ts';
import { Resource } from '../../shared/lifecycle/resource.ts';
import type { StructuredLogger } from '../../shared/ports/logger.ts';
import type { VenueRecord } from '../store/records.ts';

export type FeedLogger = StructuredLogger;

export interface SwarmSeederOptions {
  corestore: Corestore;
  /** Persistent: printers and other instances admit this coordinator by its public key. */
  keyPair: { publicKey: Buffer; secretKey: Buffer };
  bootstrap: Array<{ host: string; port: number }>;
  /** Address the DHT binds to; tests and local deployments use '127.0.0.1'. */
  dhtHost: string;
  /** 'reachable': printers send to the seeder's address directly; 'behind-nat': they hole-punch. */
  network?: 'reachable' | 'behind-nat';
  logger: FeedLogger;
  /**
   * Called when the firewall rejects a key (once: the swarm then bans it until it is admitted), so
   * the owner can re-read the allowed keys: the key may belong to a just-paired printer or a
   * coordinator instance that started after this one.
   */
  onRejected?: (keyHex: string) => void;
}

export interface SwarmByteCounters {
  /** Wire bytes since start, including connections that closed. */
  read: number;
  written: number;
}

/**
 * Seeds every open event feed to the venues' swarms. Only allowed keys (paired, unrevoked printers
 * and other coordinator instances) get a connection: a venue topic is secret, but a leaked topic
 * must still not hand the (encrypted) feed to strangers.
 *
 * Shutdown: close() destroys the swarm (and its DHT); the caller must then close the corestore,
 * or replication sessions keep the process alive.
 */
export class SwarmSeeder extends Resource {
  readonly #opts: SwarmSeederOptions;
  readonly #allowed = new Set<string>();
  readonly #topics = new Map<string, Discovery>();
  #swarm: Hyperswarm | null = null;
  #closedBytes: SwarmByteCounters = { read: 0, written: 0 };

  constructor(opts: SwarmSeederOptions) {
    super();
    this.#opts = opts;
  }

  get publicKey(): Buffer {
    return this.#opts.keyPair.publicKey;
  }

  get connectionCount(): number {
    return this.#swarm?.connections.size ?? 0;
  }

  byteCounters(): SwarmByteCounters {
    const totals = { ...this.#closedBytes };
    for (const conn of this.#swarm?.connections ?? []) {
      totals.read += conn.rawBytesRead;
      totals.written += conn.rawBytesWritten;
    }
    return totals;
  }

  /** Public keys (hex) of the peers connected now. */
  connectedPeers(): string[] {
    return [...(this.#swarm?.connections ?? [])].map((conn) => conn.remotePublicKey.toString('hex'));
  }

  protected async _open(): Promise<void> {
    // Told, not detected: a private DHT of a few nodes never confirms that anyone can reach us, and a
    // seeder that counts as firewalled answers printers that do too with a hole punch, which it then
    // abandons: the printer's connection opens and stays silent (validation runs, issue #16).
    const dht = new HyperDHT({
      host: this.#opts.dhtHost,
      bootstrap: this.#opts.bootstrap,
      firewalled: (this.#opts.network ?? 'reachable') === 'behind-nat',
    });
    const swarm = new Hyperswarm({
      dht,
      keyPair: this.#opts.keyPair,
      firewall: (remotePublicKey) => this.#rejects(remotePublicKey.toString('hex')),
    });
    swarm.on('connection', (conn, _info) => this.#onConnection(conn));
    this.#swarm = swarm;
    // Destroying the swarm destroys the DHT it was given.
    this.defer(async () => {
      await swarm.destroy();
      this.#topics.clear();
    });
    await swarm.listen();
  }

  /** The swarm's firewall: true rejects. */
  #rejects(keyHex: string): boolean {
    if (this.#allowed.has(keyHex)) return false;
    try {
      this.#opts.onRejected?.(keyHex);
    } catch (err) {
      this.#opts.logger.warn({ err }, 'onRejected failed');
    }
    return true;
  }

  #onConnection(conn: SwarmConnection): void {
    const remote = conn.remotePublicKey.toString('hex');
    conn.on('error', (err: Error) => {
      this.#opts.logger.info({ err, peer: remote }, 'swarm connection error');
    });
    conn.once('close', () => {
      this.#closedBytes.read += conn.rawBytesRead;
      this.#closedBytes.written += conn.rawBytesWritten;
    });
    // Revoked between the firewall check and the handshake's end.
    if (!this.#allowed.has(remote)) {
      conn.destroy();
      return;
    }
    this.#opts.corestore.replicate(conn);
  }

  /** Joins the topics of venues not joined yet, as server and client, and waits for the announce. */
  async syncVenues(venues: Iterable<VenueRecord>): Promise<void> {
    const swarm = this.#requireSwarm();
    const joined: Discovery[] = [];
    for (const venue of venues) {
      if (this.#topics.has(venue.id)) continue;
      const topic = deriveVenueTopic(Buffer.from(venue.topicSecret, 'hex'));
      const discovery = swarm.join(topic, { server: true, client: true });
      this.#topics.set(venue.id, discovery);
      joined.push(discovery);
    }
    await Promise.all(joined.map((discovery) => discovery.flushed()));
  }

  /**
   * Replaces the set of admitted keys. Newly allowed keys are unbanned (a key the firewall once
   * rejected stays banned otherwise); connections of keys no longer allowed are dropped.
   */
  setAllowedPeers(keysHex: Iterable<string>): void {
    const next = new Set([...keysHex].map((key) => key.toLowerCase()));
    const added = [...next].filter((key) => !this.#allowed.has(key));
    this.#allowed.clear();
    for (const key of next) this.#allowed.add(key);
    const swarm = this.#swarm;
    if (swarm === null) return;

    let unbanned = false;
    for (const key of added) {
      const peer = swarm.peers.get(key);
      if (peer?.banned) {
        peer.ban(false);
        unbanned = true;
      }
    }
    for (const conn of swarm.connections) {
      if (!next.has(conn.remotePublicKey.toString('hex'))) conn.destroy();
    }
    // Peers found before they were allowed are only dialled again on a fresh lookup. No options:
    // refresh({ server: false }) would turn the session into a client and stop announcing.
    if (unbanned) {
      for (const discovery of this.#topics.values()) discovery.refresh().catch(() => {});
    }
  }

  isAllowed(keyHex: string): boolean {
    return this.#allowed.has(keyHex.toLowerCase());
  }

  /** True while the swarm refuses the key (the firewall rejected it and it was not admitted since). */
  isBanned(keyHex: string): boolean {
    return this.#swarm?.peers.get(keyHex.toLowerCase())?.banned ?? false;
  }

  #requireSwarm(): Hyperswarm {
    if (this.#swarm === null || this.closing) throw new AppError('resource_not_ready', 'The swarm is not running.');
    return this.#swarm;
  }
}
