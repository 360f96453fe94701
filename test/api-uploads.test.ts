import { deflateSync } from 'node:zlib';
import test from 'ava';
import sharp from 'sharp';
import { DEFAULT_IMAGE_LIMITS } from '../coordinator/media/image-pipeline.ts';
import { asPhotographer, createHarness, sampleJpeg, seedVenue } from './fixtures/app-harness.ts';

/** A tiny PNG whose header claims `side`×`side` pixels: a decompression bomb's calling card. */
function bombPng(side: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const row = Buffer.alloc(1 + side);
  const rows = Buffer.concat(Array.from({ length: 64 }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('upload: JPEG and PNG accepted by content, whatever the file name; registered and queued for the feed', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event } = await seedVenue(h, { images: 0, printers: 0 });
  const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#08f' } })
    .png()
    .toBuffer();
  const res = await h.http
    .post(`/api/events/${event.id}/images`)
    .set(asPhotographer)
    .attach('image', png, 'photo.jpg')
    .expect(201);
  t.is(res.body.image.mime, 'image/png');
  t.is(res.body.image.width, 300);
  t.is(res.body.image.photographer, 'Pat Photographer');
  t.deepEqual(h.feeds.pendingNotifications, [event.id]);
  const stored = await h.store.getImage(res.body.image.id);
  t.is(stored!.feedState, 'pending');
  t.deepEqual(
    (await h.store.getMedia(`master/${res.body.image.id}`))!.bytes,
    png,
    'the master is stored byte for byte',
  );
});

test('upload: duplicate, wrong type, oversize, decompression bomb and truncated files', async (t) => {
  const h = await createHarness({ imageLimits: { ...DEFAULT_IMAGE_LIMITS, maxUploadBytes: 200_000 } });
  t.teardown(() => h.close());
  const { event } = await seedVenue(h, { images: 0, printers: 0 });
  const path = `/api/events/${event.id}/images`;
  const jpeg = await sampleJpeg(42);
  const first = await h.http.post(path).set(asPhotographer).attach('image', jpeg, 'a.jpg').expect(201);
  const put: string[] = [];
  const putMedia = h.store.putMedia.bind(h.store);
  h.store.putMedia = (key, media) => {
    put.push(key);
    return putMedia(key, media);
  };
  const dup = await h.http.post(path).set(asPhotographer).attach('image', jpeg, 'renamed.jpg').expect(200);
  h.store.putMedia = putMedia;
  t.is(put.length, 3);
  for (const key of put) t.is(await h.store.getMedia(key), null, `the duplicate's ${key} was not left behind`);
  t.true(dup.body.duplicate);
  t.is(dup.body.image.id, first.body.image.id);
  t.is((await h.store.listImages(event.id)).length, 1);

  const text = await h.http.post(path).set(asPhotographer).attach('image', Buffer.from('hello, not an image'), 'x.jpg');
  t.is(text.status, 415);
  const gif = await h.http
    .post(path)
    .set(asPhotographer)
    .attach('image', Buffer.from('GIF89a\x01\x00\x01\x00'), 'x.png');
  t.is(gif.status, 415);

  const big = await sharp({
    create: {
      width: 1500,
      height: 1500,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 128, sigma: 60 },
    },
  })
    .jpeg({ quality: 100 })
    .toBuffer();
  t.true(big.length > 200_000);
  t.is((await h.http.post(path).set(asPhotographer).attach('image', big, 'big.jpg')).status, 413);

  const bomb = bombPng(60_000);
  t.true(bomb.length < 10_000, 'a few KB that claims 3.6 gigapixels');
  const bombRes = await h.http.post(path).set(asPhotographer).attach('image', bomb, 'bomb.png');
  t.true([413, 422].includes(bombRes.status), `bomb answered ${bombRes.status}`);

  const truncated = await h.http
    .post(path)
    .set(asPhotographer)
    .attach('image', jpeg.subarray(0, jpeg.length / 2), 'half.jpg');
  t.is(truncated.status, 422);
  const notMultipart = await h.http.post(path).set(asPhotographer).send({ image: 'base64?' });
  t.is(notMultipart.status, 400);
  t.is((await h.http.post('/api/events/nope/images').set(asPhotographer).attach('image', jpeg, 'a.jpg')).status, 404);
  t.is((await h.store.listImages(event.id)).length, 1, 'nothing but the first upload was stored');
  // The app still serves after all that.
  await h.http.get('/healthz').expect(200);
});

test('metrics use conventional names and count uploads and orders', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  await seedVenue(h, { images: 2, printers: 0 });
  const metrics = await h.http.get('/metrics').expect(200);
  t.regex(metrics.text, /vpm_images_uploaded_total\{result="new"\} 2/);
  t.regex(metrics.text, /vpm_orders\{state="paid"\} 0/);
  t.regex(metrics.text, /vpm_http_request_duration_seconds_bucket\{.*route="\/api\/events\/:eventId\/images"/);
});
