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
 * How: rendezvous (highest-random-weight) hashing of the order id over the venue's paired stations
 * (the hashing responsibility.ts uses for cloud pulls). Every station, and the coordinator's order
 * page, computes the same K from the same membership without talking; a station unpaired or revoked
 * moves only its own orders. A venue of K stations or fewer renders every order everywhere, as before.
 *
 * Paired, not online: the order page must name the same stations the stations themselves chose, and
 * only the pairing is known alike to both (who is online differs between views and by the second).
 * The cost: a paired station that is switched off takes its share of orders and renders none of
 * them, so at a venue with spares fewer than K stations render an order; its fans' photos are
 * rendered at the scan, while the claim is on its way (scan-warm-up.ts).
 */
import { AppError } from '../errors.ts';
import { combine32, hashString32 } from './hash32.ts';

/**
 * Stations that render each paid order ahead. A venue this size or smaller renders every order at
 * every station (the bench's 11 printers, validation-8's 8); above it a fan who goes elsewhere has
 * his photo rendered at the scan (~110–230 ms on the print's critical path).
 */
export const PRERENDER_STATIONS_PER_ORDER = 16;

/**
 * The pre-render assignment for one membership (the venue's paired stations): each station's key is
 * hashed once per assignment, then each order costs one pass over them.
 */
export class PreRenderAssignment {
  readonly #ids: string[];
  readonly #hashes: Uint32Array;
  readonly #index = new Map<string, number>();
  readonly #perOrder: number;

  constructor(stations: Iterable<string>, perOrder: number = PRERENDER_STATIONS_PER_ORDER) {
    if (!(Number.isInteger(perOrder) && perOrder >= 1)) {
      throw new AppError(
        'invalid_prerender_assignment',
        `stations per order must be a whole number ≥ 1, got ${perOrder}`,
      );
    }
    this.#ids = [...new Set(stations)];
    this.#hashes = Uint32Array.from(this.#ids, (s) => hashString32(s));
    for (const [i, id] of this.#ids.entries()) this.#index.set(id, i);
    this.#perOrder = perOrder;
  }

  /** Stations in the venue. */
  get stations(): number {
    return this.#ids.length;
  }

  /**
   * Whether `station` is among the `perOrder` that render the order's photos ahead. A station not
   * in the membership (not paired yet as far as this view knows) renders everything: it must not
   * leave orders unrendered on a guess.
   */
  rendersAt(orderId: string, station: string): boolean {
    const at = this.#index.get(station);
    if (at === undefined || this.#ids.length <= this.#perOrder) return true;
    const order = hashString32(orderId);
    const ownWeight = combine32(order, this.#hashes[at]!);
    let above = 0;
    for (let i = 0; i < this.#hashes.length; i++) {
      if (i === at) continue;
      if (outranks(combine32(order, this.#hashes[i]!), this.#ids[i]!, ownWeight, station)) {
        above++;
        if (above >= this.#perOrder) return false;
      }
    }
    return true;
  }

  /** The stations that render the order's photos ahead (every station when the venue is small enough). */
  renderersOf(orderId: string): Set<string> {
    if (this.#ids.length <= this.#perOrder) return new Set(this.#ids);
    const order = hashString32(orderId);
    const ranked = this.#ids.map((id, i) => ({ id, weight: combine32(order, this.#hashes[i]!) }));
    ranked.sort((a, b) => (outranks(a.weight, a.id, b.weight, b.id) ? -1 : 1));
    return new Set(ranked.slice(0, this.#perOrder).map((r) => r.id));
  }
}

/**
 * Higher weight first. Weights tie only when two station ids hash alike (the weight is a bijection of
 * the station's hash for a given order): the lower id wins, the same answer in every view.
 */
function outranks(weightA: number, idA: string, weightB: number, idB: string): boolean {
  return weightA > weightB || (weightA === weightB && idA < idB);
}
