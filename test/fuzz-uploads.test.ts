import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import sharp from 'sharp';
import { DEFAULT_IMAGE_LIMITS, onlyHarmlessJpegWarnings } from '../coordinator/media/image-pipeline.ts';
import { renderPhotoGray } from '../edge-node/printing/render.ts';
import { createHarness, type Harness, PHOTOGRAPHER_TOKEN, sampleJpeg, seedVenue } from './fixtures/app-harness.ts';
import { type InjectResponse, inject } from './fixtures/inject.ts';
import { StoreWatch } from './fixtures/store-watch.ts';

/**
 * Photo uploads as they arrive from broken cameras, flaky networks and attackers: truncated JPEGs
 * and PNGs, polyglots (an image header in front of a zip or HTML), decompression bombs, random bytes
 * named .jpg, bit-flipped images, and multipart bodies cut or garbled anywhere. Files that are not a
 * whole JPEG or PNG get a coded 4xx and leave nothing in the store; nothing is ever a 5xx.
 */

const RUNS = { badFiles: 1_200, flipped: 300, multipart: 2_000 };
const BOUNDARY = 'fuzz-boundary-41c9';

interface Fixture {
  h: Harness;
  watch: StoreWatch;
  uploadPath: string;
  jpeg: Buffer;
  png: Buffer;
  progressiveJpeg: Buffer;
}

async function fixture(t: ExecutionContext): Promise<Fixture> {
  // A small upload limit keeps bombs and oversize files cheap to try.
  const h = await createHarness({ imageLimits: { ...DEFAULT_IMAGE_LIMITS, maxUploadBytes: 256 * 1024 } });
  t.teardown(() => h.close());
  const { event } = await seedVenue(h, { images: 0, printers: 0 });
  const watch = new StoreWatch(h.storePath);
  t.teardown(() => watch.close());
  const noise = { type: 'gaussian', mean: 128, sigma: 50 } as const;
  const png = await sharp({ create: { width: 96, height: 80, channels: 4, background: '#08f8', noise } })
    .png()
    .toBuffer();
  const progressiveJpeg = await sharp({ create: { width: 100, height: 72, channels: 3, background: '#333', noise } })
    .jpeg({ progressive: true, quality: 80 })
    .toBuffer();
  return {
    h,
    watch,
    uploadPath: `/api/events/${event.id}/images`,
    jpeg: await sampleJpeg(7, 120, 90),
    png,
    progressiveJpeg,
  };
}

