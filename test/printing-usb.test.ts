import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import type { ReceiptInfo } from '../edge-node/printing/port.ts';
import { UsbPrinter } from '../edge-node/printing/usb-printer.ts';
import { AppError } from '../shared/errors.ts';
import {
  firstDifference,
  goldenPrintBits,
  makeTestPhoto,
  parseWire,
  sleep,
  stitchWire,
  waitFor,
} from './fixtures/printing-fixtures.ts';

const receipt: ReceiptInfo = {
  orderId: 'ord_usb',
  orderCode: 'U5B0-0001',
  venue: 'Hall 2',
  printer: 'usb-1',
  printedAt: Date.UTC(2025, 0, 2, 3, 4, 5),
  items: [{ imageId: 'img_1', copies: 1 }],
};

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vpm-print-usb-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

test('a missing device is offline with a clear reason, and a job waits for it until aborted', async (t) => {
  const dir = await tempDir(t);
  const devicePath = path.join(dir, 'lp0');
  const printer = new UsbPrinter({ devicePath, widthDots: 384, statusPollIntervalMs: 20, statusTimeoutMs: 200 });
  t.teardown(() => printer.close());
  t.is(printer.kind, 'usb');
  await printer.ready();
  const s = await printer.status();
  t.is(s.state, 'offline');
  t.true(s.detail.includes(`USB printer device ${devicePath} not found`), s.detail);

  const controller = new AbortController();
  let settled = false;
  const job = printer.printReceipt(receipt, { signal: controller.signal });
  job.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await sleep(150);
  t.false(settled, 'the job waits for the printer');
  t.is((await printer.status()).state, 'offline');
  controller.abort();
  const err = await t.throwsAsync(job);
  t.true(err instanceof AppError);
  t.is((err as AppError).code, 'print_aborted');
});

test('a device that takes bytes but never answers is offline (no answer)', async (t) => {
  const dir = await tempDir(t);
  const devicePath = path.join(dir, 'lp0');
  await fs.writeFile(devicePath, '');
  const printer = new UsbPrinter({ devicePath, statusTimeoutMs: 100 });
  t.teardown(() => printer.close());
  const s = await printer.status();
  t.is(s.state, 'offline');
  t.regex(s.detail, /did not answer a status query within 100 ms/);
});

/**
 * A stand-in for /dev/usb/lp0: a pseudo-terminal in raw mode whose other end is a tiny printer that
 * records what it gets and answers DLE EOT with "ready". It exercises the real open/read/write path,
 * including EAGAIN when the pty buffer is full (backpressure).
 */
const FAKE_DEVICE_PY = `
import os, pty, sys, tty
master, slave = pty.openpty()
tty.setraw(slave)
print(os.ttyname(slave), flush=True)
out = open(sys.argv[1], 'wb')
tail = b''
while True:
    data = os.read(master, 65536)
    if not data:
        break
    out.write(data)
    out.flush()
    for b in data:
        tail = (tail + bytes([b]))[-3:]
        if len(tail) == 3 and tail[0] == 0x10 and tail[1] == 0x04 and 1 <= tail[2] <= 4:
            os.write(master, bytes([0x12]))
`;

async function fakeUsbDevice(t: ExecutionContext, recordPath: string): Promise<string> {
  const child: ChildProcess = spawn('python3', ['-c', FAKE_DEVICE_PY, recordPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => {
    child.kill();
  });
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    out += chunk;
  });
  await waitFor(() => out.includes('\n'), 'the fake USB device to start');
  return out.trim();
}

test('photo and receipt go through a character device and decode to the expected dots', async (t) => {
  const dir = await tempDir(t);
  const record = path.join(dir, 'received.bin');
  const devicePath = await fakeUsbDevice(t, record);
  const printer = new UsbPrinter({ devicePath, widthDots: 384, statusPollIntervalMs: 20 });
  t.teardown(() => printer.close());
  const image = await makeTestPhoto(600, 500);
  const expected = await goldenPrintBits(600, 500, 384);
  t.is((await printer.status()).state, 'ready');
  await printer.printPhoto(image);
  await printer.printReceipt(receipt);
  // The job resolves once the device answered the query sent after the last part, so all bytes are in.
  const wire = parseWire(await fs.readFile(record));
  t.is(firstDifference(stitchWire(wire.bands).bits, expected.bits), -1);
  t.true(wire.text.includes('Order code: U5B0-0001'));
});
