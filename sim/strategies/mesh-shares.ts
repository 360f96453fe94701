/**
 * Which printer pulls which image from the cloud: the edge node's own rendezvous hashing
 * (shared/policy/responsibility.ts) over the printers that are up.
 *
 * Granularity: the real node assigns 1 MiB chunks of the feed's blobs core; an image is owned here
 * by the owner of the chunk holding its first block (images are laid out in upload order, 64 KiB
 * blocks, exactly as the feed appends them). The model moves whole images because images are the
 * unit a fan buys and the unit background sync orders (fetch-order.ts); WAN bytes are the same
 * (each image crosses once), only an image straddling a chunk boundary, which the node pulls in
 * two or three parts from two or three owners, is pulled here by one.
 */
import { chunkOf, ResponsibilityMap } from '../../shared/policy/responsibility.ts';
import type { SimContext } from './strategy.ts';

export function printerKey(p: number): string {
  // Zero-padded so the map's sorted member list is in printer order.
  return `printer-${String(p).padStart(5, '0')}`;
}

export class MeshShares {
  readonly feedKey: string;
  readonly #sim: SimContext;
  readonly #owner: Int32Array;
  readonly #ownerVersion: Int32Array;
  #version = 1;
  #map: ResponsibilityMap | null = null;
  #memberPrinter: number[] = [];
  #online = 0;

  constructor(sim: SimContext) {
    this.#sim = sim;
    // One feed per seed: different seeds are different events with different chunk owners.
    this.feedKey = `sim-${sim.seed}/blobs`;
    this.#owner = new Int32Array(sim.workload.images);
    this.#ownerVersion = new Int32Array(sim.workload.images);
  }

  /** A printer went down or came up: shares are recomputed lazily. */
  membershipChanged(): void {
    this.#version++;
    this.#map = null;
  }

  /** Printers up, self included. */
  online(): number {
    this.#ensure();
    return this.#online;
  }

  /** The printer that pulls image `i` from the cloud, or -1 when no printer is up. */
  owner(i: number): number {
    if (this.#ownerVersion[i] === this.#version) return this.#owner[i]!;
    this.#ensure();
    const map = this.#map!;
    const owner =
      map.size === 0
        ? -1
        : this.#memberPrinter[map.ownerIndex(this.feedKey, chunkOf(this.#sim.workload.firstBlock[i]!))]!;
    this.#owner[i] = owner;
    this.#ownerVersion[i] = this.#version;
    return owner;
  }

  #ensure(): void {
    if (this.#map) return;
    const up = this.#sim.onlinePrinters();
    this.#map = new ResponsibilityMap(up.map(printerKey));
    // members are sorted keys; zero-padding makes that the printers' ascending order.
    this.#memberPrinter = this.#map.members.map((k) => Number(k.slice('printer-'.length)));
    this.#online = up.length;
  }
}
