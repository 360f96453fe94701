import { EventEmitter } from 'node:events';
import type Corestore from 'corestore';
import type HyperDHT from 'hyperdht';
import Hyperswarm, { type SwarmConnection } from 'hyperswarm';
import { AppError } from '../../shared/errors.ts';
import { type Clock, systemClock, type Timer } from '../../shared/ports/clock.ts';
import type { StructuredLogger } from '../../shared/ports/logger.ts';
import { CloudDial } from './cloud-dial.ts';
import { setCoreChannel } from './core-channels.ts';
import { KEY_DIAL_CHECK_MS, planKeyDials } from './key-dials.ts';
import { LanOverlay, type LinkChange } from './lan-overlay.ts';
import { PhotoDetours } from './photo-detours.ts';
import { StationProbation } from './station-probation.ts';
import { cancelDial, hasSwarmConnection, isClosing, redialPeer } from './swarm-internals.ts';
import { venueSwarmDht } from './venue-dht.ts';

/** settle() looks at the connections this often. */
const SETTLE_POLL_MS = 100;

/**
 * How many dials the swarm runs at once (Hyperswarm's default is 3). A dial to a peer that refuses
 * this node (before station-probation.ts, any peer that had not learnt the venue's membership yet)
 * hangs about 4 s before it fails, and the seeder's dial waits in the same queue: in validation-8
 * three printers' first cloud dials waited 4.8–4.9 s behind three such LAN dials (the redial log:
 * 3 of 3 in flight, seeder queued). A venue's printers, all dialled at once, fit.
 */
export const MESH_PARALLEL_DIALS = 16;
/**
 * While paired printers are missing from the mesh, look them up again: two printers that join at
 * the same moment each look before the other's announcement is stored, and Hyperswarm by itself
 * only looks again minutes later. Backs off from the first to the last value while nothing changes.
 */
export const REDISCOVERY_FIRST_MS = 1_000;
export const REDISCOVERY_MAX_MS = 30_000;

export type MeshLogger = StructuredLogger;

/**
 * The venue mesh: one Hyperswarm on the venue's secret topic, replicating this node's corestore.
 *
 * Who may connect is decided here, by topology, because Hypercore has no "prefer this peer" API
 * (measured: while the cloud seeder is connected it serves blocks LAN peers also have). The seeders
 * replicate with the cloud lane's store (cloud-lane.ts), which fetches only what the node asks of
 * the cloud; the main store sees LAN peers and the lane. So:
 *  - the venue's other paired printers are always admitted (LAN);
 *  - the coordinator's seeders are admitted only while `cloudWanted` is true: the node dials them for
 *    its own share of new blocks or for an on-demand fetch no LAN peer could serve in time, and hangs
 *    up afterwards; at any other time the firewall refuses them, in both directions;
 *  - a key it does not know that dials it may be a station paired since this printer's last profile:
 *    its connection is held, carrying nothing, until the profile lists it (station-probation.ts);
 *  - everyone else is refused.
 * Hyperswarm bans a key its firewall refused, so keys that become allowed are unbanned.
 */
export class VenueMesh extends EventEmitter {
  readonly #store: Corestore;
  /** What the cloud seeders replicate with (the cloud lane's store; the main store without one). */
  readonly #cloudStore: Corestore;
  readonly #swarm: Hyperswarm;
  readonly #logger: MeshLogger;
  /** Which LAN peers replicate the claims logs, the orders feed and the photos with this node (lan-overlay.ts). */
  readonly overlay: LanOverlay;
  /** Links outside the photo overlay while a fan waits for a photo only other printers hold (photo-detours.ts). */
  readonly detours: PhotoDetours;
  #printers = new Set<string>();
  #coordinators = new Set<string>();
  /** The line to the coordinator's seeders (cloud-dial.ts). */
  readonly #cloud: CloudDial;
  readonly #blocked = new Set<string>();
  /** Paired stations dialled by key (#dialMissingByKey) whose dial is not over yet. */
  readonly #dialledByKey = new Set<string>();
  #keyDialCheck: Timer | null = null;
  /**
   * Per station: when it was last dialled by key (the ones waiting longest go first) and how many
   * of those dials failed in a row since it was last connected (its back-off).
   */
  readonly #keyDialHistory = new Map<string, { lastAt: number; failures: number }>();
  readonly #connections = new Map<string, SwarmConnection>();
  #topic: Buffer | null = null;
  #discovery: { refresh(opts?: object): Promise<unknown> } | null = null;
  #rediscoveryTimer: Timer | null = null;
  readonly #clock: Clock;
  #rediscoveryDelay = REDISCOVERY_FIRST_MS;
  /** A rediscovery lookup is running; `#lookAgain`: a station joined meanwhile, look once more after it. */
  #looking = false;
  #lookAgain = false;
  readonly #probation: StationProbation;

