/**
 * Print-ready rasters rendered ahead of a redemption (issue #16: scan → print with the photo local).
 * Decoding and dithering a 5 MB master takes ~110 ms of the ~200 ms a local redemption costs, and
 * its tail grows when replication shares the CPU; a photo rendered while the station is idle prints
 * without it. Keys are photo ids: a photo's bytes never change (the catalog pins their sha256), so a
 * raster never goes stale. Least recently used entries go first.
 */

/** ~40 KB of packed ESC/POS bands per photo at 576 dots: 512 photos ≈ 20 MB. */
export const RASTER_CACHE_ENTRIES = 512;

export class RasterCache<T> {
  readonly #max: number;
  readonly #map = new Map<string, T>();
  /** Renders under way: a print that asks for a photo being rendered ahead waits for that render. */
  readonly #rendering = new Map<string, Promise<T>>();

  constructor(maxEntries: number = RASTER_CACHE_ENTRIES) {
    this.#max = maxEntries;
  }

  get size(): number {
    return this.#map.size;
  }

  has(key: string): boolean {
    return this.#map.has(key);
  }

  get(key: string): T | undefined {
    const value = this.#map.get(key);
    if (value === undefined) return undefined;
    // Map order is insertion order: re-inserting marks it most recently used.
    this.#map.delete(key);
    this.#map.set(key, value);
    return value;
  }

  /**
   * The value under `key`: cached, or the render already under way for it, or `render()` run now and
   * kept. One render per key at a time, so a photo warmed up at the scan is not decoded twice.
   */
  async getOrRender(key: string, render: () => Promise<T>): Promise<T> {
    const cached = this.get(key);
    if (cached !== undefined) return cached;
    let running = this.#rendering.get(key);
    if (!running) {
      // Kept before it leaves the in-flight map, so no caller ever finds neither and renders again.
      running = render()
        .then((value) => {
          this.set(key, value);
          return value;
        })
        .finally(() => this.#rendering.delete(key));
      this.#rendering.set(key, running);
    }
    return running;
  }

  set(key: string, value: T): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    while (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next().value as string;
      this.#map.delete(oldest);
    }
  }
}
