import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import sharp from 'sharp';
import { THREADPOOL_ENV, withReplicationThreadpool } from '../shared/process/threadpool.ts';
import { api, buyAndPay } from '../tools/venue-kit/http.ts';
import { waitFor } from './fixtures/feed-fixtures.ts';
import { neverSyncs, startVenue, startVenuePrinter } from './fixtures/venue-harness.ts';

const run = promisify(execFile);

async function redeemCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'edge-node/cli/redeem.ts', ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('redeem --image reads the fan’s QR code with jsQR and prints the order; refusals have a reason', async (t) => {
  t.timeout(120_000);
  const venue = await startVenue(t, { images: 1 });
  const printer = await startVenuePrinter(t, venue, 'K', { schedule: neverSyncs() });
  const { orderId } = await buyAndPay(venue.base, venue.event.id, [{ imageId: venue.images[0]!.id, copies: 1 }]);
  // A photo of the fan's phone screen: the QR code on a grey background, slightly scaled.
  const qr = Buffer.from(await (await fetch(`${venue.base}/api/orders/${orderId}/qr.png`)).arrayBuffer());
  const meta = await sharp(qr).metadata();
  const photo = await sharp({
    create: { width: meta.width! + 200, height: meta.height! + 200, channels: 3, background: '#888' },
  })
    .composite([{ input: qr, left: 100, top: 100 }])
    .resize({ width: Math.round((meta.width! + 200) * 0.8) })
    .jpeg()
    .toBuffer();
  const image = join(venue.dir, 'screen.jpg');
  await writeFile(image, photo);

  const printed = await redeemCli(['--image', image, '--node', printer.url]);
  t.is(printed.code, 0, printed.stderr);
  t.like(JSON.parse(printed.stdout.trim()), { orderId, printed: 1, units: 1 });

  const again = await redeemCli(['--image', image, '--node', printer.url]);
  t.is(again.code, 1);
  t.regex(again.stderr, /already printed/);

  const blank = join(venue.dir, 'blank.png');
  await writeFile(
    blank,
    await sharp({ create: { width: 200, height: 200, channels: 3, background: '#fff' } })
      .png()
      .toBuffer(),
  );
  const none = await redeemCli(['--image', blank, '--node', printer.url]);
  t.is(none.code, 1);
  t.regex(none.stderr, /No QR code found/);

  const usage = await redeemCli(['--node', printer.url]);
  t.is(usage.code, 2);
  const typed = await redeemCli(['--code', 'HELLO-WORLD', '--node', printer.url]);
  t.is(typed.code, 1);
  t.regex(typed.stderr, /not a redemption code/i);
});

test('keyboard wedge: a code typed as a line on standard input is redeemed and printed', async (t) => {
  t.timeout(120_000);
  const venue = await startVenue(t, { images: 1 });
  const printer = await startVenuePrinter(t, venue, 'W', { schedule: neverSyncs() }, ['--wedge']);
  const { orderId, token } = await buyAndPay(venue.base, venue.event.id, [{ imageId: venue.images[0]!.id, copies: 2 }]);
  // Scanners in keyboard mode type the code and Enter; some type lower case.
  printer.child.stdin!.write(`${token.toLowerCase()}\n`);
  printer.child.stdin!.write('garbage that is not a code\n');
  const prints = join(venue.dir, 'W', 'prints');
  const slug = orderId.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const done = await waitFor(
    async () =>
      (await readdir(prints).catch(() => [])).filter((f) => f.includes(slug) && f.endsWith('.escpos')).length === 2,
    30_000,
    100,
  );
  t.true(done, 'both prints came out');
  t.true(
    await waitFor(
      async () =>
        (await api<{ order: { state: string } }>(venue.base, 'GET', `/api/orders/${orderId}`)).body.order.state ===
        'fulfilled',
      15_000,
      100,
    ),
  );
  t.true(
    printer.logs.some((l) => l.includes('code refused')),
    'the garbage line was refused with a reason',
  );
  // The venue kit starts the node as the start script does: with the thread pool replication wants
  // (or the size this test run was given).
  const environ = (await readFile(`/proc/${printer.child.pid}/environ`, 'utf8')).split('\0');
  const wanted = withReplicationThreadpool(process.env)[THREADPOOL_ENV];
  t.true(environ.includes(`${THREADPOOL_ENV}=${wanted}`));
  t.false(
    printer.logs.some((l) => l.includes('thread pool is small')),
    'so it does not warn about it',
  );
});
