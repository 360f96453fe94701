/**
 * An edge-node process configured as a photo station (`printers`: two real IPP printers from
 * ippeveprinter, `receiptPrinter`: a folder) redeeming a paid order end to end: each unit printed
 * once on a photo printer at the media's size, the kiosk told the tray, `/status` reports the station,
 * and with every printer out of paper the kiosk refuses codes instead of taking them.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import sharp from 'sharp';
import { IppLab, ippAvailable, PHOTO_MEDIA } from '../tools/ipp-lab.ts';
import { buyAndPay } from '../tools/venue-kit/http.ts';
import { waitFor } from './fixtures/feed-fixtures.ts';
import { neverSyncs, startVenue, startVenuePrinter } from './fixtures/venue-harness.ts';

test('an edge node drives a photo station: printed once per unit, tray named, station in /status, codes refused when all are down', async (t) => {
  t.timeout(180_000);
  if (!ippAvailable()) t.fail('run scripts/ensure-ipp.sh');
  const lab = await new IppLab().start();
  t.teardown(() => lab.close());
  const left = await lab.addPrinter({ name: 'left', printSeconds: 1 });
  const right = await lab.addPrinter({ name: 'right', printSeconds: 1 });
  const venue = await startVenue(t, { images: 2, imageSide: 600 });
  const receipts = join(venue.dir, 'S', 'receipts');
  const node = await startVenuePrinter(t, venue, 'S', {
    schedule: neverSyncs(),
    printers: [
      { kind: 'ipp', name: 'left', uri: left.uri, media: PHOTO_MEDIA, tray: 'left printer', rollPrints: 400 },
      { kind: 'ipp', name: 'right', uri: right.uri, media: PHOTO_MEDIA, tray: 'right printer', rollPrints: 400 },
    ],
    receiptPrinter: { kind: 'file', dir: receipts },
  });
  const { orderId, token } = await buyAndPay(venue.base, venue.event.id, [
    { imageId: venue.images[0]!.id, copies: 1 },
    { imageId: venue.images[1]!.id, copies: 1 },
  ]);
  const res = await node.redeem(token);
  t.is(res.status, 200, JSON.stringify(res.body));
  const units = (res.body.units ?? []) as Array<{ state: string; tray?: string }>;
  t.deepEqual(
    units.map((u) => u.state),
    ['printed', 'printed'],
  );
  t.true(
    units.every((u) => u.tray === 'left printer' || u.tray === 'right printer'),
    JSON.stringify(units),
  );

  const docs = [
    ...(await left.printed()).map((f) => join(left.outDir, f)),
    ...(await right.printed()).map((f) => join(right.outDir, f)),
  ];
  t.deepEqual(
    docs.map((f) => f.replace(/^.*\/\d+-/, '')).sort(),
    [`${orderId}-0.jpg`, `${orderId}-1.jpg`].map((f) => f.toLowerCase()),
    'ippeveprinter lower-cases its file names',
  );
  for (const f of docs) {
    const meta = await sharp(await readFile(f)).metadata();
    t.deepEqual([meta.width, meta.height, meta.space], [1200, 1800, 'srgb']);
  }
  t.true(
    (await readdir(receipts)).some((f) => f.endsWith('.escpos')),
    'the receipt printer printed the receipt',
  );

  const status = (await node.status()) as unknown as {
    printer: { state: string };
    station: {
      printers: Array<{ name: string; printsToday: number; printsLeft: number }>;
      counters: { unitsCompleted: number };
    };
  };
  t.is(status.station.counters.unitsCompleted, 2);
  t.is(
    status.station.printers.reduce((n, p) => n + p.printsToday, 0),
    2,
  );
  // marker-levels come in whole percent: one print off a 400-print roll reads 99 % = 396 left.
  t.true(
    status.station.printers.every((p) => p.printsLeft >= 390 && p.printsLeft <= 400),
    JSON.stringify(status.station.printers),
  );

  await left.emptyRoll();
  await right.emptyRoll();
  t.true(
    await waitFor(
      async () => ((await node.status()) as unknown as { printer: { state: string } }).printer.state === 'paper_out',
      15_000,
      100,
    ),
  );
  const second = await buyAndPay(venue.base, venue.event.id, [{ imageId: venue.images[0]!.id, copies: 1 }]);
  const refused = await fetch(`${node.url}/kiosk/redeem`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: second.token }),
  });
  t.is(refused.status, 503);
  const body = (await refused.json()) as { error: { code: string; message: string } };
  t.is(body.error.code, 'printer_paper_out');
  t.regex(body.error.message, /another print station/);
  t.false(
    node.logs.some((l) => /status report.*(400|invalid)/i.test(l)),
    'the coordinator accepted the station report',
  );
});
