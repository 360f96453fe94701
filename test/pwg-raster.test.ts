/**
 * PWG raster for printers without JPEG: our encoder read back by our decoder, and by a real one:
 * ippeveprinter with only image/pwg-raster and Debian's ippeveps (libcups' raster reader, writing
 * PostScript) as its print engine; the pixels it wrote are compared with ours.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import sharp from 'sharp';
import { decodePwgRaster, encodePwgRaster } from '../edge-node/printing/pwg-raster.ts';
import { StationPool } from '../edge-node/printing/station-pool.ts';
import { IppLab, ippAvailable, PHOTO_MEDIA } from '../tools/ipp-lab.ts';
import { compareToSource, isColour } from './helpers/photo-compare.ts';

async function photo(): Promise<Buffer> {
  const stripe = await sharp({ create: { width: 300, height: 900, channels: 3, background: '#2050d0' } })
    .png()
    .toBuffer();
  return sharp({ create: { width: 900, height: 600, channels: 3, background: '#e0a020' } })
    .composite([{ input: await sharp(stripe).resize(300, 600).toBuffer(), left: 0, top: 0 }])
    .jpeg()
    .toBuffer();
}

test('encode → decode gives the exact pixels back; flat areas compress', async (t) => {
  const { data, info } = await sharp(await photo())
    .resize(600, 900)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raster = encodePwgRaster({
    width: info.width,
    height: info.height,
    dpi: 300,
    rgb: data,
    pageSizeName: PHOTO_MEDIA,
  });
  t.true(raster.length < data.length / 4, `${raster.length} of ${data.length}`);
  const back = decodePwgRaster(raster);
  t.is(back.width, 600);
  t.is(back.height, 900);
  t.is(back.dpi, 300);
  t.is(back.pageSizeName, PHOTO_MEDIA);
  t.true(back.rgb.equals(data));
  // Noise (no runs at all) survives too.
  const noise = Buffer.from(Array.from({ length: 257 * 3 * 2 }, (_, i) => (i * 7919) % 251));
  t.true(decodePwgRaster(encodePwgRaster({ width: 257, height: 2, dpi: 300, rgb: noise })).rgb.equals(noise));
});

test('a printer that takes only PWG raster gets one that libcups reads: colour, media size, same pixels', async (t) => {
  if (!ippAvailable()) t.fail('run scripts/ensure-ipp.sh');
  const lab = await new IppLab().start();
  t.teardown(() => lab.close());
  const printer = await lab.addPrinter({
    name: 'pwg',
    printSeconds: 0,
    formats: 'image/pwg-raster',
    engine: '/usr/sbin/ippeveps',
  });
  const station = new StationPool({
    printers: [{ name: 'pwg', uri: printer.uri, media: PHOTO_MEDIA, fit: 'fill' }],
    pollMs: 200,
  });
  t.teardown(() => station.close());
  await station.ready();
  const src = await photo();
  await station.printPhoto(src, { jobId: 'order-p-0' });
  t.is(station.counters.unitsCompleted, 1, 'the job completed: ippevepcl read the raster');
  const files = await fs.readdir(printer.spool);
  const pwg = files.find((f) => f.endsWith('.pwg'));
  t.truthy(pwg, files.join(','));
  const page = decodePwgRaster(await fs.readFile(path.join(printer.spool, pwg!)));
  t.deepEqual([page.width, page.height], [1200, 1800]);
  const png = await sharp(page.rgb, { raw: { width: page.width, height: page.height, channels: 3 } })
    .png()
    .toBuffer();
  t.true(await isColour(png));
  t.true((await compareToSource(png, src)).maxChannelMad < 15);
  // What libcups read: ippeveps writes each row as RGB image data (ASCII85) into its PostScript.
  const prn = files.find((f) => f.endsWith('.prn'));
  t.truthy(prn, files.join(','));
  const ps = await fs.readFile(path.join(printer.spool, prn!), 'latin1');
  t.regex(ps, /\/DeviceRGB setcolorspace/);
  t.regex(ps, /\/Width 1200\/Height 1/);
  const firstRow = /\n\d+ L\n([^~]*)~>/.exec(ps);
  t.truthy(firstRow);
  const row = ascii85(firstRow![1]!);
  const lineBytes = 1200 * 3;
  const candidates = [page.rgb.subarray(0, lineBytes), page.rgb.subarray(page.rgb.length - lineBytes)];
  t.true(
    candidates.some((c) => c.equals(row)),
    'libcups read the same pixels we wrote',
  );
});

function ascii85(text: string): Buffer {
  const s = text.replace(/\s+/g, '');
  const out: number[] = [];
  let group: number[] = [];
  const flush = (n: number) => {
    while (group.length < 5) group.push(84);
    let v = 0;
    for (const d of group) v = v * 85 + d;
    const bytes = [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
    out.push(...bytes.slice(0, n));
    group = [];
  };
  for (const ch of s) {
    if (ch === 'z' && group.length === 0) {
      out.push(0, 0, 0, 0);
      continue;
    }
    group.push(ch.charCodeAt(0) - 33);
    if (group.length === 5) flush(4);
  }
  if (group.length > 0) flush(group.length - 1);
  return Buffer.from(out);
}
