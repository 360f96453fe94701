/**
 * A hybrid logical clock (Kulkarni et al. 2014): wall-clock milliseconds plus a counter. Stamps of
 * one node always increase, and a node that has seen a peer's stamp stamps later events after it,
 * so "claimed first" means the same thing on every printer even when their clocks differ a little.
 */
export interface HlcStamp {
  wall: number;
  count: number;
}

export function compareHlc(a: HlcStamp, b: HlcStamp): number {
  return a.wall !== b.wall ? a.wall - b.wall : a.count - b.count;
}

export function isHlcStamp(value: unknown): value is HlcStamp {
  if (typeof value !== 'object' || value === null) return false;
  const { wall, count } = value as Partial<HlcStamp>;
  return Number.isSafeInteger(wall) && Number.isSafeInteger(count) && (count ?? -1) >= 0 && (wall ?? -1) >= 0;
}

export class HybridClock {
  readonly #physical: () => number;
  readonly #maxAheadMs: number;
  #last: HlcStamp = { wall: 0, count: 0 };

  /** Stamps more than `maxAheadMs` ahead of the local clock are not observed (a peer cannot drag it along). */
  constructor(physical: () => number, maxAheadMs: number) {
    this.#physical = physical;
    this.#maxAheadMs = maxAheadMs;
  }

  /** A stamp after every stamp this clock issued or observed. */
  now(): HlcStamp {
    const physical = this.#physical();
    this.#last =
      physical > this.#last.wall
        ? { wall: physical, count: 0 }
        : { wall: this.#last.wall, count: this.#last.count + 1 };
    return { ...this.#last };
  }

  /** Takes a stamp seen elsewhere into account, so the next local stamp comes after it. */
  observe(remote: HlcStamp): void {
    if (remote.wall > this.#physical() + this.#maxAheadMs) return;
    if (compareHlc(remote, this.#last) > 0) this.#last = { ...remote };
  }
}
