import { photoOverlay } from '../../shared/policy/photo-overlay.ts';

/**
 * LAN hops between the simulated printers over the edge node's photo overlay
 * (shared/policy/photo-overlay.ts, with the scenario's `strategies.mesh.photoOverlayRings`): a block
 * a printer holds reaches another after this many LAN hops, each printer on the way fetching it
 * for itself. 1 for every pair at a venue small enough for the full mesh. Printers are named by
 * index, as the overlay only needs names every printer agrees on; distances from a printer are
 * computed once, the first time they are asked for.
 */
export class PhotoHops {
  /** Each printer's overlay neighbours, by index (every other printer on the full mesh). */
  readonly #links: number[][];
  readonly #printers: number;
  readonly #from = new Map<number, Uint16Array>();

  constructor(printers: number, rings: number) {
    this.#printers = printers;
    const names = Array.from({ length: printers }, (_, p) => String(p));
    const links = photoOverlay('venue-photos', names, rings);
    this.#links = names.map((p) => [...links.get(p)!].map(Number));
  }

  /** Hops from `from` to `to` (0 for the same printer). */
  between(from: number, to: number): number {
    if (from === to) return 0;
    let hops = this.#from.get(from);
    if (!hops) {
      hops = this.#bfs(from);
      this.#from.set(from, hops);
    }
    return hops[to]!;
  }

  #bfs(from: number): Uint16Array {
    const hops = new Uint16Array(this.#printers);
    const seen = new Uint8Array(this.#printers);
    seen[from] = 1;
    const queue = [from];
    for (let head = 0; head < queue.length; head++) {
      const at = queue[head]!;
      for (const next of this.#links[at]!) {
        if (seen[next]) continue;
        seen[next] = 1;
        hops[next] = hops[at]! + 1;
        queue.push(next);
      }
    }
    return hops;
  }
}