  constructor(opts: {
    corestore: Corestore;
    /** The cloud lane's store (cloud-lane.ts): the seeders replicate with it, never with `corestore`. */
    cloudStore?: Corestore;
    keyPair: { publicKey: Buffer; secretKey: Buffer };
    bootstrap: Array<{ host: string; port: number }>;
    dhtHost: string;
    logger: MeshLogger;
    /** A DHT node built by the caller (the venue's own bootstrap node, mesh/venue-dht.ts); destroyed on close. */
    dht?: HyperDHT;
    clock?: Clock;
    /** The small-core ring reach (default SMALL_CORE_RING_REACH). */
    smallCoreRingReach?: number;
    /** Rings per photo core (default PHOTO_OVERLAY_RINGS). */
    photoOverlayRings?: number;
    /** Start an unanswered cloud dial over after this long (default CLOUD_DIAL_RETRY_MS). */
    dialRetryMs?: number;
    /** Dials in flight at once (default MESH_PARALLEL_DIALS). */
    parallelDials?: number;
    /** How long an unknown station's connection waits for the profile to list it (default PROBATION_MAX_MS). */
    probationMs?: number;
  }) {
    super();
    this.#clock = opts.clock ?? systemClock;
    this.#store = opts.corestore;
    this.#cloudStore = opts.cloudStore ?? opts.corestore;
    this.#logger = opts.logger;
    const dht = opts.dht ?? venueSwarmDht(opts.dhtHost, opts.bootstrap);
    this.#swarm = new Hyperswarm({
      dht,
      keyPair: opts.keyPair,
      maxParallel: opts.parallelDials ?? MESH_PARALLEL_DIALS,
      // Hyperswarm's firewall answers "reject?"; the handshake payload is null when this node dials.
      firewall: (remotePublicKey, payload) => this.#refuses(remotePublicKey.toString('hex'), payload != null),
    });
    this.#probation = new StationProbation({
      clock: this.#clock,
      maxMs: opts.probationMs,
      received: (conn) => (conn as unknown as { rawStream?: { bytesReceived?: number } }).rawStream?.bytesReceived ?? 0,
      onEnded: (key, why) =>
        this.#logger.info(
          { peer: key.slice(0, 12), why },
          why === 'timeout'
            ? 'the coordinator did not confirm a station that dialled: dropped'
            : 'a station that dialled sent more than it may before the coordinator confirms it: dropped',
        ),
    });
    this.#swarm.on('connection', (conn: SwarmConnection) => this.#onConnection(conn));
    this.#cloud = new CloudDial({
      swarm: this.#swarm,
      seeders: () => this.#coordinators,
      connections: this.#connections,
      unban: (key) => this.#unban(key),
      logger: this.#logger,
      clock: this.#clock,
      ...(opts.dialRetryMs !== undefined ? { retryMs: opts.dialRetryMs } : {}),
    });
    this.overlay = new LanOverlay(this.#swarm.keyPair.publicKey.toString('hex'), {
      ...(opts.smallCoreRingReach !== undefined ? { smallCoreReach: opts.smallCoreRingReach } : {}),
      ...(opts.photoOverlayRings !== undefined ? { photoRings: opts.photoOverlayRings } : {}),
    });
    this.detours = new PhotoDetours({
      self: this.#swarm.keyPair.publicKey.toString('hex'),
      clock: this.#clock,
      logger: this.#logger,
      links: {
        overlay: this.overlay,
        setChannel: (remote, discoveryKey, open) => void this.#setChannel(remote, discoveryKey, open),
        isConnected: (remote) => this.#printers.has(remote) && this.#connections.has(remote),
      },
    });
  }

  get publicKey(): Buffer {
    return this.#swarm.keyPair.publicKey;
  }

  get cloudWanted(): boolean {
    return this.#cloud.wanted;
  }

  /**
   * The firewall. A key that is neither a paired printer nor a seeder may be a station paired since
   * this printer's last profile: 'unknown-peer' lets the owner ask the coordinator now, and if it
   * dialled (`incoming`) its connection is accepted and held until the answer (station-probation.ts).
   */
  #refuses(keyHex: string, incoming: boolean): boolean {
    if (this.isAllowed(keyHex)) return false;
    if (this.#blocked.has(keyHex) || this.#printers.has(keyHex) || this.#coordinators.has(keyHex)) return true;
    this.emit('unknown-peer', keyHex);
    const mayHold = this.#probation.mayHold(keyHex);
    if (incoming && mayHold) return false;
    // Hyperswarm bans a key refused on a dial of ours, and would then refuse the key's own dial
    // before asking this firewall: it could never be held. A key refused for good stays banned.
    if (!incoming && mayHold) queueMicrotask(() => this.#unban(keyHex));
    return true;
  }

  isAllowed(keyHex: string): boolean {
    if (this.#blocked.has(keyHex)) return false;
    return this.#printers.has(keyHex) || (this.#cloud.wanted && this.#coordinators.has(keyHex));
  }

  /**
   * Cuts off a peer that served data failing verification, and refuses it until this node restarts:
   * paired or not, a peer that sends forged blocks is not trusted again.
   */
  block(keyHex: string, reason: string): void {
    if (this.#blocked.has(keyHex)) return;
    this.#blocked.add(keyHex);
    this.#logger.warn({ peer: keyHex, reason }, 'peer sent data that failed verification: disconnected and blocked');
    this.#connections.get(keyHex)?.destroy();
    this.emit('peer-blocked', keyHex);
  }

  get blockedPeers(): number {
    return this.#blocked.size;
  }

  isCloudKey(keyHex: string): boolean {
    return this.#coordinators.has(keyHex);
  }

  /** Hangs up on held stations the coordinator's answer to their knock left out; they are refused from then on. */
  dropUnconfirmed(keys: readonly string[]): void {
    for (const key of keys) {
      if (this.#probation.drop(key))
        this.#logger.info({ peer: key.slice(0, 12) }, 'the coordinator does not know a station that dialled: dropped');
    }
  }

  /** Unknown stations' connections held for the coordinator to confirm them (diagnostics). */
  get stationsOnProbation(): number {
    return this.#probation.size;
  }

  /** Connected LAN printers' keys (hex). */
  lanPeers(): string[] {
    return [...this.#connections.keys()].filter((k) => this.#printers.has(k));
  }

  cloudConnected(): boolean {
    return this.#cloud.connected();
  }

  /** The cloud seeder connections as they stand (diagnostics): who, and whether closing. */
  cloudConnections(): Array<Record<string, unknown>> {
    return this.#cloud.connections();
  }

  /** Resolves once every paired printer is connected, or after `timeoutMs`. */
  async settle(timeoutMs: number): Promise<void> {
    const deadline = this.#clock.now() + timeoutMs;
    while (this.#clock.now() < deadline && this.#missingPrinters().length > 0) {
      await this.#clock.sleep(SETTLE_POLL_MS);
    }
  }

  /**
   * Who belongs to the venue, from the coordinator (GET /api/printer/me), and the venue's photo
   * overlay as it states it (`photoOverlayRings`; absent: as before).
   */
  setMembership(printers: Iterable<string>, coordinators: Iterable<string>, photoOverlayRings?: number): void {
    const before = this.#printers;
    this.#printers = new Set(printers);
    this.#coordinators = new Set(coordinators);
    this.#relink(this.overlay.setPrinters(this.#printers, photoOverlayRings));
    for (const key of this.#probation.keys()) {
      if (!this.#printers.has(key)) continue;
      const conn = this.#probation.release(key);
      if (conn && !isClosing(conn)) this.#attach(conn, key);
    }
    for (const [key, conn] of this.#connections) {
      if (!this.isAllowed(key)) conn.destroy();
    }
    for (const key of this.#dialledByKey) if (!this.#printers.has(key)) this.#letGoKeyDial(key, true);
    for (const key of this.#keyDialHistory.keys()) if (!this.#printers.has(key)) this.#keyDialHistory.delete(key);
    for (const key of [...this.#printers, ...(this.#cloud.wanted ? this.#coordinators : [])]) this.#unban(key);
    // A station paired since the last profile and not held on probation: look it up now, not at the
    // backed-off rediscovery.
    if ([...this.#printers].some((k) => !before.has(k) && !this.#connections.has(k))) this.#rediscoverNow();
  }

  /**
   * Opens and closes, on the connections already up, the channels a membership change moved into
   * or out of the overlay (a channel is otherwise decided only when it is first opened).
   */
  #relink(changes: readonly LinkChange[]): void {
    let offered = 0;
    let closed = 0;
    for (const { remote, discoveryKey, open } of changes) {
      if (!this.#setChannel(remote, discoveryKey, open)) continue;
      if (open) offered++;
      else closed++;
    }
    if (offered + closed > 0)
      this.#logger.info(
        { offered, closed },
        'the venue changed: overlay channels offered and closed on live connections',
      );
  }

  /**
   * Opens or closes one core's channel on the live connection to a LAN printer (core-channels.ts);
   * returns whether it acted. Without Hypercore's internals it reconnects instead: a new connection
   * decides every channel afresh.
   */
  #setChannel(remote: string, discoveryKey: string, open: boolean): boolean {
    const conn = this.#connections.get(remote);
    if (!conn || isClosing(conn)) return false;
    try {
      return setCoreChannel(this.#store, (conn as unknown as { userData: unknown }).userData, discoveryKey, open);
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'hypercore_internals_changed')) throw err;
      this.#logger.warn({ peer: remote.slice(0, 12), err }, 'cannot change one channel here: reconnecting instead');
      conn.destroy();
      return false;
    }
  }

  /**
   * Dials the paired stations a topic lookup did not bring, by key. A lookup returns at most about
   * twenty of a topic's announcements from each DHT node, so in a large venue each round finds a
   * different part of it (measured: 64 of 70 stations after 11 s of lookups, 67 after 25 s); and
   * Hyperswarm stops dialling what its lookups find at 64 connections, or at 31 while an explicit
   * peer such as the cloud seeder is joined (measured: 31 of 40). The profile names every station; a
   * dial by key needs no lookup and is not held to that limit (Hyperswarm's explicit peers). At most
   * MESH_KEY_DIALS_MAX run at once (key-dials.ts), the stations waiting longest first; one that
   * connects frees its place at once, one that fails within KEY_DIAL_CHECK_MS and is dialled again
   * after a back-off (KEY_DIAL_RETRY_FIRST_MS doubling to KEY_DIAL_RETRY_MAX_MS). While four or more
   * are out, Hyperswarm dials what its lookups find only up to 16 connections (its limit divided by
   * its explicit-peer factor), so the dials by key are let go as soon as they are over. A dial
   * already in flight, by key or from a lookup, is left alone; blocked stations are not dialled.
   */
  #dialMissingByKey(): void {
    this.#keyDialCheck?.cancel();
    this.#keyDialCheck = null;
    if (!this.#discovery) return;
    const plan = planKeyDials({
      members: [...this.#printers].filter((k) => !this.#blocked.has(k)),
      connected: (k) => this.#connections.has(k),
      busy: (k) => hasSwarmConnection(this.#swarm, k),
      dialledByKey: this.#dialledByKey,
      lastDialledAt: (k) => this.#keyDialHistory.get(k)?.lastAt,
      failures: (k) => this.#keyDialHistory.get(k)?.failures ?? 0,
      now: this.#clock.now(),
    });
    for (const key of plan.letGo) this.#letGoKeyDial(key, false);
    for (const key of plan.failed) this.#keyDialHistory.get(key)!.failures++;
    for (const key of plan.dial) {
      this.#dialledByKey.add(key);
      this.#keyDialHistory.set(key, {
        lastAt: this.#clock.now(),
        failures: this.#keyDialHistory.get(key)?.failures ?? 0,
      });
      redialPeer(this.#swarm, key, () => this.#discovery !== null && this.#dialledByKey.has(key));
    }
    if (this.#dialledByKey.size > 0) {
      this.#keyDialCheck = this.#clock.setTimeout(() => this.#dialMissingByKey(), KEY_DIAL_CHECK_MS).unref();
    }
  }

  /**
   * A dial by key is over (connected, failed, or the station left the venue: `cancel` drops a dial
   * still in flight): the key leaves the swarm's explicit peers, which Hyperswarm would redial on
   * its own whenever they drop. A connected station stays: Hyperswarm keeps a peer while it has a
   * connection.
   */
  #letGoKeyDial(key: string, cancel: boolean): void {
    this.#dialledByKey.delete(key);
    this.#swarm.leavePeer(Buffer.from(key, 'hex'));
    if (cancel && !this.#connections.has(key)) cancelDial(this.#swarm, key);
  }

  /** Paired stations not connected, blocked ones aside. */
  #missingPrinters(): string[] {
    return [...this.#printers].filter((k) => !this.#connections.has(k) && !this.#blocked.has(k));
  }

  async join(topic: Buffer): Promise<void> {
    this.#topic = topic;
    const discovery = this.#swarm.join(topic, { server: true, client: true });
    this.#discovery = discovery;
    await discovery.flushed();
    this.#scheduleRediscovery();
  }

  #rediscoverNow(): void {
    if (!this.#discovery) return;
    this.#rediscoveryDelay = REDISCOVERY_FIRST_MS;
    // Hyperswarm folds a refresh into a lookup still running, which may predate the new station's
    // announcement: look once more when it ends.
    if (this.#looking) {
      this.#lookAgain = true;
      return;
    }
    this.#rediscoveryTimer?.cancel();
    this.#scheduleRediscovery(0);
  }

  #scheduleRediscovery(delayMs = this.#rediscoveryDelay): void {
    const timer: Timer = this.#clock
      .setTimeout(async () => {
        if (this.#missingPrinters().length > 0 && this.#discovery) {
          this.#looking = true;
          await this.#discovery.refresh().catch(() => {});
          this.#looking = false;
          this.#dialMissingByKey();
          if (!this.#lookAgain) this.#rediscoveryDelay = Math.min(REDISCOVERY_MAX_MS, this.#rediscoveryDelay * 2);
        }
        const again = this.#lookAgain;
        this.#lookAgain = false;
        if (this.#discovery && this.#rediscoveryTimer === timer) this.#scheduleRediscovery(again ? 0 : undefined);
      }, delayMs)
      .unref();
    this.#rediscoveryTimer = timer;
  }

  /** Admits and dials the cloud seeders; resolves true once one is connected, false after the timeout (cloud-dial.ts). */
  dialCloud(timeoutMs?: number): Promise<boolean> {
    return this.#cloud.dial(timeoutMs);
  }

  /** Stops admitting the cloud seeders and drops their connections: LAN traffic stays on the LAN. */
  hangUpCloud(): void {
    this.#cloud.hangUp();
  }

  /** Swarm first; the caller closes the corestore after (the other order hangs the process). */
  async close(): Promise<void> {
    this.#discovery = null;
    this.#rediscoveryTimer?.cancel();
    this.#keyDialCheck?.cancel();
    this.#cloud.close();
    this.#probation.close();
    this.detours.close();
    if (this.#topic) await this.#swarm.leave(this.#topic).catch(() => {});
    await this.#swarm.destroy();
  }

  #onConnection(conn: SwarmConnection): void {
    const key = conn.remotePublicKey.toString('hex');
    conn.on('error', () => {});
    if (!this.#printers.has(key) && !this.#coordinators.has(key)) {
      if (this.#probation.hold(key, conn)) {
        this.#logger.debug?.(
          { peer: key.slice(0, 12) },
          'an unknown station dialled: held until the coordinator confirms it',
        );
      }
      return;
    }
    this.#attach(conn, key);
  }

  /** Replicates over a connection the firewall admitted (or a station's, released from probation). */
  #attach(conn: SwarmConnection, key: string): void {
    this.#connections.set(key, conn);
    conn.once('close', () => {
      if (this.#connections.get(key) === conn) this.#connections.delete(key);
      this.emit(this.#coordinators.has(key) ? 'cloud-disconnected' : 'lan-peer-left', key);
    });
    const cloud = this.#coordinators.has(key);
    (cloud ? this.#cloudStore : this.#store).replicate(conn);
    // Hypercore opens its channels once the connection's handshake is done: guarded from the start.
    if (!cloud) this.overlay.guard((conn as unknown as { userData: unknown }).userData, key);
    if (this.#printers.has(key)) {
      this.#rediscoveryDelay = REDISCOVERY_FIRST_MS;
      this.#logger.debug?.({ peer: key.slice(0, 12) }, 'LAN peer connected');
      const history = this.#keyDialHistory.get(key);
      if (history) history.failures = 0;
      // Its dial slot is free: the next station waiting for a dial by key need not wait for a lookup.
      if (this.#dialledByKey.has(key)) this.#dialMissingByKey();
    }
    if (cloud) this.#cloud.onConnected();
    this.emit(cloud ? 'cloud-connected' : 'lan-peer-joined', key);
  }

  #unban(keyHex: string): void {
    const peer = this.#swarm.peers.get(keyHex);
    if (peer && (peer as { banned?: boolean }).banned) peer.ban(false);
  }
}
