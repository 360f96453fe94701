import { writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import sharp from 'sharp';
import { createPrinter } from '../edge-node/printing/create-printer.ts';
import { packRaster } from '../edge-node/printing/dither.ts';
import { moveDotsOffRealTimeCommands } from '../edge-node/printing/escpos.ts';
import { COVER_OPEN_FILE, FilePrinter, PAPER_OUT_FILE } from '../edge-node/printing/file-printer.ts';
import type { PrinterStatus, ReceiptInfo } from '../edge-node/printing/port.ts';
import { formatLocalIso } from '../edge-node/printing/receipt.ts';
import { renderPhoto } from '../edge-node/printing/render.ts';
import { printedPhotoMismatch } from './fixtures/print-output.ts';
import {
  firstDifference,
  goldenPrintBits,
  makeTestPhoto,
  parseWire,
  sleep,
  stitchWire,
  waitFor,
} from './fixtures/printing-fixtures.ts';

const WIDTH_DOTS = 576;
const POLL_MS = 20;

const receipt: ReceiptInfo = {
  orderId: 'ord_5b1e90d2',
  orderCode: 'P4ZR-77KD',
  venue: 'Stade Vélodrome',
  printer: 'gate-3',
  printedAt: Date.UTC(2025, 5, 1, 19, 3, 22),
  items: [
    { imageId: 'img_a', copies: 3, label: 'Kick-off' },
    { imageId: 'img_b', copies: 1 },
  ],
  eventName: 'Cup final',
  totalCents: 2800,
  currency: 'EUR',
};

async function setup(t: ExecutionContext) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vpm-print-file-'));
  const printer = new FilePrinter({ dir, widthDots: WIDTH_DOTS, statusPollIntervalMs: POLL_MS });
  const statuses: PrinterStatus[] = [];
  printer.on('status', (s) => statuses.push(s));
  t.teardown(async () => {
    await printer.close();
    await fs.rm(dir, { recursive: true, force: true });
  });
  await printer.ready();
  return { dir, printer, statuses };
}

async function filesIn(dir: string, ext: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((n) => n.endsWith(ext)).sort();
}

test('a photo job writes its ESC/POS bytes and a PNG preview of exactly those dots', async (t) => {
  const { dir, printer } = await setup(t);
  const image = await makeTestPhoto(1000, 700);
  const expected = await goldenPrintBits(1000, 700, WIDTH_DOTS);
  await printer.printPhoto(image, { label: 'Kick-off #1', jobId: 'ord_9-0' });

  const [escposName] = await filesIn(dir, '.escpos');
  t.regex(escposName ?? '', /^\d{4}-\d\d-\d\dT[\d-]+Z-000001-ord-9-0-kick-off-1\.escpos$/);
  const base = escposName!.slice(0, -'.escpos'.length);
  t.deepEqual(await filesIn(dir, '.png'), [`${base}.png`]);
  t.false(
    (await fs.readdir(dir)).some((n) => n.endsWith('.tmp')),
    'no temp files left',
  );

  const wire = parseWire(await fs.readFile(path.join(dir, escposName!)));
  t.is(wire.statusQueries, 0, 'status queries are not part of the job file');
  const fromBytes = stitchWire(wire.bands);
  t.is(firstDifference(fromBytes.bits, expected.bits), -1, 'ESC/POS raster differs from the expected dithering');

  const { data, info } = await sharp(path.join(dir, `${base}.png`))
    .raw()
    .toBuffer({ resolveWithObject: true });
  t.deepEqual([info.width, info.height], [WIDTH_DOTS, expected.height]);
  const fromPng = new Uint8Array(info.width * info.height);
  for (let i = 0; i < fromPng.length; i++) fromPng[i] = data[i * info.channels]! < 128 ? 1 : 0;
  t.is(firstDifference(fromPng, expected.bits), -1, 'PNG preview differs from the expected dithering');

  const label = await fs.readFile(path.join(dir, `${base}.txt`), 'utf8');
  t.true(label.includes('Kick-off #1'));
});

