/**
 * The IPP client against a real IPP Everywhere printer (Debian's ippeveprinter), not a mock.
 * Needs scripts/ensure-ipp.sh (CI runs it).
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import test from 'ava';
import sharp from 'sharp';
import { IppClient, IppError, JobState, strings } from '../edge-node/printing/ipp/client.ts';
import { attr } from '../edge-node/printing/ipp/encoding.ts';
import { healthFrom } from '../edge-node/printing/ipp/printer-health.ts';
import { IppLab, ippAvailable, type LabPrinter, PHOTO_MEDIA } from '../tools/ipp-lab.ts';

const lab = new IppLab();
let printer: LabPrinter;
let client: IppClient;

test.before(async (t) => {
  if (!ippAvailable()) t.fail('ippeveprinter/avahi/dbus missing: run scripts/ensure-ipp.sh');
  await lab.start();
  printer = await lab.addPrinter({ name: 'client-test', printSeconds: 1 });
  client = new IppClient({ uri: printer.uri });
});

test.after.always(async () => {
  client?.close();
  await lab.close();
});

async function jpeg(colour: string): Promise<Buffer> {
  return sharp({ create: { width: 120, height: 180, channels: 3, background: colour } })
    .jpeg()
    .toBuffer();
}

async function waitTerminal(id: number): Promise<number> {
  for (;;) {
    const job = await client.getJob(id);
    if (job.state >= JobState.canceled) return job.state;
    await new Promise((r) => setTimeout(r, 100));
  }
}

test.serial('Get-Printer-Attributes reports state, media-ready, formats and colour', async (t) => {
  const a = await client.getPrinterAttributes();
  t.true(strings(a['media-ready']).includes(PHOTO_MEDIA));
  t.true(strings(a['document-format-supported']).includes('image/jpeg'));
  t.is(a['color-supported']?.values[0], true);
  t.true((a['media-col-ready']?.values.length ?? 0) >= 1);
  const h = healthFrom(a, 'A', PHOTO_MEDIA);
  t.true(h.canPrint);
  t.is(h.state, 'ready');
});

test.serial('Print-Job with a job name, followed to completed; the printer kept the exact document', async (t) => {
  const doc = await jpeg('#c03020');
  const job = await client.printJob(doc, {
    jobName: 'order-9-0',
    format: 'image/jpeg',
    job: { media: attr.keyword(PHOTO_MEDIA) },
  });
  t.true(job.id > 0);
  t.is(await waitTerminal(job.id), JobState.completed);
  const files = await printer.printed();
  const mine = files.find((f) => f.endsWith('-order-9-0.jpg'));
  t.truthy(mine, files.join(','));
  t.deepEqual(await fs.readFile(path.join(printer.outDir, mine!)), doc);
  const done = await client.getJobs('completed');
  t.true(done.some((j) => j.name === 'order-9-0' && j.state === JobState.completed));
  // Cancelling a job that already printed is refused by the printer: false, not an error.
  t.false(await client.cancelJob(job.id));
});

test.serial('Create-Job + Send-Document also prints', async (t) => {
  const job = await client.createAndSend(await jpeg('#2040c0'), { jobName: 'order-9-1', format: 'image/jpeg' });
  t.is(await waitTerminal(job.id), JobState.completed);
  t.true((await printer.printed()).some((f) => f.endsWith('-order-9-1.jpg')));
});

test.serial('Cancel-Job of a job in progress ends it canceled', async (t) => {
  const slow = await lab.addPrinter({ name: 'slow', printSeconds: 4 });
  const c = new IppClient({ uri: slow.uri });
  try {
    const job = await c.printJob(await jpeg('#20a040'), { jobName: 'order-9-2', format: 'image/jpeg' });
    await new Promise((r) => setTimeout(r, 500));
    t.true(await c.cancelJob(job.id));
    let state = 0;
    for (let i = 0; i < 100 && state < JobState.canceled; i++) {
      state = (await c.getJob(job.id)).state;
      await new Promise((r) => setTimeout(r, 100));
    }
    t.is(state, JobState.canceled);
  } finally {
    c.close();
    await slow.stop();
  }
});

test.serial('an empty roll shows as paper_out until a roll is loaded', async (t) => {
  await printer.emptyRoll();
  const h = healthFrom(await client.getPrinterAttributes(), 'A', PHOTO_MEDIA);
  t.false(h.canPrint);
  t.is(h.state, 'paper_out');
  t.regex(h.detail, /paper|4x6/);
  await printer.loadRoll();
  t.true(healthFrom(await client.getPrinterAttributes(), 'A', PHOTO_MEDIA).canPrint);
});

test.serial('bad URI and unreachable printer are clear errors', async (t) => {
  t.throws(() => new IppClient({ uri: 'lpd://x/y' }), { message: /ipp:\/\// });
  const dead = new IppClient({ uri: 'ipp://127.0.0.1:9/ipp/print', timeoutMs: 500 });
  await t.throwsAsync(dead.getPrinterAttributes(), { message: /Cannot reach the printer at ipp:\/\/127.0.0.1:9/ });
  dead.close();
});

test('a printer that hangs up mid-answer is unreachable, a known IPP error the station handles', async (t) => {
  // Headers and part of a body, then the socket closes: cupsd or the printer went away.
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/ipp', 'content-length': '1000' });
    res.write(Buffer.alloc(10));
    setImmediate(() => res.socket?.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const c = new IppClient({ uri: `ipp://127.0.0.1:${port}/ipp/print` });
  t.teardown(() => c.close());
  const err = await t.throwsAsync(c.getPrinterAttributes());
  t.true(err instanceof IppError, String(err));
  t.is((err as IppError).code, 'printer_unreachable');
  t.regex(err!.message, /closed during its answer/);
});