function multipartBody(file: Buffer, fileName: string, contentType: string): Buffer {
  return Buffer.concat([
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="${fileName}"\r\nContent-Type: ${contentType}\r\n\r\n`,
    ),
    file,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
}

function upload(f: Fixture, body: Buffer, contentType = `multipart/form-data; boundary=${BOUNDARY}`) {
  return inject(f.h.callback, {
    method: 'POST',
    url: f.uploadPath,
    headers: { authorization: `Bearer ${PHOTOGRAPHER_TOKEN}`, 'content-type': contentType },
    body,
  });
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(typed));
  return Buffer.concat([head, typed, crc]);
}

/** A PNG whose valid header declares width × height, with one compressed row of real data. */
function pngBomb(width: number, height: number, colourType: 0 | 2 | 6): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = colourType;
  const bytesPerPixel = { 0: 1, 2: 3, 6: 4 }[colourType];
  const row = Buffer.alloc(1 + Math.min(width, 1 << 20) * bytesPerPixel);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(row)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The JPEG with its SOF frame size rewritten (baseline or progressive). */
function jpegClaiming(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let i = 2; i < out.length - 9; i++) {
    if (out[i] === 0xff && (out[i + 1] === 0xc0 || out[i + 1] === 0xc2)) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
  }
  throw new Error('no SOF segment');
}

const ZIP = Buffer.concat([
  Buffer.from('PK\x03\x04\x14\x00\x00\x00\x08\x00', 'latin1'),
  zlib.deflateRawSync(Buffer.from('<script>alert(1)</script>'.repeat(20))),
  Buffer.from('PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00', 'latin1'),
]);
const HTML = Buffer.from('<!doctype html><html><body><script>fetch("/api/venues")</script></body></html>');

type BadFile =
  | { kind: 'truncated'; of: string; keepRatio: number }
  | { kind: 'polyglot'; of: string; headerBytes: number; payload: 'zip' | 'html'; junk: Uint8Array }
  | { kind: 'png bomb'; width: number; height: number; colourType: 0 | 2 | 6 }
  | { kind: 'jpeg bomb'; width: number; height: number; progressive: boolean }
  | { kind: 'random'; magic: 'none' | 'jpeg' | 'png signature' | 'png header'; rest: Uint8Array };

/**
 * Why these bytes are not a cleanly decodable image (null when they are), judged as a printer would:
 * a decode that fails on libjpeg's warnings fails for damage, unless every warning is a harmless one.
 */
async function decodeDamage(bytes: Buffer): Promise<string | null> {
  try {
    await sharp(bytes, { failOn: 'warning' }).raw().toBuffer();
    return null;
  } catch (err) {
    return onlyHarmlessJpegWarnings(err) ? null : String((err as Error).message);
  }
}

/*
 * Every test here is serial: they check decodes of their own next to the pipeline's, and libvips
 * keeps one error buffer per process, so two tests decoding at once would read each other's warnings.
 */

/** What a refused upload must look like, or why it does not. */
function refusalProblem(res: InjectResponse, committed: boolean): string | null {
  if (res.status < 400 || res.status >= 500)
    return `answered ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`;
  const code = (res.json as { error?: { code?: unknown } } | undefined)?.error?.code;
  if (typeof code !== 'string' || !/^[a-z0-9_]+$/.test(code)) return `a ${res.status} without an error code`;
  if (committed) return `refused (${code}) but wrote to the store`;
  return null;
}

test.serial(
  'truncated images, polyglots, bombs and random bytes named like images: a coded 4xx, nothing stored',
  async (t) => {
    const f = await fixture(t);
    const before = f.watch.counts();
    // Generated as small descriptions, built into bytes in the property, so a failing case prints short.
    const originals: Record<string, Buffer> = { jpeg: f.jpeg, png: f.png, progressiveJpeg: f.progressiveJpeg };
    const original = fc.constantFrom('jpeg', 'png', 'progressiveJpeg');
    const badFile: fc.Arbitrary<BadFile> = fc.oneof(
      // Cut anywhere before the end (the last two bytes of a JPEG are its end marker).
      fc.record({
        kind: fc.constant('truncated' as const),
        of: original,
        keepRatio: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
      // An image header (the first 2..600 bytes) followed by something else entirely.
      fc.record({
        kind: fc.constant('polyglot' as const),
        of: original,
        headerBytes: fc.integer({ min: 2, max: 600 }),
        payload: fc.constantFrom('zip', 'html'),
        junk: fc.uint8Array({ maxLength: 64 }),
      }),
      // Decompression bombs: a few KB whose header claims more pixels than the limit.
      fc.record({
        kind: fc.constant('png bomb' as const),
        width: fc.integer({ min: 10_001, max: 2_000_000 }),
        height: fc.integer({ min: 10_001, max: 2_000_000 }),
        colourType: fc.constantFrom<0 | 2 | 6>(0, 2, 6),
      }),
      fc.record({
        kind: fc.constant('jpeg bomb' as const),
        width: fc.integer({ min: 10_001, max: 65_535 }),
        height: fc.integer({ min: 10_001, max: 65_535 }),
        progressive: fc.boolean(),
      }),
      // Random bytes, some behind a real magic number.
      fc.record({
        kind: fc.constant('random' as const),
        magic: fc.constantFrom('none', 'jpeg', 'png signature', 'png header'),
        rest: fc.uint8Array({ maxLength: 2_000 }),
      }),
    );
    const build = (d: BadFile): Buffer => {
      switch (d.kind) {
        case 'truncated': {
          const img = originals[d.of]!;
          return img.subarray(0, Math.floor(d.keepRatio * (img.length - 3)));
        }
        case 'polyglot': {
          // The header and part of the scan, then a zip or HTML: cut at least 16 bytes before the end,
          // so pixels are missing, and with no end marker in the tail. (A scan continued by bytes that
          // happen to decode and then end with FF D9 is a well-formed JPEG of wrong pixels, which no
          // format check can tell from a photo: the bit-flip test's case.)
          const img = originals[d.of]!;
          const tail = Buffer.concat([d.payload === 'zip' ? ZIP : HTML, d.junk]);
          for (let i = 0; i + 1 < tail.length; i++) if (tail[i] === 0xff && tail[i + 1] === 0xd9) tail[i + 1] = 0;
          return Buffer.concat([img.subarray(0, Math.min(d.headerBytes, img.length - 16)), tail]);
        }
        case 'png bomb':
          return pngBomb(d.width, d.height, d.colourType);
        case 'jpeg bomb':
          return jpegClaiming(d.progressive ? f.progressiveJpeg : f.jpeg, d.width, d.height);
        case 'random': {
          const magic = { none: Buffer.alloc(0), jpeg: Buffer.from([0xff, 0xd8, 0xff]) }[d.magic as 'none' | 'jpeg'];
          const prefix = magic ?? f.png.subarray(0, d.magic === 'png signature' ? 8 : 33);
          return Buffer.concat([prefix, d.rest]);
        }
      }
    };
    let runs = 0;
    const kinds = new Map<string, number>();
    const codes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        badFile,
        fc.constantFrom('photo.jpg', 'IMG_0001.JPG', 'x.png', 'shot.jpeg', 'evil.jpg.html'),
        fc.constantFrom('image/jpeg', 'image/png', 'application/octet-stream', 'text/html'),
        async (file, name, type) => {
          runs++;
          kinds.set(file.kind, (kinds.get(file.kind) ?? 0) + 1);
          const bytes = build(file);
          f.watch.changed();
          const res = await upload(f, multipartBody(bytes, name, type));
          const problem = refusalProblem(res, f.watch.changed());
          if (problem) throw new Error(`${file.kind} (${bytes.length} bytes): ${problem}`);
          const code = (res.json as { error: { code: string } }).error.code;
          codes.set(code, (codes.get(code) ?? 0) + 1);
        },
      ),
      { numRuns: RUNS.badFiles, includeErrorInReport: true },
    );
    t.deepEqual(f.watch.counts(), before);
    t.is(runs, RUNS.badFiles);
    t.log(`${runs} cases: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`);
    t.log(`refused as: ${[...codes].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  },
);

test.serial(
  'bit-flipped images are stored only when they still decode whole; otherwise a coded 4xx and nothing stored',
  async (t) => {
    const f = await fixture(t);
    let runs = 0;
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(f.jpeg, f.png),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }),
        async (img, flips) => {
          runs++;
          const bytes = Buffer.from(img);
          for (const [at, mask] of flips) bytes[at % bytes.length]! ^= mask;
          f.watch.changed();
          const res = await upload(f, multipartBody(bytes, 'flip.jpg', 'image/jpeg'));
          const committed = f.watch.changed();
          if (res.status === 201 || res.status === 200) {
            // Accepted: it must decode in full, without damage, as the printer will decode it.
            const damage = await decodeDamage(bytes);
            if (damage) throw new Error(`stored a damaged image: ${damage}`);
            stored++;
            return;
          }
          const problem = refusalProblem(res, committed);
          if (problem) throw new Error(`${flips.length} flips: ${problem}`);
        },
      ),
      { numRuns: RUNS.flipped, includeErrorInReport: true },
    );
    t.is(runs, RUNS.flipped);
    t.log(`${runs} cases, ${stored} still-decodable images stored`);
  },
);

