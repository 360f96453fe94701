import test from 'ava';
import sharp from 'sharp';
import { decodeTextLines } from '../edge-node/printing/escpos-decode.ts';
import { mediaPixels, renderPhoto as renderColour } from '../edge-node/printing/photo-render.ts';
import { buildReceipt } from '../edge-node/printing/receipt.ts';
import { renderPhoto as renderDots } from '../edge-node/printing/render.ts';
import { composeForPrinter, printTarget } from '../edge-node/printing/template-print.ts';
import { systemClock } from '../shared/ports/clock.ts';
import type { TemplateCatalogEntry } from '../shared/templates/template-feed.ts';
import {
  findWindows,
  layoutProblems,
  type Rect,
  readingOrder,
  type TemplateLayout,
} from '../shared/templates/template-layout.ts';
import { flatPhoto, insideBy, makeFrame, outsideAllBy, scaleRect } from './fixtures/template-fixtures.ts';

const GOLD = { r: 200, g: 160, b: 64 };
const BLUE = { r: 20, g: 60, b: 230 };
const BLACK = { r: 0, g: 0, b: 0 };
/** The colour path ends in a JPEG (q92): a channel may move this much. */
const JPEG_TOLERANCE = 12;
/** Resampling blends this many pixels at a window's edge. */
const EDGE_MARGIN_PX = 3;
/** JPEG rings within the 8×8 block that holds a sharp edge. */
const JPEG_BLOCK_PX = 8;
const WINDOW_4X6: Rect = { x: 150, y: 150, width: 900, height: 1200 };

const colourStation = { kind: 'ipp' as const, widthDots: 576 };
const receiptHead = { kind: 'file' as const, widthDots: 576 };

async function frameEntry(media: TemplateLayout['media'], windows: Rect[], png: Buffer): Promise<TemplateCatalogEntry> {
  const meta = await sharp(png).metadata();
  return {
    templateId: 'tpl',
    name: 'Gold frame',
    version: 1,
    layout: { media, slots: readingOrder(windows).map((w) => ({ ...w, rotation: 0 })), texts: [] },
    eventName: 'Cup final',
    eventDate: '2026-12-05',
    frame: {
      blob: { blockOffset: 0, blockLength: 1, byteOffset: 0, byteLength: png.byteLength },
      byteLength: png.byteLength,
      sha256: '0'.repeat(64),
      width: meta.width!,
      height: meta.height!,
    },
    registeredAt: 0,
  };
}

async function rgbPixels(jpeg: Buffer) {
  const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

const near = (data: Buffer, i: number, c: { r: number; g: number; b: number }, tol: number) =>
  Math.abs(data[i]! - c.r) <= tol && Math.abs(data[i + 1]! - c.g) <= tol && Math.abs(data[i + 2]! - c.b) <= tol;

test('the windows of a frame are found exactly, in reading order', async (t) => {
  const windows = [
    { x: 60, y: 1250, width: 480, height: 400 },
    { x: 60, y: 60, width: 480, height: 400 },
    { x: 60, y: 655, width: 480, height: 400 },
  ];
  const png = await makeFrame(600, 1800, windows);
  const { data, info } = await sharp(png).extractChannel(3).raw().toBuffer({ resolveWithObject: true });
  const found = readingOrder(findWindows(new Uint8Array(data), info.width, info.height));
  t.deepEqual(found, readingOrder(windows));
  // A speck (anti-aliasing, a stray transparent pixel) is not a window.
  const speck = await makeFrame(1200, 1800, [WINDOW_4X6, { x: 5, y: 5, width: 4, height: 4 }]);
  const s = await sharp(speck).extractChannel(3).raw().toBuffer({ resolveWithObject: true });
  t.deepEqual(findWindows(new Uint8Array(s.data), 1200, 1800), [WINDOW_4X6]);
  t.deepEqual(layoutProblems({ media: 'na_index-4x6_4x6in', slots: [], texts: [] }), [
    'a template needs at least one photo window',
  ]);
  t.regex(
    layoutProblems({
      media: 'na_index-4x6_4x6in',
      slots: [{ x: 1000, y: 0, width: 400, height: 100, rotation: 0 }],
      texts: [],
    }).join(),
    /within the 1200×1800 media/,
  );
});

test('colour printer, 1200×1800: the photo fills the window and every opaque frame pixel is the frame', async (t) => {
  const png = await makeFrame(1200, 1800, [WINDOW_4X6], GOLD);
  const entry = await frameEntry('na_index-4x6_4x6in', [WINDOW_4X6], png);
  t.deepEqual(printTarget(colourStation, 'na_index-4x6_4x6in'), { width: 1200, height: 1800 });
  const photo = await flatPhoto(BLUE);
  const started = systemClock.now();
  const composite = await composeForPrinter(colourStation, entry, png, [photo], null);
  t.log(`compositing at 1200×1800 took ${systemClock.now() - started} ms`);
  // The composite itself is lossless: every pixel of the opaque frame is exactly the frame's.
  const exact = await rgbPixels(composite);
  t.deepEqual([exact.width, exact.height], [1200, 1800]);
  let changed = 0;
  for (let y = 0; y < 1800; y++) {
    for (let x = 0; x < 1200; x++) {
      if (insideBy(WINDOW_4X6, x, y, 0)) continue;
      if (!near(exact.data, (y * 1200 + x) * 3, GOLD, 0)) changed++;
    }
  }
  t.is(changed, 0, 'opaque frame pixels changed by compositing');
  // What the photo station sends: the composite rendered to its 4×6 media at 300 dpi.
  const media = { name: 'na_index-4x6_4x6in', widthIn: 4, heightIn: 6 };
  const printed = await renderColour(composite, media, { fit: 'fill' });
  t.deepEqual({ width: printed.width, height: printed.height }, mediaPixels(media));
  const { data, width, height } = await rgbPixels(printed.data);
  let framePixels = 0;
  let windowPixels = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      if (insideBy(WINDOW_4X6, x, y, JPEG_BLOCK_PX)) {
        windowPixels++;
        if (!near(data, i, BLUE, JPEG_TOLERANCE)) return t.fail(`window pixel ${x},${y} is not the photo`);
      } else if (outsideAllBy([WINDOW_4X6], x, y, JPEG_BLOCK_PX)) {
        framePixels++;
        if (!near(data, i, GOLD, JPEG_TOLERANCE)) return t.fail(`frame pixel ${x},${y} was changed`);
      }
    }
  }
  t.true(windowPixels > 1_000_000 && framePixels > 800_000, `${windowPixels} window, ${framePixels} frame pixels`);
});

