import net from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { countEmbeddedStatusQueries, RASTER_BAND_MAX_DOTS, STATUS_QUERY } from '../edge-node/printing/escpos.ts';
import type { PrinterStatus, ReceiptInfo } from '../edge-node/printing/port.ts';
import { pickAnswer, TcpPrinter, TcpTransport } from '../edge-node/printing/tcp-printer.ts';
import { AppError } from '../shared/errors.ts';
import { systemClock } from '../shared/ports/clock.ts';
import {
  FakeEscPosPrinter,
  firstDifference,
  goldenPrintBits,
  makeTestPhoto,
  parseWire,
  stitchWire,
  waitFor,
} from './fixtures/printing-fixtures.ts';

const WIDTH_DOTS = 576;
const POLL_MS = 20;
/** Status polls to watch while the paper is out (each would be a chance to send the next band). */
const PAUSED_POLLS = 5;
const STATUS_TIMEOUT_MS = 300;
/** The embedded-query test's waits, long enough for a busy CI machine. */
const LOADED_MACHINE_TIMEOUT_MS = 5_000;
const LOADED_MACHINE_SETTLE_MS = 1_000;

const wide = (async () => {
  const image = await makeTestPhoto(1000, 700);
  return { image, expected: await goldenPrintBits(1000, 700, WIDTH_DOTS) };
})();
const tall = (async () => {
  const image = await makeTestPhoto(800, 1200);
  return { image, expected: await goldenPrintBits(800, 1200, WIDTH_DOTS) };
})();

const receipt: ReceiptInfo = {
  orderId: 'ord_8f3a2c',
  orderCode: 'K7QX-M2PD',
  venue: 'Arena Nord',
  printer: 'bar-left',
  printedAt: Date.UTC(2025, 5, 1, 19, 3, 22),
  items: [
    { imageId: 'img_1', copies: 2, label: 'Goal' },
    { imageId: 'img_2', copies: 1 },
  ],
};

async function setup(t: ExecutionContext) {
  const fake = new FakeEscPosPrinter();
  const port = await fake.listen();
  const printer = new TcpPrinter({
    host: '127.0.0.1',
    port,
    widthDots: WIDTH_DOTS,
    statusPollIntervalMs: POLL_MS,
    statusTimeoutMs: STATUS_TIMEOUT_MS,
  });
  const statuses: PrinterStatus[] = [];
  printer.on('status', (s) => statuses.push(s));
  t.teardown(async () => {
    await printer.close();
    await fake.close();
  });
  return { fake, printer, statuses, port };
}

function assertImage(t: ExecutionContext, bytes: Buffer, expected: { height: number; bits: Uint8Array }) {
  const wire = parseWire(bytes);
  t.is(wire.bands.length, Math.ceil(expected.height / RASTER_BAND_MAX_DOTS), 'each band exactly once');
  const image = stitchWire(wire.bands);
  t.is(image.width, WIDTH_DOTS);
  t.is(image.height, expected.height);
  t.is(firstDifference(image.bits, expected.bits), -1, 'printed pixels differ from the expected dithering');
  return wire;
}

test('photo and receipt reach the printer: the raster decodes to the expected dithering', async (t) => {
  const { fake, printer, statuses } = await setup(t);
  const { image, expected } = await wide;
  await printer.ready();
  t.is((await printer.status()).state, 'ready');
  await printer.printPhoto(image, { label: 'Goal!' });
  await printer.printReceipt(receipt);
  t.deepEqual(fake.errors, []);
  t.is(fake.connections.length, 1);
  const wire = assertImage(t, fake.allBytes(), expected);
  t.true(wire.statusQueries > 0, 'status is checked on the wire');
  for (const line of ['Goal!', 'Arena', 'Order code: K7QX-M2PD', 'Printer: bar-left']) {
    t.true(wire.text.includes(line), `receipt lacks ${line}`);
  }
  t.deepEqual(
    wire.commands.filter((c) => c.startsWith('GS V')),
    ['GS V 1', 'GS V 0'],
    'photo: partial cut, receipt: full cut',
  );
  t.true(statuses.some((s) => s.state === 'printing'));
  t.is(statuses.at(-1)?.state, 'ready');
});

