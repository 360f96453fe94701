import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import Corestore from 'corestore';
import type { Logger } from 'pino';
import { Resource } from '../../shared/lifecycle/resource.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { PrinterProfile } from '../../shared/protocol/printer-api.ts';
import type { EdgeConfig } from '../config.ts';
import type { NodeIdentity } from '../identity.ts';
import { isDiskFull, type StorageHealth } from '../status/storage-health.ts';
import { CloudLane } from './cloud-lane.ts';
import { stableDhtPort, VenueDht } from './venue-dht.ts';
import { VenueMesh } from './venue-mesh.ts';

export interface VenueNetworkOptions {
  config: EdgeConfig;
  identity: NodeIdentity;
  dataDir: string;
  logger: Logger;
  clock: Clock;
  storage: StorageHealth;
  /** The profile the node starts from: its venue peers' DHT nodes bootstrap this one's. */
  profile: PrinterProfile;
  /** The runtime's close signal: a wait for room on a full disk ends when the runtime closes. */
  signal: AbortSignal;
  /** Tells the coordinator how the node is while it waits for room on a full disk. */
  reportStatus: () => Promise<void>;
}

/**
 * What one opening of the storage (node-runtime.ts) reaches the venue with: the feed store and the
 * cloud lane beside it, the DHT node and the mesh on them. Opened in that order, closed in reverse
 * (Resource). The mesh joins the venue's topic later (`joinVenue`), once the replicas are open.
 */
export class VenueNetwork extends Resource {
  readonly #o: VenueNetworkOptions;
  #corestore: Corestore | null = null;
  #lane: CloudLane | null = null;
  #dht: VenueDht | null = null;
  #mesh: VenueMesh | null = null;
  /** The coordinator has not answered since start or since it last failed: DHT nodes to look at again. */
  #dhtStale = true;

  constructor(opts: VenueNetworkOptions) {
    super();
    this.#o = opts;
  }

  get corestore(): Corestore | null {
    return this.#corestore;
  }

  get lane(): CloudLane | null {
    return this.#lane;
  }

  get dht(): VenueDht | null {
    return this.#dht;
  }

  get mesh(): VenueMesh | null {
    return this.#mesh;
  }

  protected override async _open(): Promise<void> {
    const { config, identity, dataDir, logger, clock, profile } = this.#o;
    this.#corestore = this.own(await this.#openCorestore(join(dataDir, 'corestore')));
    // The lane holds only blocks in flight from the cloud: a fresh one each time the storage opens.
    const laneDir = join(dataDir, 'cloud-lane');
    await rm(laneDir, { recursive: true, force: true });
    const lane = this.own(new CloudLane(this.#corestore, await this.#openCorestore(laneDir)));
    await lane.ready();
    this.#lane = lane;
    const dhtAddress = { host: config.dhtHost, port: await stableDhtPort(dataDir, config.dhtHost, config.dhtPort) };
    // The cloud's bootstrap and the venue's own nodes: with the cloud gone, printers still find each
    // other through each other (edge-node/OFFLINE.md).
    this.#dht = this.own(
      await VenueDht.open({
        address: dhtAddress,
        cloud: config.dhtBootstrap,
        venue: [...(config.venueBootstrap ?? []), ...profile.peers.printers.map((p) => p.dht)],
        logger,
        clock,
      }),
    );
    this.#mesh = this.own(
      new VenueMesh({
        corestore: this.#corestore,
        cloudStore: lane.store,
        keyPair: { publicKey: identity.publicKey, secretKey: identity.secretKey },
        bootstrap: config.dhtBootstrap,
        dhtHost: config.dhtHost,
        logger,
        dht: this.#dht.swarmDht,
        clock,
      }),
    );
  }

  /** Only the mesh talks to LAN peers; the baselines reach the cloud seeder by its key alone. */
  async joinVenue(profile: PrinterProfile): Promise<void> {
    if (this.#meshReplication) await this.#mesh?.join(Buffer.from(profile.venue.topic, 'hex'));
  }

  /** Follows the profile's venue printers and coordinators. */
  applyMembership(profile: PrinterProfile): void {
    this.#mesh?.setMembership(
      this.#meshReplication ? profile.peers.printers.map((p) => p.id) : [],
      profile.peers.coordinators,
      // Every printer of a venue must use the same overlay: the coordinator's word, else our own.
      profile.venue.photoOverlayRings ?? this.#o.config.photoOverlayRings,
    );
    // Peers' DHT nodes learned since start join this node's routing table (venue bootstrap).
    for (const peer of profile.peers.printers) if (peer.dht) this.#dht?.addVenueNode(peer.dht);
  }

  /** Whether the coordinator answered. */
  cloudReachable(reachable: boolean): void {
    if (!reachable) this.#dhtStale = true;
    else if (this.#dhtStale) {
      // Nodes that were down at start or during the outage (the cloud's bootstrap) are back.
      this.#dht?.revisit();
      this.#dhtStale = false;
    }
  }

  get #meshReplication(): boolean {
    return this.#o.config.replication === 'mesh';
  }

  /** Opens the feed store; on a full disk it reports that and waits for room rather than exit into a restart loop. */
  async #openCorestore(dir: string): Promise<Corestore> {
    const { storage, signal } = this.#o;
    for (;;) {
      const store = new Corestore(dir);
      try {
        await store.ready();
        return store;
      } catch (err) {
        await store.close().catch(() => {});
        if (!isDiskFull(err) || signal.aborted) throw err;
        await storage.waitForRoom(err, this.#o.reportStatus, signal);
      }
    }
  }
}