test('the receipt is written as ESC/POS and readable text with everything staff need', async (t) => {
  const { dir, printer } = await setup(t);
  await printer.printReceipt(receipt);
  const [txtName] = await filesIn(dir, '.txt');
  t.truthy(txtName);
  t.deepEqual(await filesIn(dir, '.png'), []);
  const text = await fs.readFile(path.join(dir, txtName!), 'utf8');
  const lines = text.split('\n');
  t.true(lines.includes('Stade Velodrome'), 'venue, accents dropped for the printer');
  t.true(lines.includes('Order code: P4ZR-77KD'));
  t.false(text.includes('ord_5b1e90d2') || text.includes('img_a'), 'no internal ids');
  t.true(lines.includes('Event: Cup final'));
  t.true(
    lines.some((l) => /^Photo 1: Kick-off\s+x3$/.test(l) && l.length === 48),
    'item numbered as on the order page, with copies, right-aligned',
  );
  t.true(lines.some((l) => /^Photo 2\s+x1$/.test(l)));
  t.true(lines.some((l) => /^Total paid\s+28\.00 EUR$/.test(l)));
  t.true(lines.some((l) => /^Prints\s+4$/.test(l)));
  t.true(lines.includes('Printer: gate-3'));
  t.true(lines.includes(`Time: ${formatLocalIso(receipt.printedAt)}`));
  t.regex(formatLocalIso(receipt.printedAt), /^2025-06-0[12]T\d\d:03:22[+-]\d\d:\d\d$/);
  t.is(lines.at(-2), '--- cut ---');
  const escpos = await fs.readFile(path.join(dir, txtName!.replace(/\.txt$/, '.escpos')));
  t.deepEqual([...escpos.subarray(0, 2)], [0x1b, 0x40]);
  t.deepEqual([...escpos.subarray(-3)], [0x1d, 0x56, 0]);
});

test('PAPER_OUT pauses the job until the file is removed, then it completes', async (t) => {
  const { dir, printer, statuses } = await setup(t);
  await fs.writeFile(path.join(dir, PAPER_OUT_FILE), '');
  t.is((await printer.status()).state, 'paper_out');
  let done = false;
  const job = printer.printReceipt(receipt).then(() => {
    done = true;
  });
  await waitFor(() => statuses.some((s) => s.state === 'paper_out'), 'paper_out status');
  await sleep(POLL_MS * 10);
  t.false(done);
  t.deepEqual(await filesIn(dir, '.escpos'), []);
  await fs.rm(path.join(dir, PAPER_OUT_FILE));
  await job;
  t.is((await filesIn(dir, '.escpos')).length, 1);
  t.is(statuses.at(-1)?.state, 'ready');
});

test('PAPER_OUT in the middle of a photo resumes at the next band: the file holds each band once', async (t) => {
  const { dir, printer, statuses } = await setup(t);
  const image = await makeTestPhoto(800, 1200);
  const expected = await goldenPrintBits(800, 1200, WIDTH_DOTS);
  // The marker appears the moment the job starts printing, so the check after the first band sees it.
  const onStatus = (s: PrinterStatus) => {
    if (s.state === 'printing') writeFileSync(path.join(dir, PAPER_OUT_FILE), '');
  };
  printer.on('status', onStatus);
  const job = printer.printPhoto(image);
  await waitFor(() => statuses.some((s) => s.state === 'paper_out'), 'paper_out status');
  printer.off('status', onStatus);
  await sleep(POLL_MS * 5);
  await fs.rm(path.join(dir, PAPER_OUT_FILE));
  await job;
  const [name] = await filesIn(dir, '.escpos');
  const wire = parseWire(await fs.readFile(path.join(dir, name!)));
  t.is(wire.bands.length, Math.ceil(expected.height / 256));
  t.is(firstDifference(stitchWire(wire.bands).bits, expected.bits), -1);
});

