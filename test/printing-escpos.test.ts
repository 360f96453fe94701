import test from 'ava';
import sharp from 'sharp';
import {
  countEmbeddedStatusQueries,
  EscPosBuilder,
  encodeRasterBands,
  isStatusByte,
  moveDotsOffRealTimeCommands,
  parseStatus,
  RASTER_BAND_MAX_DOTS,
  STATUS_QUERY,
  toPrintableAscii,
} from '../edge-node/printing/escpos.ts';
import {
  decodeEscPos,
  decodeRasterCommands,
  decodeTextLines,
  stitchBands,
} from '../edge-node/printing/escpos-decode.ts';
import { EscPosPrinter, type PrinterTransport } from '../edge-node/printing/escpos-printer.ts';
import type { PrinterStatus } from '../edge-node/printing/port.ts';
import { PHOTO_MAX_HEIGHT_DOTS, rasterPreviewPng, renderPhoto } from '../edge-node/printing/render.ts';
import {
  firstDifference,
  goldenPrintBits,
  makeTestPhoto,
  parseWire,
  stitchWire,
  waitFor,
} from './fixtures/printing-fixtures.ts';

const WIDTH_DOTS = 576;

test('a photo encoded at 576 dots decodes back to the independently dithered image, in bands', async (t) => {
  const photo = await makeTestPhoto(1000, 700);
  const rendered = await renderPhoto(photo, WIDTH_DOTS);
  const bytes = new EscPosBuilder()
    .initialize()
    .align('center')
    .rasterBands(rendered.bits, rendered.width, rendered.height)
    .text('hello')
    .feed(2)
    .cut(true)
    .bytes();
  const expected = await goldenPrintBits(1000, 700, WIDTH_DOTS);
  t.is(expected.height, Math.round((700 * WIDTH_DOTS) / 1000));

  // The test's own parser: headers and pixels read straight from the bytes.
  const wire = parseWire(bytes);
  const expectedBands = Math.ceil(expected.height / RASTER_BAND_MAX_DOTS);
  t.is(wire.bands.length, expectedBands);
  let rows = 0;
  for (const band of wire.bands) {
    const header = [...bytes.subarray(band.offset, band.offset + 8)];
    const yDots = Math.min(RASTER_BAND_MAX_DOTS, expected.height - rows);
    t.deepEqual(header, [0x1d, 0x76, 0x30, 0, WIDTH_DOTS / 8, 0, yDots & 0xff, yDots >> 8]);
    t.true(band.yDots <= RASTER_BAND_MAX_DOTS);
    rows += band.yDots;
  }
  const stitched = stitchWire(wire.bands);
  t.is(stitched.width, WIDTH_DOTS);
  t.is(stitched.height, expected.height);
  t.is(firstDifference(stitched.bits, expected.bits), -1, 'decoded raster differs from the expected dithering');
  // The render of this photo holds 23 real-time pairs; none reaches the printer.
  for (const band of wire.bands) {
    const data = bytes.subarray(band.offset + 8, band.offset + 8 + band.xBytes * band.yDots);
    t.deepEqual(realTimePairs(data), [], 'no real-time command hidden in a band');
  }

  // The module's own decoder agrees with the test's.
  const decoded = stitchBands(decodeRasterCommands(bytes));
  t.deepEqual(decoded.bits, expected.bits);

  // The photo really has tones: neither blank nor solid.
  const density = expected.bits.reduce((n, b) => n + b, 0) / expected.bits.length;
  t.true(density > 0.2 && density < 0.8, `density ${density}`);

  t.deepEqual(wire.commands.slice(0, 2), ['ESC @', 'ESC a 1']);
  t.deepEqual([...bytes.subarray(0, 5)], [0x1b, 0x40, 0x1b, 0x61, 1]);
  t.true(wire.text.startsWith('hello'));
  t.deepEqual(wire.commands.slice(-2), ['ESC d 2', 'GS V 1']);
  t.deepEqual([...bytes.subarray(-3)], [0x1d, 0x56, 1]);
});

