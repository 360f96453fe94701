/**
 * Which stations render a paid order's photos ahead of its redemption (issue #16: every printer
 * rendered every paid photo).
 *
 * Why: a render costs a station ~70–230 ms of CPU, and a fan prints at one station. With every
 * station rendering every sale, a venue of N stations renders each sale N times; at a stadium (500
 * stations, ~10 sales a second) that is more renders a second than a station makes in its quiet
 * time, and the raster cache (STATION_PRERENDER_PHOTOS) holds only the last few seconds of sales, so
 * a fan who walks for a minute finds his render evicted anyway. Giving each order to a few stations
 * makes those renders last: each station sees K/N of the sales, and its cache holds minutes of them.
 *
 * How: rendezvous (highest-random-weight) hashing of the order id over the venue's paired stations,
 * as responsibility.ts does for cloud pulls. Every station computes the same K from the same
 * membership without talking; a station that leaves moves only its own orders. A venue of K
 * stations or fewer renders every order everywhere, as before.
 */
import { AppError } from '../errors.ts';
import { combine32, hashString32 } from './hash32.ts';

/**
 * Stations that render each paid order ahead. A venue this size or smaller renders every order at
 * every station (the bench's 11 printers, validation-8's 8); above it a fan who goes elsewhere has
 * his photo rendered at the scan (~110–230 ms on the print's critical path).
 */
export const PRERENDER_STATIONS_PER_ORDER = 16;

/** The pre-render assignment for one membership (the venue's paired stations, self included). */
export class PreRenderAssignment {
  readonly #self: number;
  readonly #others: Uint32Array;
  readonly #perOrder: number;

  constructor(self: string, stations: Iterable<string>, perOrder: number = PRERENDER_STATIONS_PER_ORDER) {
    if (!(Number.isInteger(perOrder) && perOrder >= 1)) {
      throw new AppError(
        'invalid_prerender_assignment',
        `stations per order must be a whole number ≥ 1, got ${perOrder}`,
      );
    }
    this.#self = hashString32(self);
    const others = new Set(stations);
    others.delete(self);
    this.#others = Uint32Array.from([...others], (s) => hashString32(s));
    this.#perOrder = perOrder;
  }

  /** Stations in the venue, self included. */
  get stations(): number {
    return this.#others.length + 1;
  }

  /** Whether this station is among the `perOrder` that render the order's photos ahead. */
  rendersHere(orderId: string): boolean {
    if (this.#others.length < this.#perOrder) return true;
    const order = hashString32(orderId);
    const own = combine32(order, this.#self);
    let above = 0;
    for (const other of this.#others) {
      const w = combine32(order, other);
      // Ties (1 in 2^32) go to the lower station hash, the same answer at every station.
      if (w > own || (w === own && other < this.#self)) {
        above++;
        if (above >= this.#perOrder) return false;
      }
    }
    return true;
  }
}