test('COVER_OPEN reports cover_open; a missing folder reports offline', async (t) => {
  const { dir, printer } = await setup(t);
  await fs.writeFile(path.join(dir, COVER_OPEN_FILE), '');
  const s = await printer.status();
  t.is(s.state, 'cover_open');
  t.regex(s.detail, /cover is open/i);
  await fs.rm(path.join(dir, COVER_OPEN_FILE));
  t.is((await printer.status()).state, 'ready');
  await fs.rm(dir, { recursive: true });
  const gone = await printer.status();
  t.is(gone.state, 'offline');
  t.true(gone.detail.includes(dir));
});

test('sequence numbers continue after a restart', async (t) => {
  const { dir, printer } = await setup(t);
  await printer.printReceipt(receipt);
  await printer.close();
  const again = new FilePrinter({ dir });
  t.teardown(() => again.close());
  await again.ready();
  await again.printReceipt(receipt);
  const names = await filesIn(dir, '.escpos');
  t.deepEqual(
    names.map((n) => /Z-(\d+)-/.exec(n)?.[1]),
    ['000001', '000002'],
  );
});

test('createPrinter builds the adapter the config names', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vpm-print-create-'));
  const printers = [
    createPrinter({ kind: 'file', dir }),
    createPrinter({ kind: 'tcp', host: '127.0.0.1', port: 9, widthDots: 384 }),
    createPrinter({ kind: 'usb', devicePath: path.join(dir, 'no-such-lp0') }),
  ];
  t.teardown(async () => {
    for (const p of printers) await p.close();
    await fs.rm(dir, { recursive: true, force: true });
  });
  t.deepEqual(
    printers.map((p) => [p.kind, p.widthDots]),
    [
      ['file', 576],
      ['tcp', 384],
      ['usb', 576],
    ],
  );
});

test('a job id prints once: the same job again (a retry after a crash) adds no output', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vpm-file-once-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const printer = new FilePrinter({ dir, widthDots: 384 });
  await printer.ready();
  t.teardown(() => printer.close());
  const image = await sharp({ create: { width: 200, height: 120, channels: 3, background: '#777' } })
    .png()
    .toBuffer();
  await printer.printPhoto(image, { label: 'A', jobId: 'order1-1' });
  await printer.printPhoto(image, { label: 'A', jobId: 'order1-1' });
  await printer.printPhoto(image, { label: 'A', jobId: 'order1-10' });
  await printer.printPhoto(image, { jobId: 'order1-2' });
  await printer.printPhoto(image, { jobId: 'order1-2' });
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.escpos'));
  t.is(files.length, 3, files.join(', '));
});

test('the print-output fixture takes a photo whose dots the encoder moved off a real-time command as that photo, and no other', async (t) => {
  const { dir, printer } = await setup(t);
  // White, with two lone black dots at columns 3 and 13 of the top row: packed, bytes 0x10 0x04 (DLE EOT).
  const width = WIDTH_DOTS;
  const height = 8;
  const pixels = Buffer.alloc(width * height * 3, 255);
  for (const x of [3, 13]) pixels.fill(0, x * 3, x * 3 + 3);
  const image = await sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  const rendered = await renderPhoto(image, WIDTH_DOTS);
  const { data } = packRaster(rendered.bits, rendered.width, rendered.height);
  t.is(moveDotsOffRealTimeCommands(data), 1, 'the photo holds one DLE EOT pair the encoder must move');

  await printer.printPhoto(image, { jobId: 'ord_dle-0' });
  const [file] = await filesIn(dir, '.escpos');
  t.is(await printedPhotoMismatch(path.join(dir, file!), image, WIDTH_DOTS), null);
  const other = await makeTestPhoto(width, 300);
  t.regex((await printedPhotoMismatch(path.join(dir, file!), other, WIDTH_DOTS)) ?? '', /expected 576×\d+/);
});
