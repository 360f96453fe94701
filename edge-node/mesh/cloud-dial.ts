/**
 * The venue mesh's line to the cloud (venue-mesh.ts): the coordinator's seeders are admitted only
 * while `wanted` is true. The node dials them for its own share of new blocks or for an on-demand
 * fetch no LAN peer could serve in time, and hangs up afterwards, so LAN traffic stays on the LAN.
 */
import type Hyperswarm from 'hyperswarm';
import type { SwarmConnection } from 'hyperswarm';
import type { Clock, Timer } from '../../shared/ports/clock.ts';
import type { StructuredLogger } from '../../shared/ports/logger.ts';
import { dialState, isClosing, redialPeer } from './swarm-internals.ts';

/** How long to wait for the cloud seeder to answer a dial before giving up for this round. */
export const CLOUD_DIAL_TIMEOUT_MS = 15_000;
/** A dial that takes longer than this is logged at info level, with the swarm's connection attempts. */
export const CLOUD_DIAL_SLOW_MS = 2_000;
/**
 * A dial not connected after this long is started over (swarm-internals.ts redialPeer). Dials to the
 * seeder connect in tens of milliseconds (median 34 ms in validation-8); a stuck one otherwise holds
 * this printer's share of a batch, and the whole venue with it, for the full CLOUD_DIAL_TIMEOUT_MS.
 */
export const CLOUD_DIAL_RETRY_MS = 3_000;

export interface CloudDialOptions {
  swarm: Hyperswarm;
  /** The coordinator's seeders' keys (hex), as the membership has them now. */
  seeders: () => ReadonlySet<string>;
  /** The mesh's live connections by key; a hang-up removes the seeders' from it. */
  connections: Map<string, SwarmConnection>;
  /** Lifts Hyperswarm's ban on a key its firewall refused while the cloud was not wanted. */
  unban: (keyHex: string) => void;
  logger: StructuredLogger;
  clock: Clock;
  /** Start an unanswered dial over after this long (default CLOUD_DIAL_RETRY_MS). */
  retryMs?: number;
}

export class CloudDial {
  readonly #o: CloudDialOptions;
  #wanted = false;
  /** When the current dial began (null: connected, or not dialling). */
  #startedAt: number | null = null;
  #redialTimer: Timer | null = null;
  /** Dials waiting for a seeder's connection. */
  readonly #waiting = new Set<() => void>();

  constructor(opts: CloudDialOptions) {
    this.#o = opts;
  }

  /** Whether the seeders are admitted now (the firewall asks). */
  get wanted(): boolean {
    return this.#wanted;
  }