test.serial(
  'multipart bodies cut, garbled or mislabelled anywhere: the one real photo or a coded 4xx, nothing else stored',
  async (t) => {
    const f = await fixture(t);
    const jpegSha = createHash('sha256').update(f.jpeg).digest('hex');
    let junkInPhoto = 0;
    const good = multipartBody(f.jpeg, 'a.jpg', 'image/jpeg');
    const specials = [
      Buffer.from(`--${BOUNDARY}--\r\n`),
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="image"\r\n\r\nnot a file\r\n--${BOUNDARY}--\r\n`,
      ),
      Buffer.concat([
        multipartBody(f.jpeg, 'a.jpg', 'image/jpeg').subarray(0, -(BOUNDARY.length + 8)),
        multipartBody(f.png, 'b.png', 'image/png'),
      ]),
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="${'a'.repeat(70_000)}.jpg"\r\n\r\nxx\r\n--${BOUNDARY}--\r\n`,
      ),
    ];
    // Descriptions, built into bytes in the property, so a failing case prints short.
    const body = fc.oneof(
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(good.length - 1) }),
      // Junk written over the body anywhere: framing, headers, image bytes, epilogue.
      fc.record({
        kind: fc.constant('junk' as const),
        at: fc.nat(good.length - 1),
        junk: fc.uint8Array({ minLength: 1, maxLength: 40 }),
      }),
      fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 600 }) }),
      fc.record({ kind: fc.constant('special' as const), index: fc.nat(specials.length - 1) }),
    );
    const build = (d: typeof body extends fc.Arbitrary<infer B> ? B : never): Buffer => {
      if (d.kind === 'cut') return good.subarray(0, d.at);
      if (d.kind === 'junk')
        return Buffer.concat([good.subarray(0, d.at), d.junk, good.subarray(d.at + d.junk.length)]);
      if (d.kind === 'random') return Buffer.from(d.bytes);
      return specials[d.index]!;
    };
    const contentType = fc.oneof(
      { weight: 5, arbitrary: fc.constant(`multipart/form-data; boundary=${BOUNDARY}`) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'multipart/form-data',
          'multipart/form-data; boundary=',
          `multipart/form-data; boundary="${BOUNDARY}x"`,
          'multipart/mixed; boundary=x',
          'image/jpeg',
          'application/json',
          'text/plain; charset=utf-8',
        ),
      },
      { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    );
    let runs = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(body, contentType, async (description, type) => {
        runs++;
        const bytes = build(description);
        f.watch.changed();
        const res = await upload(f, bytes, type);
        const committed = f.watch.changed();
        if (res.status === 201 || res.status === 200) {
          // A cut after the closing boundary, or junk in a header value or the epilogue, still
          // carries the whole photo: that photo, and nothing else, may be stored.
          // Junk that landed inside the photo is the bit-flip case: stored only if it decodes cleanly.
          const image = (res.json as { image: { id: string; sha256: string } }).image;
          if (image.sha256 !== jpegSha) {
            const master = await f.h.store.getMedia(`master/${image.id}`);
            const damage = master ? await decodeDamage(master.bytes) : 'no master stored';
            if (damage) throw new Error(`stored something that is not a clean photo: ${damage}`);
            junkInPhoto++;
          }
          accepted++;
          return;
        }
        const problem = refusalProblem(res, committed);
        if (problem) throw new Error(`${bytes.length} bytes as ${JSON.stringify(type)}: ${problem}`);
      }),
      { numRuns: RUNS.multipart, includeErrorInReport: true },
    );
    t.is(runs, RUNS.multipart);
    t.log(
      `${runs} cases; ${accepted} accepted, ${junkInPhoto} of those with junk inside the photo that still decodes cleanly`,
    );
  },
);

