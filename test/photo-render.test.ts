import test from 'ava';
import sharp from 'sharp';
import { parseMediaName } from '../edge-node/printing/ipp/printer-health.ts';
import { mediaPixels, renderPhoto } from '../edge-node/printing/photo-render.ts';
import { compareToSource, isColour } from './helpers/photo-compare.ts';

const M4x6 = parseMediaName('na_index-4x6_4x6in')!;

/** A landscape test photo: four coloured quadrants, so orientation and colour both show. */
async function quadrants(width: number, height: number): Promise<Buffer> {
  const q = (c: string) =>
    sharp({ create: { width: width / 2, height: height / 2, channels: 3, background: c } })
      .png()
      .toBuffer();
  return sharp({ create: { width, height, channels: 3, background: '#000' } })
    .composite([
      { input: await q('#e02020'), left: 0, top: 0 },
      { input: await q('#20c040'), left: width / 2, top: 0 },
      { input: await q('#2040e0'), left: 0, top: height / 2 },
      { input: await q('#e0c020'), left: width / 2, top: height / 2 },
    ])
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** Stats of a region (stats() alone would read the whole input, not the extract). */
async function region(img: Buffer, left: number, top: number, width: number, height: number) {
  return sharp(await sharp(img).extract({ left, top, width, height }).png().toBuffer()).stats();
}

test('media sizes from PWG names at 300 dpi', (t) => {
  t.deepEqual(mediaPixels(M4x6), { width: 1200, height: 1800 });
  t.deepEqual(mediaPixels(parseMediaName('na_5x7_5x7in')!), { width: 1500, height: 2100 });
  t.deepEqual(mediaPixels(parseMediaName('na_govt-letter_6x8in')!), { width: 1800, height: 2400 });
  t.deepEqual(mediaPixels(parseMediaName('oe_photo-strip_2x6in')!), { width: 600, height: 1800 });
  t.deepEqual(mediaPixels(parseMediaName('iso_a6_105x148mm')!), { width: 1240, height: 1748 });
  t.is(parseMediaName('roll_current'), null);
});

test('a landscape photo fills portrait 4x6 media turned 90°, in colour, matching the source', async (t) => {
  const src = await quadrants(1800, 1200);
  const out = await renderPhoto(src, M4x6, { fit: 'fill' });
  t.true(out.rotated);
  const meta = await sharp(out.data).metadata();
  t.is(meta.width, 1200);
  t.is(meta.height, 1800);
  t.is(meta.space, 'srgb');
  t.true(await isColour(out.data));
  const cmp = await compareToSource(out.data, src);
  t.true(cmp.maxChannelMad < 12, JSON.stringify(cmp));
  // The checker itself must reject a wrong orientation and a grey print.
  const unrotated = await sharp(src).resize(1200, 1800, { fit: 'cover' }).jpeg().toBuffer();
  t.true((await compareToSource(unrotated, src)).maxChannelMad > 40);
  const grey = await sharp(out.data).greyscale().jpeg().toBuffer();
  t.false(await isColour(grey));
  t.true((await compareToSource(grey, src)).maxChannelMad > 40);
});

test('fit keeps the whole photo with white borders; fill crops', async (t) => {
  const src = await quadrants(1200, 1200);
  const fit = await renderPhoto(src, M4x6, { fit: 'fit' });
  t.false(fit.rotated);
  const top = await region(fit.data, 0, 0, 1200, 100);
  t.true(
    top.channels.every((c) => c.mean > 245),
    'border is white',
  );
  const fill = await renderPhoto(src, M4x6, { fit: 'fill' });
  const fillTop = await region(fill.data, 0, 0, 600, 100);
  t.true(fillTop.channels[0]!.mean > 180 && fillTop.channels[2]!.mean < 80, 'top left is the red quadrant');
});

test('EXIF orientation and the embedded ICC profile are honoured', async (t) => {
  // The same sRGB picture stored in Display P3 with its profile: rendered back, it matches the sRGB one.
  const srgb = await quadrants(1200, 1800);
  const p3 = await sharp(srgb).withIccProfile('p3').jpeg({ quality: 95 }).toBuffer();
  const out = await renderPhoto(p3, M4x6, { fit: 'fill' });
  t.true((await compareToSource(out.data, srgb)).maxChannelMad < 8);
  // Reading the P3 numbers as if they were sRGB (profile ignored) is measurably off: the test can fail.
  const ignored = await sharp(p3).keepIccProfile().raw().toBuffer({ resolveWithObject: true });
  const asSrgb = await sharp(ignored.data, { raw: ignored.info }).jpeg().toBuffer();
  t.true((await compareToSource(asSrgb, srgb)).maxChannelMad > 8);
  // Stored portrait pixels rotated by EXIF (orientation 6 = display turned 90° clockwise).
  const stored = await sharp(await quadrants(1800, 1200))
    .rotate(-90)
    .withMetadata({ orientation: 6 })
    .jpeg()
    .toBuffer();
  const shown = await sharp(stored).autoOrient().toBuffer();
  const outExif = await renderPhoto(stored, M4x6, { fit: 'fill' });
  t.true((await compareToSource(outExif.data, shown, true)).maxChannelMad < 12);
});

test('an undecodable master is a clear 422', async (t) => {
  await t.throwsAsync(renderPhoto(Buffer.from('not a photo'), M4x6, { fit: 'fill' }), {
    code: 'photo_unreadable',
  } as never);
});