  /** A live connection to a seeder; one being torn down (a hang-up, a duplicate dropped) is not one. */
  connected(): boolean {
    const seeders = this.#o.seeders();
    return [...this.#o.connections].some(([k, conn]) => seeders.has(k) && !isClosing(conn));
  }

  /** The seeder connections as they stand (diagnostics): who, and whether closing. */
  connections(): Array<Record<string, unknown>> {
    const seeders = this.#o.seeders();
    return [...this.#o.connections]
      .filter(([k]) => seeders.has(k))
      .map(([k, conn]) => {
        const c = conn as unknown as {
          userData?: unknown;
          isInitiator?: boolean;
          rawBytesRead?: number;
          rawBytesWritten?: number;
          rawStream?: { rtt?: number; cwnd?: number; inflight?: number; remoteHost?: string };
        };
        return {
          peer: k.slice(0, 12),
          closing: isClosing(conn),
          mux: Boolean(c.userData),
          initiator: c.isInitiator,
          read: c.rawBytesRead,
          written: c.rawBytesWritten,
          rtt: c.rawStream?.rtt,
          cwnd: c.rawStream?.cwnd,
          inflight: c.rawStream?.inflight,
          host: c.rawStream?.remoteHost,
        };
      });
  }

  /** Admits and dials the seeders; resolves true once one is connected, false after the timeout. Idempotent while dialled. */
  async dial(timeoutMs = CLOUD_DIAL_TIMEOUT_MS): Promise<boolean> {
    const { swarm, logger, clock, unban } = this.#o;
    const seeders = this.#o.seeders();
    if (seeders.size === 0) return false;
    if (!this.#wanted) {
      this.#wanted = true;
      this.#startedAt = clock.now();
      logger.info({ seeders: seeders.size }, 'dialling the cloud seeder');
      for (const key of seeders) {
        unban(key);
        swarm.joinPeer(Buffer.from(key, 'hex'));
      }
      this.#scheduleRedial();
    }
    if (this.connected()) return true;
    return new Promise<boolean>((resolve) => {
      const timer = clock.setTimeout(() => {
        this.#waiting.delete(onConnected);
        resolve(false);
      }, timeoutMs);
      const onConnected = () => {
        timer.cancel();
        resolve(true);
      };
      this.#waiting.add(onConnected);
    });
  }

  /**
   * A seeder connected: the dials waiting resolve, and how long the dial took is logged. A slow one
   * holds up this printer's share of a batch, and the whole venue with it; the swarm's attempts tell
   * a slow handshake (one attempt) from failed ones retried after Hyperswarm's back-off (several).
   */
  onConnected(): void {
    this.#stopRedial();
    for (const resolve of [...this.#waiting]) resolve();
    this.#waiting.clear();
    if (this.#startedAt === null) return;
    const dialMs = this.#o.clock.now() - this.#startedAt;
    this.#startedAt = null;
    const attempts = this.#o.swarm.stats.connects.client;
    if (dialMs > CLOUD_DIAL_SLOW_MS) this.#o.logger.info({ dialMs, attempts }, 'the cloud seeder answered slowly');
    else this.#o.logger.debug?.({ dialMs }, 'connected to the cloud seeder');
  }

  /** Stops admitting the seeders and drops their connections: LAN traffic stays on the LAN. */
  hangUp(): void {
    if (!this.#wanted) return;
    this.#wanted = false;
    this.#startedAt = null;
    this.#stopRedial();
    const seeders = this.#o.seeders();
    for (const key of seeders) this.#o.swarm.leavePeer(Buffer.from(key, 'hex'));
    for (const [key, conn] of this.#o.connections) {
      if (!seeders.has(key)) continue;
      this.#o.connections.delete(key);
      conn.destroy();
    }
    this.#o.logger.info({}, 'hung up on the cloud seeder');
  }

  close(): void {
    this.#stopRedial();
  }

  /**
   * Starts the dial over while no seeder has answered. Hyperswarm retries a failed dial only after
   * its back-off (1 s to 10 min) and starts no new one while an attempt is in flight, however long
   * that attempt hangs: in validation-8 two printers' dials sat 15 s each without an answer while
   * the others connected in 30 ms, and a fresh dial right after connected in 9 ms.
   */
  #scheduleRedial(): void {
    this.#stopRedial();
    const { clock, swarm, logger } = this.#o;
    this.#redialTimer = clock
      .setTimeout(() => {
        this.#redialTimer = null;
        if (!this.#wanted || this.connected()) return;
        const now = clock.now();
        const seeders = [...this.#o.seeders()];
        logger.info(
          {
            afterMs: this.#startedAt === null ? undefined : now - this.#startedAt,
            seeders: seeders.map((key) => dialState(swarm, key, this.#o.connections.has(key), now)),
          },
          'the cloud seeder has not answered: dialling it afresh',
        );
        for (const key of seeders) redialPeer(swarm, key, () => this.#wanted);
        this.#scheduleRedial();
      }, this.#o.retryMs ?? CLOUD_DIAL_RETRY_MS)
      .unref();
  }

  #stopRedial(): void {
    this.#redialTimer?.cancel();
    this.#redialTimer = null;
  }
}
