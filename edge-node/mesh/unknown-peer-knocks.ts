/**
 * Keys the mesh's firewall met that this printer does not know (it holds their connection if they
 * dialled, station-probation.ts, and refuses them if it dialled): a station an operator has just
 * paired knocks before this printer's next profile refresh (up to `reportIntervalMs`) would admit
 * it. A knock asks for the profile at once; a key the coordinator's answer still leaves out (a
 * revoked printer, a stranger on the topic) asks no more and is dropped, so it cannot make this
 * printer poll the coordinator faster than the profile's own schedule. Pure: the owner supplies
 * the clock.
 */

/** Refused keys remembered; the oldest are forgotten first (a stranger cannot grow this without bound). */
export const KNOCKS_REMEMBERED_MAX = 1_024;

export class UnknownPeerKnocks {
  /** Keys that knocked and await a profile asked for after their first knock (epoch ms of that knock). */
  readonly #pending = new Map<string, number>();
  /** Keys a profile asked for after their knock did not list: they ask for nothing more. */
  readonly #refused = new Set<string>();

  /** A key the firewall refused knocked at `now`; true when a profile refresh should follow. */
  knock(keyHex: string, now: number): boolean {
    if (this.#refused.has(keyHex)) return false;
    if (!this.#pending.has(keyHex)) {
      if (this.#pending.size >= KNOCKS_REMEMBERED_MAX) return false;
      this.#pending.set(keyHex, now);
    }
    return true;
  }

  /**
   * A profile asked for at `askedAt` lists `members`: knocks before it are answered. Returns the keys
   * it refused (they knocked before it was asked for, and it leaves them out).
   */
  applied(members: Iterable<string>, askedAt: number): string[] {
    const listed = new Set(members);
    const refused: string[] = [];
    for (const key of listed) this.#refused.delete(key);
    for (const [key, knockedAt] of this.#pending) {
      if (listed.has(key)) this.#pending.delete(key);
      else if (knockedAt <= askedAt) {
        this.#pending.delete(key);
        this.#refused.add(key);
        refused.push(key);
      }
    }
    for (const key of this.#refused) {
      if (this.#refused.size <= KNOCKS_REMEMBERED_MAX) break;
      this.#refused.delete(key);
    }
    return refused;
  }

  /** Keys still waiting for a profile that answers them. */
  get pending(): number {
    return this.#pending.size;
  }
}
