/**
 * The photographer's side of an emulation run: one chain in batch order; each batch's JPEGs are
 * made before its upload time, then uploaded one after the other. Records what was uploaded and
 * when, for the orders (image ids) and the run's figures (real sizes, publication times).
 */
import type { VenueKit } from '../../tools/venue-kit/venue-kit.ts';
import type { Workload } from '../model/workload.ts';
import { PhotoMaker } from './photo-bytes.ts';
import type { WallTimeline } from './wall-timeline.ts';

/** Images larger than this are uploaded at this size. */
export const MAX_EMULATED_IMAGE_BYTES = 8_000_000;

export class PhotoUploads {
  /** Per image, its coordinator id once uploaded; every one rejects if the chain fails. */
  readonly imageIds: Array<Promise<string>> = [];
  /** Per image, the bytes of the JPEG actually uploaded (0 until then). */
  readonly uploadedBytes: number[];
  /** Per image: when the coordinator had it on the feed, simulated seconds (uploads run one after the other). */
  readonly publishedAtS: number[];
  /** Resolves when every batch is on the feed; rejects with the first failed upload. */
  readonly done: Promise<void>;
  #uploads = 0;
  #maxUploadLagS = 0;

  constructor(venue: VenueKit, w: Workload, seed: number, timeline: WallTimeline, diag: (message: string) => void) {
    const resolvers: Array<{ ok: (id: string) => void; fail: (err: unknown) => void }> = [];
    for (let i = 0; i < w.images; i++) {
      this.imageIds.push(
        new Promise<string>((ok, fail) => {
          resolvers.push({ ok, fail });
        }),
      );
      this.imageIds[i]!.catch(() => {});
    }
    this.uploadedBytes = new Array(w.images).fill(0);
    this.publishedAtS = Array.from(w.uploadAt);
    this.done = this.#upload(venue, w, new PhotoMaker(seed), seed, timeline, resolvers, diag);
  }

  /** Photos on the feed so far. */
  get uploads(): number {
    return this.#uploads;
  }

  /** The latest a batch was whole on the feed after its due time, simulated seconds. */
  get maxUploadLagS(): number {
    return this.#maxUploadLagS;
  }

  async #upload(
    venue: VenueKit,
    w: Workload,
    photos: PhotoMaker,
    seed: number,
    { simNow, until }: WallTimeline,
    resolvers: ReadonlyArray<{ ok: (id: string) => void; fail: (err: unknown) => void }>,
    diag: (message: string) => void,
  ): Promise<void> {
    try {
      for (const b of w.batches) {
        const jpegs: Buffer[] = [];
        for (let i = b.first; i < b.first + b.count; i++) {
          jpegs.push(
            await photos.photo(Math.min(w.imageBytes[i]!, MAX_EMULATED_IMAGE_BYTES), `seed ${seed} photo ${i}`),
          );
        }
        await until(b.atS);
        for (let k = 0; k < jpegs.length; k++) {
          const i = b.first + k;
          const { id } = await venue.upload(jpegs[k]!, `img${i}.jpg`);
          this.uploadedBytes[i] = jpegs[k]!.length;
          this.publishedAtS[i] = simNow();
          this.#uploads++;
          resolvers[i]!.ok(id);
        }
        this.#maxUploadLagS = Math.max(this.#maxUploadLagS, simNow() - b.atS);
        diag(`batch ${b.index}: due ${b.atS.toFixed(0)} s, uploaded by ${simNow().toFixed(0)} s`);
      }
    } catch (err) {
      for (const r of resolvers) r.fail(err);
      throw err;
    }
  }
}