test('paper out after the first band pauses the job; it resumes without resending a band', async (t) => {
  const { fake, printer, statuses } = await setup(t);
  const { image, expected } = await tall;
  const bandsTotal = Math.ceil(expected.height / RASTER_BAND_MAX_DOTS);
  t.true(bandsTotal >= 4);
  fake.once('band', () => {
    fake.status.paperOut = true;
  });
  let done = false;
  const job = printer.printPhoto(image).then(() => {
    done = true;
  });
  await waitFor(() => statuses.some((s) => s.state === 'paper_out'), 'paper_out status');
  const paused = statuses.find((s) => s.state === 'paper_out')!;
  t.regex(paused.detail, /out of paper/i);
  t.is(fake.bandsReceived, 1);
  // The printer keeps polling while it waits: several answers later, still nothing more was sent.
  const answered = fake.statusAnswers;
  await waitFor(() => fake.statusAnswers >= answered + PAUSED_POLLS, `${PAUSED_POLLS} status polls while paused`);
  t.is(fake.bandsReceived, 1, 'nothing is sent while the paper is out');
  t.false(done);
  t.is((await printer.status()).state, 'paper_out', 'operators can ask why it waits');

  fake.status.paperOut = false;
  await job;
  t.is(fake.bandsReceived, bandsTotal);
  t.deepEqual(fake.errors, []);
  const embedded = fake
    .allBytes()
    .subarray(0)
    .reduce((n, _, i, a) => n + (a[i] === 0x10 && a[i + 1] === 0x04 ? 1 : 0), 0);
  t.log(`DLE EOT sequences on the wire (our status queries; raster data carries none): ${embedded}`);
  assertImage(t, fake.allBytes(), expected);
  const states = statuses.map((s) => s.state);
  t.deepEqual(states.slice(states.indexOf('paper_out')), ['paper_out', 'printing', 'ready']);
});

test('cover open pauses too, with its own reason', async (t) => {
  const { fake, printer, statuses } = await setup(t);
  fake.status.coverOpen = true;
  const job = printer.printReceipt(receipt);
  await waitFor(() => statuses.some((s) => s.state === 'cover_open'), 'cover_open status');
  t.regex(statuses.find((s) => s.state === 'cover_open')!.detail, /cover is open/i);
  t.false(parseWire(fake.allBytes()).text.includes('K7QX'));
  fake.status.coverOpen = false;
  await job;
  t.true(parseWire(fake.allBytes()).text.includes('K7QX-M2PD'));
});

test('a printer that does not answer status is offline, and comes back when it answers', async (t) => {
  const { fake, printer } = await setup(t);
  fake.status.silent = true;
  const started = Date.now();
  const s = await printer.status();
  t.is(s.state, 'offline');
  t.regex(s.detail, /no answer to a status query within 300 ms/);
  t.true(Date.now() - started >= STATUS_TIMEOUT_MS - 20);
  fake.status.silent = false;
  t.is((await printer.status()).state, 'ready');
});

test('an unreachable printer is offline with the connection error', async (t) => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const printer = new TcpPrinter({ host: '127.0.0.1', port, statusTimeoutMs: STATUS_TIMEOUT_MS });
  t.teardown(() => printer.close());
  const s = await printer.status();
  t.is(s.state, 'offline');
  t.true(s.detail.includes(`cannot connect to 127.0.0.1:${port}: ECONNREFUSED`), s.detail);
});

test('a dropped connection is re-established and the job completes with every band', async (t) => {
  const { fake, printer, statuses } = await setup(t);
  const { image, expected } = await tall;
  fake.dropAfterBands = 1;
  await printer.printPhoto(image);
  t.deepEqual(fake.errors, []);
  t.is(fake.connections.length, 2);
  t.is(parseWire(fake.bytesOf(0)).bands.length, 1, 'the first connection died after one band');
  // The band whose receipt was never confirmed is sent again on the new connection, after a fresh prelude.
  const second = assertImage(t, fake.bytesOf(1), expected);
  t.deepEqual(second.commands.slice(0, 2), ['ESC @', 'ESC a 1']);
  t.true(statuses.some((s) => s.state === 'offline' && /cannot be reached/.test(s.detail)));
  t.is(statuses.at(-1)?.state, 'ready');

  // Dropped while idle: the next job reconnects by itself.
  fake.connections[1]!.socket.destroy();
  await printer.printReceipt(receipt);
  t.is(fake.connections.length, 3);
  t.true(parseWire(fake.bytesOf(2)).text.includes('K7QX-M2PD'));
});