test('bands are padded to whole bytes and split at the band limit', (t) => {
  const width = 13;
  const height = 5;
  const bits = new Uint8Array(width * height).map((_, i) => (i % 3 === 0 ? 1 : 0));
  const bytes = new EscPosBuilder().rasterBands(bits, width, height, 2).bytes();
  const wire = parseWire(bytes);
  t.deepEqual(
    wire.bands.map((b) => [b.xBytes, b.yDots]),
    [
      [2, 2],
      [2, 2],
      [2, 1],
    ],
  );
  const stitched = stitchWire(wire.bands);
  t.is(stitched.width, 16);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < 16; x++) {
      const want = x < width ? bits[y * width + x] : 0;
      t.is(stitched.bits[y * 16 + x], want, `pixel ${x},${y}`);
    }
  }
  t.is(decodeRasterCommands(bytes).length, 3);
  t.throws(() => new EscPosBuilder().rasterBands(bits, width, height, 0));
});

test('photos are auto-rotated by EXIF and tall ones capped and centred on white', async (t) => {
  const landscape = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#808080' } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toBuffer();
  const turned = await renderPhoto(landscape, 96);
  t.deepEqual([turned.width, turned.height], [96, 144]);

  const tall = await sharp({ create: { width: 100, height: 8000, channels: 3, background: '#000000' } })
    .png()
    .toBuffer();
  const capped = await renderPhoto(tall, 576);
  t.is(capped.height, PHOTO_MAX_HEIGHT_DOTS);
  t.is(capped.width, 576);
  const row = capped.bits.subarray(2000 * 576, 2001 * 576);
  t.is(row[0], 0, 'left margin is white paper');
  t.is(row[575], 0, 'right margin is white paper');
  t.is(row[288], 1, 'the black photo is in the middle');

  const err = await t.throwsAsync(renderPhoto(Buffer.from('not an image'), 576));
  t.is((err as { code?: string }).code, 'print_image_unreadable');
});

test('the PNG preview shows exactly the dots', async (t) => {
  const bits = Uint8Array.from([1, 0, 0, 1, 1, 1]);
  const png = await rasterPreviewPng(bits, 3, 2);
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  t.deepEqual([info.width, info.height], [3, 2]);
  const pixels = [];
  for (let i = 0; i < 6; i++) pixels.push(data[i * info.channels]);
  t.deepEqual(pixels, [0, 255, 255, 0, 0, 0]);
});

test('text, alignment, bold, size, feed, cut and initialize bytes', (t) => {
  const bytes = new EscPosBuilder()
    .initialize()
    .align('right')
    .bold(true)
    .size(2, 3)
    .text('Zürich – 5€ 😀\n')
    .bold(false)
    .feed(3)
    .cut()
    .bytes();
  const hex = bytes.toString('hex');
  t.true(hex.startsWith('1b40'));
  t.true(hex.includes('1b6102'));
  t.true(hex.includes('1b4501'));
  t.true(hex.includes('1d2112'));
  t.true(hex.includes(Buffer.from('Zurich - 5EUR ?\n', 'latin1').toString('hex')));
  t.true(hex.includes('1b4500'));
  t.true(hex.endsWith('1b64031d5600'));
  t.true(
    [...bytes].every((b) => b < 0x80),
    'only ASCII leaves the encoder',
  );
  t.deepEqual(decodeTextLines(bytes), ['Zurich - 5EUR ?', '', '', '', '--- cut ---']);
  const ops = decodeEscPos(bytes).map((o) => o.op);
  t.deepEqual(ops, ['initialize', 'align', 'bold', 'size', 'text', 'newline', 'bold', 'feed', 'cut']);
  t.is(toPrintableAscii('Ærø straße'), 'AEro strasse');
});

