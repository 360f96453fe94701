import type { SwarmConnection } from 'hyperswarm';
import type { Clock, Timer } from '../../shared/ports/clock.ts';

/**
 * How long a connection from a key this printer does not know is held, idle, for the coordinator to
 * confirm it: the knock's profile refresh waits up to PROFILE_REFRESH_SOON_GAP_MS (2 s) plus its
 * spread, then a round trip to the coordinator. A venue whose coordinator is out of reach cannot
 * confirm anyone, and the connection is dropped after this.
 */
export const PROBATION_MAX_MS = 15_000;
/** Unknown keys held at once; more are refused outright, as before there was probation. */
export const PROBATION_CONNECTIONS_MAX = 16;
/** Keys dropped after their probation, refused without one from then on; the oldest are forgotten first. */
export const PROBATION_REFUSED_REMEMBERED_MAX = 1_024;

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
 * it is released, and the peer's bytes wait in the stream (a few KB: the secret stream stops reading
 * from the socket while nobody reads from it, so a stranger cannot fill this printer's memory).
 */
export class StationProbation {
  readonly #held = new Map<string, { conn: SwarmConnection; timer: Timer }>();
  readonly #refused = new Set<string>();
  readonly #clock: Clock;
  readonly #maxMs: number;
  readonly #onExpired: (keyHex: string) => void;

  constructor(opts: { clock: Clock; maxMs?: number; onExpired: (keyHex: string) => void }) {
    this.#clock = opts.clock;
    this.#maxMs = opts.maxMs ?? PROBATION_MAX_MS;
    this.#onExpired = opts.onExpired;
  }

  /** Whether the firewall may accept a handshake from this unknown key, to hold its connection. */
  mayHold(keyHex: string): boolean {
    return !this.#refused.has(keyHex) && (this.#held.has(keyHex) || this.#held.size < PROBATION_CONNECTIONS_MAX);
  }

  /** Holds `conn` until `release` or the probation's end, when it is destroyed and its key refused. */
  hold(keyHex: string, conn: SwarmConnection): void {
    this.#held.get(keyHex)?.conn.destroy();
    this.#held.get(keyHex)?.timer.cancel();
    const timer = this.#clock
      .setTimeout(() => {
        if (this.#held.get(keyHex)?.conn !== conn) return;
        this.#held.delete(keyHex);
        this.#refuse(keyHex);
        conn.destroy();
        this.#onExpired(keyHex);
      }, this.#maxMs)
      .unref();
    this.#held.set(keyHex, { conn, timer });
    conn.once('close', () => {
      const held = this.#held.get(keyHex);
      if (held?.conn !== conn) return;
      held.timer.cancel();
      this.#held.delete(keyHex);
    });
  }

  /** The held connection of a key the venue's profile now lists, handed over for replication. */
  release(keyHex: string): SwarmConnection | null {
    const held = this.#held.get(keyHex);
    if (!held) return null;
    held.timer.cancel();
    this.#held.delete(keyHex);
    this.#refused.delete(keyHex);
    return held.conn;
  }

  /** Refuses `keyHex` from now on and drops its held connection; true if one was held. */
  drop(keyHex: string): boolean {
    this.#refuse(keyHex);
    const held = this.#held.get(keyHex);
    if (!held) return false;
    held.timer.cancel();
    this.#held.delete(keyHex);
    held.conn.destroy();
    return true;
  }

  /** Keys held now. */
  get size(): number {
    return this.#held.size;
  }

  keys(): string[] {
    return [...this.#held.keys()];
  }

  /** Drops every held connection (the mesh is closing). */
  close(): void {
    for (const { conn, timer } of this.#held.values()) {
      timer.cancel();
      conn.destroy();
    }
    this.#held.clear();
  }

  #refuse(keyHex: string): void {
    this.#refused.add(keyHex);
    for (const key of this.#refused) {
      if (this.#refused.size <= PROBATION_REFUSED_REMEMBERED_MAX) break;
      this.#refused.delete(key);
    }
  }
}