test('receipt head, 576 dots: frame and photo dithered together; black frame prints solid, the window has the photo’s grey', async (t) => {
  const png = await makeFrame(1200, 1800, [WINDOW_4X6], BLACK);
  const entry = await frameEntry('na_index-4x6_4x6in', [WINDOW_4X6], png);
  const target = printTarget(receiptHead, 'na_index-4x6_4x6in');
  t.deepEqual(target, { width: 576, height: 864 });
  const whitePhoto = await flatPhoto({ r: 255, g: 255, b: 255 });
  const started = systemClock.now();
  const white = await composeForPrinter(receiptHead, entry, png, [whitePhoto], null);
  t.log(`compositing at 576×864 took ${systemClock.now() - started} ms`);
  const grey = await composeForPrinter(receiptHead, entry, png, [await flatPhoto({ r: 128, g: 128, b: 128 })], null);
  const window = scaleRect(WINDOW_4X6, 576 / 1200);
  for (const [name, bytes, lo, hi] of [
    ['white photo', white, 0, 0.02],
    ['grey photo', grey, 0.25, 0.75],
  ] as const) {
    const dots = await renderDots(bytes, 576);
    t.is(dots.width, 576);
    t.is(dots.height, 864);
    let frameDots = 0;
    let frameBlack = 0;
    let windowDots = 0;
    let windowBlack = 0;
    for (let y = 0; y < dots.height; y++) {
      for (let x = 0; x < dots.width; x++) {
        const bit = dots.bits[y * dots.width + x]!;
        if (insideBy(window, x, y, EDGE_MARGIN_PX)) {
          windowDots++;
          windowBlack += bit;
        } else if (outsideAllBy([window], x, y, EDGE_MARGIN_PX)) {
          frameDots++;
          frameBlack += bit;
        }
      }
    }
    t.is(frameBlack, frameDots, `${name}: every opaque frame dot prints`);
    const density = windowBlack / windowDots;
    t.true(density >= lo && density <= hi, `${name}: window dot density ${density.toFixed(3)}`);
  }
});