test('the decoder refuses bytes it does not know and truncated rasters', (t) => {
  t.throws(() => decodeEscPos(Uint8Array.of(0x1b, 0x74, 0x10)));
  t.throws(() => decodeEscPos(Uint8Array.of(0x1d, 0x76, 0x30, 0, 1, 0, 2, 0, 0xff)));
  t.throws(() => decodeEscPos(Uint8Array.of(0x07)));
});

test('status queries are DLE EOT 1..4', (t) => {
  t.deepEqual([...STATUS_QUERY.printer], [0x10, 0x04, 1]);
  t.deepEqual([...STATUS_QUERY.offline], [0x10, 0x04, 2]);
  t.deepEqual([...STATUS_QUERY.error], [0x10, 0x04, 3]);
  t.deepEqual([...STATUS_QUERY.paper], [0x10, 0x04, 4]);
});

test('parseStatus decodes every documented bit', (t) => {
  const base = 0x12;
  t.deepEqual(parseStatus('printer', base), {
    offline: false,
    waitingForOnlineRecovery: false,
    feedButtonPressed: false,
  });
  t.true(parseStatus('printer', base | 0x08).offline);
  t.true(parseStatus('printer', base | 0x20).waitingForOnlineRecovery);
  t.true(parseStatus('printer', base | 0x40).feedButtonPressed);
  t.deepEqual(parseStatus('offline', base), {
    coverOpen: false,
    paperFedByButton: false,
    paperEndStop: false,
    errorOccurred: false,
  });
  t.true(parseStatus('offline', base | 0x04).coverOpen);
  t.true(parseStatus('offline', base | 0x08).paperFedByButton);
  t.true(parseStatus('offline', base | 0x20).paperEndStop);
  t.true(parseStatus('offline', base | 0x40).errorOccurred);
  t.deepEqual(parseStatus('error', base), {
    autocutterError: false,
    unrecoverableError: false,
    autoRecoverableError: false,
  });
  t.true(parseStatus('error', base | 0x08).autocutterError);
  t.true(parseStatus('error', base | 0x20).unrecoverableError);
  t.true(parseStatus('error', base | 0x40).autoRecoverableError);
  t.deepEqual(parseStatus('paper', base), { paperNearEnd: false, paperEnd: false });
  t.deepEqual(parseStatus('paper', base | 0x0c), { paperNearEnd: true, paperEnd: false });
  t.deepEqual(parseStatus('paper', base | 0x60), { paperNearEnd: false, paperEnd: true });
  t.true(isStatusByte(0x12) && isStatusByte(0x7e));
  t.false(isStatusByte(0x10) || isStatusByte(0x13) || isStatusByte(0x02) || isStatusByte(0x92));
});

test('status queries hidden in raster data are counted', (t) => {
  t.is(countEmbeddedStatusQueries(Uint8Array.of(0x10, 0x04, 0x01, 0x00, 0x10, 0x04, 0x04, 0x10, 0x04, 0x05)), 2);
  t.is(countEmbeddedStatusQueries(Uint8Array.of(0x10, 0x04)), 0);
});

/** Offsets of DLE followed by EOT, ENQ or DC4: what a printer acts on wherever it finds it. */
function realTimePairs(bytes: Uint8Array): number[] {
  const at: number[] = [];
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] === 0x10 && [0x04, 0x05, 0x14].includes(bytes[i + 1]!)) at.push(i);
  }
  return at;
}

const bitsSet = (byte: number) => byte.toString(2).replaceAll('0', '').length;