test('abort via signal rejects a waiting job; the printer keeps working', async (t) => {
  const { fake, printer, statuses } = await setup(t);
  const { image } = await wide;
  fake.status.paperOut = true;
  const controller = new AbortController();
  const job = printer.printPhoto(image, { signal: controller.signal, jobId: 'ord_1-0' });
  await waitFor(() => statuses.some((s) => s.state === 'paper_out'), 'paper_out status');
  controller.abort(new Error('customer left'));
  const err = await t.throwsAsync(job);
  t.true(err instanceof AppError);
  t.is((err as AppError).code, 'print_aborted');
  t.regex(err!.message, /customer left/);
  t.deepEqual((err as AppError).details, { jobId: 'ord_1-0', sentParts: 0, totalParts: 3 });
  t.is(fake.bandsReceived, 0);

  const already = new AbortController();
  already.abort();
  t.is(
    ((await t.throwsAsync(printer.printReceipt(receipt, { signal: already.signal }))) as AppError).code,
    'print_aborted',
  );

  fake.status.paperOut = false;
  await printer.printReceipt(receipt);
  t.true(parseWire(fake.allBytes()).text.includes('K7QX-M2PD'));
});

test('close() rejects the waiting job and the queued ones', async (t) => {
  const { fake, printer, statuses } = await setup(t);
  fake.status.paperOut = true;
  const first = printer.printReceipt(receipt);
  const second = printer.printReceipt({ ...receipt, orderCode: 'SECOND' });
  await waitFor(() => statuses.some((s) => s.state === 'paper_out'), 'paper_out status');
  await printer.close();
  t.is(((await t.throwsAsync(first)) as AppError).code, 'printer_closed');
  t.is(((await t.throwsAsync(second)) as AppError).code, 'printer_closed');
  t.is(((await t.throwsAsync(printer.printReceipt(receipt))) as AppError).code, 'printer_closed');
  t.is((await printer.status()).state, 'offline');
});

test('answers to status queries hidden in raster data are skipped', async (t) => {
  const { fake, port } = await setup(t);
  // Generous waits: on a loaded machine our answer can come more than the default settle (100 ms)
  // after the stray one, and the stray one would then be read as ours.
  const transport = new TcpTransport(
    '127.0.0.1',
    port,
    LOADED_MACHINE_TIMEOUT_MS,
    systemClock,
    LOADED_MACHINE_SETTLE_MS,
  );
  t.teardown(() => transport.close());
  t.is(await transport.query(STATUS_QUERY.printer), 0x12);
  fake.status.paperNearEnd = true;
  // A one-byte-wide raster whose data happens to read DLE EOT 4: the fake answers it (0x1e) like real printers.
  const raster = Uint8Array.of(0x1d, 0x76, 0x30, 0, 1, 0, 3, 0, 0x10, 0x04, 0x04);
  await transport.write(raster);
  t.is(countEmbeddedStatusQueries(raster), 1);
  t.is(await transport.query(STATUS_QUERY.printer, 1), 0x12, 'our answer, not the stray one');
  t.is(await transport.query(STATUS_QUERY.paper), 0x1e);
  // A printer that ignored the embedded query: we still take our own answer after a short settle.
  t.is(await transport.query(STATUS_QUERY.printer, 1), 0x12);
  t.deepEqual(fake.errors, []);
});

test('pickAnswer: ours is the last answer, and only one that came after our query', (t) => {
  t.is(pickAnswer([0x1e, 0x12], 1, 2, true), 0x12, 'stray answered first, then ours');
  t.is(pickAnswer([0x12], 0, 2, true), 0x12, 'printer ignored the embedded query');
  t.is(pickAnswer([0x1e], 1, 2, true), null, 'only the stray answer, from before our query');
  t.is(pickAnswer([0x1e], 0, 2, false), null, 'connection died: the answer may be the stray one');
  t.is(pickAnswer([0x1e, 0x1e, 0x12], 2, 2, true), 0x12, 'more leftovers than expected');
  t.is(pickAnswer([], 0, 1, true), null);
});