test('a 2×6 strip with three photos: each window holds its own photo, at 600×1800 and at 576 dots', async (t) => {
  const windows = [
    { x: 60, y: 60, width: 480, height: 480 },
    { x: 60, y: 660, width: 480, height: 480 },
    { x: 60, y: 1260, width: 480, height: 480 },
  ];
  const png = await makeFrame(600, 1800, windows, GOLD);
  const entry = await frameEntry('oe_photo-strip_2x6in', windows, png);
  const photos = [{ r: 220, g: 30, b: 30 }, { r: 30, g: 200, b: 40 }, BLUE];
  const bytes = await Promise.all(photos.map((c) => flatPhoto(c)));
  const colour = await rgbPixels(await composeForPrinter(colourStation, entry, png, bytes, null));
  t.deepEqual([colour.width, colour.height], [600, 1800]);
  windows.forEach((w, n) => {
    const i = ((w.y + w.height / 2) * colour.width + w.x + w.width / 2) * 3;
    t.true(near(colour.data, i, photos[n]!, JPEG_TOLERANCE), `window ${n + 1} holds photo ${n + 1}`);
  });
  t.true(near(colour.data, (30 * colour.width + 30) * 3, GOLD, 2), 'the frame around them is intact');
  // On the receipt head the strip is 576 dots wide, three windows with three different greys.
  const dots = await renderDots(await composeForPrinter(receiptHead, entry, png, bytes, null), 576);
  t.deepEqual([dots.width, dots.height], [576, 1728]);
  const densities = windows.map((w) => {
    const r = scaleRect(w, 576 / 600);
    let black = 0;
    let all = 0;
    for (let y = r.y + EDGE_MARGIN_PX; y < r.y + r.height - EDGE_MARGIN_PX; y++) {
      for (let x = r.x + EDGE_MARGIN_PX; x < r.x + r.width - EDGE_MARGIN_PX; x++) {
        black += dots.bits[y * dots.width + x]!;
        all++;
      }
    }
    return black / all;
  });
  // Luma: red ≈ 87, green ≈ 130, blue ≈ 67 → three distinct densities, green the lightest.
  t.true(
    densities[1]! < densities[0]! && densities[1]! < densities[2]!,
    `densities ${densities.map((d) => d.toFixed(2))}`,
  );
});

test('a layout without a frame: photo slots on white paper and text fields from the event and the fan’s caption', async (t) => {
  const entry: TemplateCatalogEntry = {
    templateId: 'layout',
    name: 'Match day',
    version: 1,
    layout: {
      media: 'na_index-4x6_4x6in',
      slots: [{ x: 100, y: 100, width: 1000, height: 1200, rotation: 0 }],
      texts: [
        { x: 100, y: 1400, width: 1000, height: 150, source: 'event_name', color: '#000000' },
        { x: 100, y: 1600, width: 1000, height: 120, source: 'caption', color: '#000000' },
      ],
    },
    eventName: 'Cup final',
    eventDate: '2026-12-05',
    frame: null,
    registeredAt: 0,
  };
  const dark = async (caption: string | null) => {
    const { data } = await rgbPixels(
      await composeForPrinter(colourStation, entry, null, [await flatPhoto(BLUE)], caption),
    );
    const count = (y0: number, y1: number) => {
      let n = 0;
      for (let y = y0; y < y1; y++) for (let x = 0; x < 1200; x++) if (data[(y * 1200 + x) * 3]! < 100) n++;
      return n;
    };
    return {
      name: count(1400, 1550),
      caption: count(1600, 1720),
      margin: count(0, 90),
      photo: near(data, (700 * 1200 + 600) * 3, BLUE, 2),
    };
  };
  const withCaption = await dark('Our first final!');
  const without = await dark(null);
  t.true(withCaption.photo, 'the photo fills its slot');
  t.is(withCaption.margin, 0, 'paper outside slots and fields stays white');
  t.true(withCaption.name > 500, `the event name is written (${withCaption.name} dark pixels)`);
  t.true(withCaption.caption > 500, `the caption is written (${withCaption.caption} dark pixels)`);
  t.is(without.caption, 0, 'no caption, nothing written');
});

test('text fields are written over the frame’s border, not hidden under it', async (t) => {
  const png = await makeFrame(1200, 1800, [WINDOW_4X6], GOLD);
  const entry = await frameEntry('na_index-4x6_4x6in', [WINDOW_4X6], png);
  entry.layout.texts = [{ x: 150, y: 1450, width: 900, height: 200, source: 'event_date', color: '#000000' }];
  const { data } = await rgbPixels(await composeForPrinter(colourStation, entry, png, [await flatPhoto(BLUE)], null));
  let black = 0;
  for (let y = 1450; y < 1650; y++) for (let x = 150; x < 1050; x++) if (data[(y * 1200 + x) * 3]! < 60) black++;
  t.true(black > 1000, `the date is written on the border (${black} dark pixels)`);
  t.true(near(data, (60 * 1200 + 600) * 3, GOLD, 0), 'the border away from the text is untouched');
});

test('the receipt lists a framed print with its template and fee line', (t) => {
  const bytes = buildReceipt({
    orderId: 'o1',
    orderCode: 'ABCD1234',
    venue: 'Arena',
    printer: 'Printer F',
    printedAt: 0,
    items: [
      {
        imageId: 'i1',
        copies: 2,
        label: 'Gold frame',
        feeLine: 'Gold frame: €2.00 × 0.8 (popular) × 0.9 (regular customer) = €1.44',
      },
    ],
    totalCents: 1288,
    currency: 'EUR',
  });
  const text = decodeTextLines(bytes).join('\n');
  t.regex(text, /Photo 1: Gold frame\s+x2/);
  t.regex(
    text.replace(/\s+/g, ' '),
    /Gold frame: EUR2\.00 x 0\.8 \(popular\) x 0\.9 \(regular customer\) = EUR1\.44 each/,
  );
});
