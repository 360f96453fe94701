import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import test from 'ava';
import sharp, { type Sharp } from 'sharp';
import {
  DEFAULT_IMAGE_LIMITS,
  type ImageLimits,
  PREVIEW_LONG_EDGE_PIXELS,
  processImage,
  THUMBNAIL_LONG_EDGE_PIXELS,
} from '../coordinator/media/image-pipeline.ts';
import { AppError } from '../shared/errors.ts';

/** Pseudo-random pixels so encoders cannot compress them away (truncation then cuts real data). */
function noisePixels(width: number, height: number, channels: 3 | 4): Buffer {
  const pixels = Buffer.alloc(width * height * channels);
  let x = 0x9e3779b9;
  for (let i = 0; i < pixels.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    pixels[i] = x & 0xff;
  }
  return pixels;
}

function raw(width: number, height: number, channels: 3 | 4 = 3): Sharp {
  return sharp(noisePixels(width, height, channels), { raw: { width, height, channels } });
}

async function dims(bytes: Buffer): Promise<{ width: number; height: number; format: string }> {
  const m = await sharp(bytes).metadata();
  return { width: m.width, height: m.height, format: m.format };
}

async function rejection(t: import('ava').ExecutionContext, promise: Promise<unknown>): Promise<AppError> {
  const err = await t.throwsAsync(promise);
  t.true(err instanceof AppError, `expected an AppError, got ${String(err)}`);
  return err as AppError;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/** A well-formed PNG header (valid CRCs) declaring width x height RGB, with a little real pixel data. */
function craftedPngBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const someRows = zlib.deflateSync(Buffer.alloc((1 + width * 3) * 16));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', someRows),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Rewrites the frame size in a baseline JPEG's SOF0 segment. */
function patchJpegDimensions(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let i = 2; i < out.length - 9; i++) {
    if (out[i] === 0xff && out[i + 1] === 0xc0) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
  }
  throw new Error('no SOF0 segment');
}

test('a JPEG is accepted with its dimensions, hash, untouched master, preview and thumbnail', async (t) => {
  const bytes = await raw(2000, 1500).jpeg({ quality: 90 }).toBuffer();
  const result = await processImage(bytes);

  t.is(result.mime, 'image/jpeg');
  t.is(result.width, 2000);
  t.is(result.height, 1500);
  t.is(result.sha256, createHash('sha256').update(bytes).digest('hex'));
  t.true(result.master.equals(bytes));
  t.deepEqual(await dims(result.preview), { width: PREVIEW_LONG_EDGE_PIXELS, height: 900, format: 'jpeg' });
  t.deepEqual(await dims(result.thumbnail), { width: THUMBNAIL_LONG_EDGE_PIXELS, height: 240, format: 'jpeg' });
});

test('a PNG with alpha is accepted as PNG and its derived images are JPEG with the long edge limited', async (t) => {
  const bytes = await raw(1000, 1500, 4).png().toBuffer();
  const result = await processImage(bytes);

  t.is(result.mime, 'image/png');
  t.is(result.width, 1000);
  t.is(result.height, 1500);
  t.true(result.master.equals(bytes));
  t.deepEqual(await dims(result.preview), { width: 800, height: 1200, format: 'jpeg' });
  t.deepEqual(await dims(result.thumbnail), { width: 213, height: 320, format: 'jpeg' });
});

test('the type comes from the content: PNG bytes are PNG whatever the file was called', async (t) => {
  // processImage never sees a name; this pins that a PNG is not mistaken for the JPEG it was named as.
  const pngNamedJpg = await raw(300, 200).png().toBuffer();
  t.is((await processImage(pngNamedJpg)).mime, 'image/png');
});

test('images smaller than the preview size are not enlarged', async (t) => {
  const result = await processImage(await raw(400, 300).jpeg().toBuffer());
  t.deepEqual(await dims(result.preview), { width: 400, height: 300, format: 'jpeg' });
  t.deepEqual(await dims(result.thumbnail), { width: 320, height: 240, format: 'jpeg' });
});

test('text, GIF, WebP and empty input are rejected as unsupported types', async (t) => {
  const inputs: Record<string, Buffer> = {
    text: Buffer.from('hello, I am definitely a photo\n'),
    gif: await raw(100, 100).gif().toBuffer(),
    webp: await raw(100, 100).webp().toBuffer(),
    empty: Buffer.alloc(0),
    jpegPrefixOnly: Buffer.from([0xff, 0xd8]),
  };
  for (const [name, bytes] of Object.entries(inputs)) {
    const err = await rejection(t, processImage(bytes));
    t.is(err.status, 415, name);
    t.is(err.code, 'unsupported_image_type', name);
  }
});

test('a truncated JPEG is rejected as corrupt', async (t) => {
  const bytes = await raw(800, 600).jpeg().toBuffer();
  const err = await rejection(t, processImage(bytes.subarray(0, Math.floor(bytes.length / 2))));
  t.is(err.status, 422);
  t.is(err.code, 'image_corrupt');
});