test('raster data never carries a real-time command: the DLE dot moves one column left, nothing else changes', (t) => {
  // Bytes drawn mostly from those that make real-time commands, as light photo areas do.
  const alphabet = [0x10, 0x04, 0x05, 0x14, 0x01, 0x02, 0x00, 0x20, 0xff];
  let seed = 0x2f6b_1d37;
  const next = () => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    return seed >>> 16;
  };
  const before = Uint8Array.from({ length: 20_000 }, () => alphabet[next() % alphabet.length]!);
  t.true(realTimePairs(before).length > 500, 'the input is full of them');
  const after = before.slice();
  const moved = moveDotsOffRealTimeCommands(after);
  t.deepEqual(realTimePairs(after), []);
  let changed = 0;
  for (let i = 0; i < before.length; i++) {
    if (before[i] === after[i]) continue;
    changed++;
    t.is(before[i], 0x10);
    t.is(after[i], 0x20, 'the dot moved one column left, in the same byte');
  }
  t.is(moved, changed);
  t.is(
    after.reduce((n, b) => n + bitsSet(b), 0),
    before.reduce((n, b) => n + bitsSet(b), 0),
    'as many dots as before',
  );
  t.is(moveDotsOffRealTimeCommands(after), 0, 'nothing left to move');
  // A DLE at the very end cannot pair with anything in this band: the next bytes are a header or a query.
  t.is(moveDotsOffRealTimeCommands(Uint8Array.of(0x00, 0x10)), 0);

  // Through the encoder: one 16-dot row whose bytes read DLE EOT 1 comes out with that dot moved.
  const row = new Uint8Array(16);
  row[3] = 1; // 0x10 in the first byte
  row[13] = 1; // 0x04 in the second
  const [band] = encodeRasterBands(row, 16, 1);
  t.deepEqual([...band!.subarray(8)], [0x20, 0x04]);
});

const receipt = {
  orderId: 'o1',
  orderCode: 'C0DE',
  venue: 'V',
  printer: 'p',
  printedAt: 0,
  items: [{ imageId: 'i', copies: 1 }],
};

/** A transport answering each DLE EOT n from a table, recording writes. */
function scriptedTransport(answers: Record<number, number>, write?: (bytes: Uint8Array) => Promise<void>) {
  const written: Uint8Array[] = [];
  const transport: PrinterTransport = {
    open: async () => {},
    close: async () => {},
    write: async (bytes) => {
      written.push(bytes);
      await write?.(bytes);
    },
    query: async (request) => answers[request[2]!] ?? null,
  };
  return { transport, written };
}

test('error causes from DLE EOT 3 reach the operator in words', async (t) => {
  const cases: Array<[number, RegExp]> = [
    [0x12 | 0x08, /cutter is jammed/],
    [0x12 | 0x20, /hardware fault/],
    [0x12 | 0x40, /too hot/],
    [0x12, /reports an error/],
  ];
  for (const [errorByte, detail] of cases) {
    const { transport } = scriptedTransport({ 1: 0x12 | 0x08, 2: 0x12 | 0x40, 3: errorByte, 4: 0x12 });
    const printer = new EscPosPrinter('file', 384, transport);
    const s = await printer.status();
    t.is(s.state, 'error');
    t.regex(s.detail, detail);
    await printer.close();
  }
  const { transport } = scriptedTransport({ 1: 0x12, 4: 0x12 | 0x0c });
  const nearEnd = new EscPosPrinter('file', 384, transport);
  const s = await nearEnd.status();
  t.is(s.state, 'ready');
  t.true(s.paperNearEnd);
  t.regex(s.detail, /nearly out/);
  await nearEnd.close();
});

test('a write the printer does not take is reported, and the job finishes when it does', async (t) => {
  let release = () => {};
  const stuck = new Promise<void>((r) => {
    release = r;
  });
  const { transport, written } = scriptedTransport({ 1: 0x12, 4: 0x12 }, () => stuck);
  const printer = new EscPosPrinter('file', 384, transport, { statusPollIntervalMs: 10, writeStallNoticeMs: 50 });
  t.teardown(() => printer.close());
  const statuses: PrinterStatus[] = [];
  printer.on('status', (s) => statuses.push(s));
  let done = false;
  const job = printer.printReceipt(receipt).then(() => {
    done = true;
  });
  await waitFor(() => statuses.some((s) => /not taken data/.test(s.detail)), 'stall notice');
  t.false(done);
  t.regex((await printer.status()).detail, /not taken data/);
  release();
  await job;
  t.is(written.length, 1, 'the stalled part was not sent twice');
  t.is(statuses.at(-1)?.state, 'ready');
});
