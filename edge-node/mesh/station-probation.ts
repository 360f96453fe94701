import type { SwarmConnection } from 'hyperswarm';
import type { Clock, Timer } from '../../shared/ports/clock.ts';

/**
 * How long a key this printer does not know may be held, from its first held connection (redials
 * included), for the coordinator to confirm it: the knock's profile refresh waits up to
 * PROFILE_REFRESH_SOON_GAP_MS (2 s) plus its spread, then a round trip to the coordinator. A venue
 * whose coordinator is out of reach cannot confirm anyone, and the key is dropped after this.
 */
export const PROBATION_MAX_MS = 15_000;
/** Unknown keys held at once; more are refused outright, as before there was probation. */
export const PROBATION_CONNECTIONS_MAX = 16;
/**
 * Bytes a held connection may receive. A new station sends only its channel opens while it waits
 * (a few hundred bytes per core); the transport acknowledges and queues whatever arrives, read or
 * not, so without a cap a stranger could fill this printer's memory at LAN speed.
 */
export const PROBATION_BYTES_MAX = 256 * 1024;
/** How often held connections are checked against their deadline and byte cap. */
export const PROBATION_CHECK_MS = 50;
/** Keys dropped after their probation, refused without one from then on; the oldest are forgotten first. */
export const PROBATION_REFUSED_REMEMBERED_MAX = 1_024;

export type ProbationEnd = 'timeout' | 'too-much-data';

/**
 * Connections from stations this printer does not know yet, held until the coordinator says whether
 * they belong to the venue.
 *
 * Why not refuse them at the firewall until the profile lists them: HyperDHT does not answer a
 * handshake its server's firewall refused, so the new station's dial hangs for seconds, and when this
 * printer dials back after learning of it, Hyperswarm keeps one connection per pair by key order: for
 * half the pairs it drops the working dial-back and keeps the hanging dial (measured: 0.1–0.6 s or
 * 6.4 s to mesh, by key order). Holding the accepted connection means the station is meshed the
 * moment the profile lists it. A held connection carries nothing: Hypercore is attached only when
 * it is released, and the peer's bytes wait in the stream, up to PROBATION_BYTES_MAX.
 */
export class StationProbation {
  readonly #held = new Map<string, SwarmConnection>();
  /** When each key was first held: redials do not extend its probation. */
  readonly #since = new Map<string, number>();
  readonly #refused = new Set<string>();
  readonly #clock: Clock;
  readonly #maxMs: number;
  readonly #received: (conn: SwarmConnection) => number;
  readonly #onEnded: (keyHex: string, why: ProbationEnd) => void;
  #check: Timer | null = null;
  #closed = false;

  constructor(opts: {
    clock: Clock;
    maxMs?: number;
    /** Bytes the connection's socket has received so far. */
    received: (conn: SwarmConnection) => number;
    /** A key dropped by this class (not by `drop`): it is refused from now on. */
    onEnded: (keyHex: string, why: ProbationEnd) => void;
  }) {
    this.#clock = opts.clock;
    this.#maxMs = opts.maxMs ?? PROBATION_MAX_MS;
    this.#received = opts.received;
    this.#onEnded = opts.onEnded;
  }

  /** Whether the firewall may accept a handshake from this unknown key, to hold its connection. */
  mayHold(keyHex: string): boolean {
    return (
      !this.#closed &&
      !this.#refused.has(keyHex) &&
      (this.#held.has(keyHex) || this.#held.size < PROBATION_CONNECTIONS_MAX)
    );
  }

  /**
   * Holds `conn` until `release`, `drop` or the key's probation ends. Handshakes accepted at once can
   * outnumber the free places (the firewall answers before any is held): the extra ones, and keys
   * refused meanwhile, are hung up on here. Returns whether it is held.
   */
  hold(keyHex: string, conn: SwarmConnection): boolean {
    if (!this.mayHold(keyHex)) {
      conn.destroy();
      return false;
    }
    const before = this.#held.get(keyHex);
    if (before && before !== conn) before.destroy();
    this.#held.set(keyHex, conn);
    if (!this.#since.has(keyHex)) {
      this.#since.set(keyHex, this.#clock.now());
      // Keys whose connections closed by themselves are remembered too, so that a redial does not
      // start their probation over; bounded like the refused keys, oldest not held first.
      for (const key of this.#since.keys()) {
        if (this.#since.size <= PROBATION_REFUSED_REMEMBERED_MAX) break;
        if (!this.#held.has(key)) this.#since.delete(key);
      }
    }
    conn.once('close', () => {
      if (this.#held.get(keyHex) === conn) this.#held.delete(keyHex);
      this.#stopCheckingIfIdle();
    });
    this.#check ??= this.#clock.setInterval(() => this.#review(), PROBATION_CHECK_MS).unref();
    return true;
  }

  /** The held connection of a key the venue's profile now lists, handed over for replication. */
  release(keyHex: string): SwarmConnection | null {
    const conn = this.#held.get(keyHex);
    this.#since.delete(keyHex);
    this.#refused.delete(keyHex);
    if (!conn) return null;
    this.#held.delete(keyHex);
    this.#stopCheckingIfIdle();
    return conn;
  }

  /** Refuses `keyHex` from now on and drops its held connection; true if one was held. */
  drop(keyHex: string): boolean {
    this.#refuse(keyHex);
    const conn = this.#held.get(keyHex);
    if (!conn) return false;
    this.#held.delete(keyHex);
    conn.destroy();
    this.#stopCheckingIfIdle();
    return true;
  }

  get size(): number {
    return this.#held.size;
  }

  keys(): string[] {
    return [...this.#held.keys()];
  }

  /** Drops every held connection and holds no more (the mesh is closing). */
  close(): void {
    this.#closed = true;
    for (const conn of this.#held.values()) conn.destroy();
    this.#held.clear();
    this.#stopCheckingIfIdle();
  }

  #review(): void {
    const now = this.#clock.now();
    for (const [key, conn] of this.#held) {
      const why: ProbationEnd | null =
        this.#received(conn) > PROBATION_BYTES_MAX
          ? 'too-much-data'
          : now - (this.#since.get(key) ?? now) >= this.#maxMs
            ? 'timeout'
            : null;
      if (!why) continue;
      this.drop(key);
      this.#onEnded(key, why);
    }
  }

  #stopCheckingIfIdle(): void {
    if (this.#held.size > 0 || !this.#check) return;
    this.#check.cancel();
    this.#check = null;
  }

  #refuse(keyHex: string): void {
    this.#since.delete(keyHex);
    this.#refused.add(keyHex);
    for (const key of this.#refused) {
      if (this.#refused.size <= PROBATION_REFUSED_REMEMBERED_MAX) break;
      this.#refused.delete(key);
    }
  }
}