test('a truncated large JPEG is rejected even though the preview decodes it at reduced scale', async (t) => {
  // Over twice the preview size, so libjpeg's shrink-on-load path is the one that meets the cut.
  const bytes = await raw(2600, 2600).jpeg().toBuffer();
  const err = await rejection(t, processImage(bytes.subarray(0, bytes.length - 4096)));
  t.is(err.status, 422);
  t.is(err.code, 'image_corrupt');
});

test('a truncated PNG is rejected as corrupt', async (t) => {
  const bytes = await raw(800, 600).png().toBuffer();
  const err = await rejection(t, processImage(bytes.subarray(0, bytes.length - 5000)));
  t.is(err.status, 422);
  t.is(err.code, 'image_corrupt');
});

test('PNG or JPEG magic followed by something else is rejected as corrupt', async (t) => {
  const png = await raw(100, 100).png().toBuffer();
  const jpeg = await raw(100, 100).jpeg().toBuffer();
  const fakes = {
    pngMagicGarbage: Buffer.concat([png.subarray(0, 8), Buffer.from('not really a png at all, sorry'.repeat(20))]),
    jpegMagicThenPng: Buffer.concat([jpeg.subarray(0, 3), png]),
    pngMagicThenJpeg: Buffer.concat([png.subarray(0, 8), jpeg]),
  };
  for (const [name, bytes] of Object.entries(fakes)) {
    const err = await rejection(t, processImage(bytes));
    t.is(err.status, 422, name);
    t.is(err.code, 'image_corrupt', name);
  }
});

test('more bytes than the upload limit is rejected before any decode', async (t) => {
  const bytes = await raw(400, 300).jpeg().toBuffer();
  const limits: ImageLimits = { ...DEFAULT_IMAGE_LIMITS, maxUploadBytes: bytes.length - 1 };
  const err = await rejection(t, processImage(bytes, limits));
  t.is(err.status, 413);
  t.is(err.code, 'image_too_large');
  t.is((await processImage(bytes, { ...limits, maxUploadBytes: bytes.length })).width, 400);
});

test('a PNG decompression bomb (900 megapixels declared in a tiny file) is rejected quickly with 413', async (t) => {
  const bomb = craftedPngBomb(30_000, 30_000);
  t.true(bomb.length < 100_000);
  // Sanity: the header is genuine, so a decoder without limits would believe it.
  const declared = await sharp(bomb, { limitInputPixels: false }).metadata();
  t.is(declared.width, 30_000);

  const started = performance.now();
  const err = await rejection(t, processImage(bomb));
  t.is(err.status, 413);
  t.is(err.code, 'image_too_many_pixels');
  t.true(performance.now() - started < 1000, 'rejected from the header, without decoding');
});

test('a JPEG declaring 4 gigapixels in its frame header is rejected with 413', async (t) => {
  const bomb = patchJpegDimensions(await raw(64, 64).jpeg().toBuffer(), 65_000, 65_000);
  const started = performance.now();
  const err = await rejection(t, processImage(bomb));
  t.is(err.status, 413);
  t.is(err.code, 'image_too_many_pixels');
  t.true(performance.now() - started < 1000);
});

test('a real, fully decodable PNG above the pixel limit is rejected; one at the limit is accepted', async (t) => {
  const limits: ImageLimits = { ...DEFAULT_IMAGE_LIMITS, maxInputPixels: 1_000_000 };
  const black = (width: number, height: number) =>
    sharp({ create: { width, height, channels: 3, background: '#000000' } })
      .png()
      .toBuffer();

  const err = await rejection(t, processImage(await black(1001, 1000), limits));
  t.is(err.status, 413);
  t.is(err.code, 'image_too_many_pixels');
  t.is((await processImage(await black(1000, 1000), limits)).width, 1000);
});

test('an image below the minimum edge is rejected as too small', async (t) => {
  const err = await rejection(t, processImage(await raw(63, 400).png().toBuffer()));
  t.is(err.status, 422);
  t.is(err.code, 'image_too_small');
  t.is((await processImage(await raw(64, 400).png().toBuffer())).width, 64);
});

test('an EXIF-rotated JPEG reports displayed dimensions and gets upright previews; the master keeps its bytes', async (t) => {
  // Stored landscape 800x600, tagged "rotate 90° clockwise to display" (orientation 6).
  const bytes = await raw(800, 600).jpeg().withMetadata({ orientation: 6 }).toBuffer();
  const result = await processImage(bytes);

  t.is(result.width, 600);
  t.is(result.height, 800);
  t.true(result.master.equals(bytes));
  t.deepEqual(await dims(result.preview), { width: 600, height: 800, format: 'jpeg' });
  t.deepEqual(await dims(result.thumbnail), { width: 240, height: 320, format: 'jpeg' });
  const previewMeta = await sharp(result.preview).metadata();
  t.true(previewMeta.orientation === undefined || previewMeta.orientation === 1, 'no second rotation by viewers');
});
