/**
 * Photo bytes for emulation runs: valid, distinct JPEGs of an exact size, made cheaply. Encoding a
 * 5 MB noise JPEG costs about half a CPU second, and a 1 GB scenario needs 200 of them while the
 * run's processes compete for the same two cores; so a few noise JPEGs are encoded once (bases) and
 * each photo is a base with comment (COM) segments added after its start marker to reach its drawn
 * size. Decoders skip comments, so the coordinator's pipeline and the printers decode a real image;
 * the comment starts with the photo's tag, so every photo has its own sha256 (the coordinator keeps
 * each master once per event).
 */
import sharp from 'sharp';

const NOISE_JPEG_BYTES_PER_PIXEL = 0.77;
const MIN_IMAGE_SIDE_PX = 16;
/** A base is used for photos up to this many times its size (the rest is comment padding). */
const MAX_PADDING_FACTOR = 1.5;
/** New bases are encoded at this fraction of the photo that needs one, so the next ones fit too. */
const BASE_SIZE_FRACTION = 0.8;
const JPEG_SOI_BYTES = 2;
/** A COM segment: marker (2 bytes), length field (2 bytes, counts itself), at most 65,533 payload bytes. */
const COM_HEADER_BYTES = 4;
const COM_MAX_SEGMENT_BYTES = COM_HEADER_BYTES + 65_533;

/** An incompressible (noise) JPEG of roughly `bytes` bytes. */
export async function noiseJpeg(bytes: number, seed: number): Promise<Buffer> {
  const side = Math.max(MIN_IMAGE_SIDE_PX, Math.round(Math.sqrt(bytes / NOISE_JPEG_BYTES_PER_PIXEL)));
  return sharp({
    create: {
      width: side,
      height: side,
      channels: 3,
      background: { r: seed % 255, g: (seed >> 8) % 255, b: 90 },
      noise: { type: 'gaussian', mean: 120 + (seed % 7), sigma: 50 },
    },
  })
    .jpeg({ quality: 92 })
    .toBuffer();
}

/**
 * `jpeg` with comment segments after its start marker, `targetBytes` long in all (or `jpeg` plus
 * one tagged comment if that is already longer). Padding is the tag followed by a counter pattern:
 * feed blocks are encrypted, so its compressibility does not matter.
 */
export function padJpeg(jpeg: Buffer, targetBytes: number, tag: string): Buffer {
  const tagBytes = Buffer.from(tag, 'utf8');
  const padding = Math.max(targetBytes - jpeg.length, COM_HEADER_BYTES + tagBytes.length);
  const segments: Buffer[] = [];
  let left = padding;
  while (left >= COM_HEADER_BYTES) {
    let size = Math.min(left, COM_MAX_SEGMENT_BYTES);
    // Never leave 1–3 bytes that no segment could hold.
    if (left - size > 0 && left - size < COM_HEADER_BYTES) size -= COM_HEADER_BYTES;
    const segment = Buffer.alloc(size);
    segment[0] = 0xff;
    segment[1] = 0xfe;
    segment.writeUInt16BE(size - 2, 2);
    for (let i = COM_HEADER_BYTES; i < size; i++) segment[i] = (i * 31 + segments.length) & 0xff;
    if (segments.length === 0) tagBytes.copy(segment, COM_HEADER_BYTES, 0, size - COM_HEADER_BYTES);
    segments.push(segment);
    left -= size;
  }
  return Buffer.concat([jpeg.subarray(0, JPEG_SOI_BYTES), ...segments, jpeg.subarray(JPEG_SOI_BYTES)]);
}

/** Makes photos of given sizes from a small, growing set of noise-JPEG bases. */
export class PhotoMaker {
  readonly #bases: Buffer[] = [];
  readonly #seed: number;

  constructor(seed: number) {
    this.#seed = seed;
  }

  /** Bases encoded so far. */
  get baseCount(): number {
    return this.#bases.length;
  }

  /** One photo at a time, so that concurrent callers share the bases. */
  photo(targetBytes: number, tag: string): Promise<Buffer> {
    const made = this.#last.then(() => this.#make(targetBytes, tag));
    this.#last = made.catch(() => {});
    return made;
  }

  #last: Promise<unknown> = Promise.resolve();

  async #make(targetBytes: number, tag: string): Promise<Buffer> {
    let base: Buffer | undefined;
    for (const b of this.#bases) {
      if (b.length <= targetBytes && b.length * MAX_PADDING_FACTOR >= targetBytes && (!base || b.length > base.length))
        base = b;
    }
    if (!base) {
      const seed = this.#seed * 1_000_003 + this.#bases.length;
      let want = targetBytes * BASE_SIZE_FRACTION;
      base = await noiseJpeg(want, seed);
      // Bytes per pixel vary with the size; one correction brings the base under the target.
      if (base.length > targetBytes) {
        want *= (targetBytes * BASE_SIZE_FRACTION) / base.length;
        base = await noiseJpeg(want, seed);
      }
      this.#bases.push(base);
    }
    return padJpeg(base, targetBytes, tag);
  }
}