test.serial(
  'a whole JPEG with a zip appended (how phones attach motion photos) is kept byte for byte; fans only ever get re-encoded previews',
  async (t) => {
    const f = await fixture(t);
    const polyglot = Buffer.concat([f.jpeg, ZIP]);
    const res = await upload(f, multipartBody(polyglot, 'motion.jpg', 'image/jpeg'));
    t.is(res.status, 201);
    const id = (res.json as { image: { id: string } }).image.id;
    t.deepEqual((await f.h.store.getMedia(`master/${id}`))!.bytes, polyglot, 'the print master is what was uploaded');
    for (const variant of ['preview.jpg', 'thumbnail.jpg']) {
      const served = await inject(f.h.callback, { method: 'GET', url: `/media/images/${id}/${variant}` });
      t.is(served.status, 200);
      t.is(served.body.indexOf(Buffer.from('PK\x03\x04', 'latin1')), -1, `${variant} carries no zip`);
    }
    const master = await inject(f.h.callback, { method: 'GET', url: `/media/images/${id}/master.jpg` });
    t.is(master.status, 404, 'masters are never served over HTTP');
  },
);

test.serial(
  'a JPEG with the harmless "extraneous bytes before marker" warning is accepted, and a printer can render it',
  async (t) => {
    const f = await fixture(t);
    // Three stray bytes between the first segment and the next marker, as some camera firmwares write.
    const next = 4 + f.jpeg.readUInt16BE(4);
    const quirky = Buffer.concat([f.jpeg.subarray(0, next), Buffer.from([0, 0, 0]), f.jpeg.subarray(next)]);
    await t.throwsAsync(sharp(quirky).raw().toBuffer(), { message: /extraneous bytes/ }, "sharp's default refuses it");
    const res = await upload(f, multipartBody(quirky, 'camera.jpg', 'image/jpeg'));
    t.is(res.status, 201, res.body.toString('utf8').slice(0, 200));
    const id = (res.json as { image: { id: string } }).image.id;
    const master = (await f.h.store.getMedia(`master/${id}`))!.bytes;
    const gray = await renderPhotoGray(master, 384);
    t.is(gray.width, 384);
  },
);
