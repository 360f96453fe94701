import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { IppLab, ippAvailable, type LabPrinter } from './ipp-lab.ts';
import { labelledPhoto } from './venue-kit/photos.ts';
import { addSampleTemplates } from './venue-kit/sample-templates.ts';
import { VenueKit } from './venue-kit/venue-kit.ts';

/**
 * `npm run demo`: a whole venue on this machine, started with the venue kit. A coordinator
 * (embedded store, its own DHT bootstrap on 127.0.0.1), three paired edge-node processes with file
 * printers, an event with generated photos, and one paid sample order ready to redeem. Ctrl-C stops
 * everything.
 */
const DEMO_DIR = resolve(process.env.VPM_DEMO_DIR ?? 'data/demo');
const COORDINATOR_PORT = Number(process.env.VPM_DEMO_PORT ?? 8080);
const PRINTERS = 3;
const VENUE_NAME = 'Demo Arena';
const EVENT_NAME = 'Demo Cup Final';
const PHOTOS = 12;
/** The demo's IPP photo printers take this long per print (a dye-sub takes 8–15 s). */
const DEMO_PRINT_SECONDS = 8;
const FIRST_PRINTER_PORT = COORDINATOR_PORT + 11;
/** The demo's printers sync and report every 5 s: quick enough to watch, quiet enough to read. */
const PRINTER_INTERVAL_MS = 5_000;
/** pino's "warn": printer log lines at or above it are shown. */
const WARN_LEVEL = 40;

/** What an unpaired edge node prints on start (edge-node/main.ts). */
const PAIRING_NOTICE = /\n?Pairing code of this printer:\n[0-9a-f]{64}\n/g;

/** The demo's prices include this much tax (the kiosk receipt's tax line). */
const DEMO_TAX_RATE_PERCENT = 19;
/** Each demo station's simulated card reader, tapped on the coordinator's /terminal/test page. */
const demoReaderId = (i: number) => `tmr_printer_${i + 1}`;

const log = (line = '') => process.stdout.write(`${line}\n`);

const kit = new VenueKit({
  dir: DEMO_DIR,
  coordinator: {
    kind: 'in-process',
    port: COORDINATOR_PORT,
    logLevel: 'warn',
    portSetting: 'VPM_DEMO_PORT',
    taxRatePercent: DEMO_TAX_RATE_PERCENT,
  },
  bootstrap: 'coordinator',
  seed: {
    venueName: VENUE_NAME,
    eventName: EVENT_NAME,
    photographerName: 'Demo Photographer',
    windowMs: 4 * 3_600_000,
    priceList: { currency: 'EUR', unitPriceCents: 800, bundles: [{ copies: 3, priceCents: 2000 }] },
  },
});

let ippLab: IppLab | null = null;

async function stop(code: number): Promise<never> {
  try {
    await kit.close();
    await ippLab?.close();
  } catch (err) {
    process.stderr.write(`demo: stopping failed: ${(err as Error).stack ?? err}\n`);
    code = 1;
  }
  process.exit(code);
}

/** Distance between demo stations on the venue plan (metres). */
const DEMO_STATION_SPACING_M = 15;

async function main(): Promise<void> {
  await rm(DEMO_DIR, { recursive: true, force: true });
  const onSignal = () => {
    log('\nStopping the demo…');
    void stop(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  await kit.ready();
  const { base, operator, event } = kit;
  const photos = await kit.uploadPhotos(PHOTOS, labelledPhoto, (i) => `photo-${i + 1}.jpg`);
  const frames = await addSampleTemplates(base, operator, event.id);
  const dirNames = Array.from({ length: PRINTERS }, (_, i) => `printer-${i + 1}`);
  const photoPrinters = await startPhotoPrinters();
  const printers = await kit.startPrinters(
    dirNames.map((dirName, i) => ({
      name: `Printer ${i + 1}`,
      dirName,
      config: {
        ...photoStationConfig(photoPrinters[i] ?? null, join(DEMO_DIR, dirName, 'prints')),
        schedule: { intervalMs: PRINTER_INTERVAL_MS },
        statusPort: FIRST_PRINTER_PORT + i,
        cardReaderId: demoReaderId(i),
        reportIntervalMs: PRINTER_INTERVAL_MS,
        // 15 m apart along one wall: kiosks weigh the walk and name the nearest working printer (docs/routing.md).
        routing: { position: { x: i * DEMO_STATION_SPACING_M, y: 0 } },
      },
      process: {
        // The kit paired the printers already: their "pairing code" notice would only confuse.
        onStderr: (chunk) => {
          const text = chunk.toString().replace(PAIRING_NOTICE, '');
          if (text.trim()) process.stderr.write(text);
        },
        onLine: (line) => {
          if (isWarning(line)) process.stderr.write(`printer ${i + 1}: ${line}\n`);
        },
      },
    })),
  );

  // One sample order, paid through the test gateway's hosted page, so a redemption can be tried at once.
  const sample = await kit.buyAndPay([
    { imageId: photos[0]!.id, copies: 2 },
    { imageId: photos[5]!.id, copies: 1 },
  ]);
  const qrPath = join(DEMO_DIR, 'sample-order-qr.png');
  await writeFile(qrPath, await kit.client.orderQrPng(sample.orderId));
  const sampleCode = (await kit.client.order(sample.orderId)).order.code;

  const urls = printers.map((p) => p.url);
  log('');
  log('venue print mesh demo is running. Ctrl-C stops it all.');
  log('');
  log(`  fan shop        ${base}/e/${event.id}   (the "${EVENT_NAME}" gallery, ${PHOTOS} photos)`);
  log(`  dashboard       ${base}/ops   (sign in with the operator token: ${operator})`);
  log(`  own photos      ${base}/own-photos   (upload from a phone; "Print your own photos" at a kiosk)`);
  log(
    `  frames          ${frames.join(', ')}: in the cart and at each kiosk (Find your photos → Frame) per print; ${base}/ops/events/${event.id}/templates`,
  );
  for (const [i, u] of urls.entries()) {
    log(`  printer ${i + 1}       kiosk ${u}/kiosk   status ${u}/status`);
    const photo = photoPrinters[i];
    if (photo) log(`                  colour photos land in ${photo.outDir} (IPP ${photo.uri}); receipts in`);
    log(`                  ${photo ? '' : 'prints land in '}${join(DEMO_DIR, dirNames[i]!, 'prints')}`);
  }
  log(`  The ${PRINTERS} printers are paired with the venue "${VENUE_NAME}" already.`);
  log(`  card reader     ${base}/terminal/test   (the TEST card terminal: "tap a card" for a kiosk`);
  log(`                  waiting for one; readers ${urls.map((_, i) => demoReaderId(i)).join(', ')},`);
  log(`                  each assigned to its printer at pairing: ${base}/ops/printers shows and changes it)`);
  log('');
  log('Buy at a kiosk: "Find your photos", tap photos, Pay, then "Pay by card" (approve it on the card');
  log(`reader page) or "Pay with your phone" (${base}/pay/test-kiosk lists the waiting QR payments: open one, Pay).`);
  log(
    'Own photos at a kiosk: "Print your own photos", the code and PIN, then "Pay … by card" on the same reader page.',
  );
  log('');
  log('A sample order is paid and ready to print at any printer:');
  log(`  order page      ${base}/o/${sample.orderId}`);
  log(`  code to type    ${sampleCode}   (the kiosk's "Type a code" keypad)`);
  log(`  QR code         ${qrPath}   (show it to a kiosk's camera, or:)`);
  log(`  npm run redeem -- --image ${qrPath} --node ${urls[1]}`);
  log(`  after the event ${base}/e/${event.id}/reorder?from=${sample.orderId}   (8×10, canvas, digital files; the`);
  log(`                  demo lab ships by itself: tracking on the order's page; staff: ${base}/ops/fulfilment)`);
  log('');
  log('Next: the README\'s "A first session with curl" runs against this demo as written.');
  log(`Data: ${DEMO_DIR} (operator token in ${join(DEMO_DIR, 'coordinator', 'operator-token')}).`);
  log('Every start of the demo deletes it and begins afresh; VPM_DEMO_DIR and VPM_DEMO_PORT move it.');
}

/** Colour photo printers (Debian's ippeveprinter), one per station, when the machine has them. */
async function startPhotoPrinters(): Promise<Array<LabPrinter | null>> {
  if (!ippAvailable()) {
    log('No IPP test printer on this machine (scripts/ensure-ipp.sh installs it): file printers only.');
    return [];
  }
  try {
    ippLab = await new IppLab().start();
    const lab = ippLab;
    const printers: LabPrinter[] = [];
    for (let i = 0; i < PRINTERS; i++) {
      printers.push(await lab.addPrinter({ name: `demo-photo-${i + 1}`, printSeconds: DEMO_PRINT_SECONDS }));
    }
    return printers;
  } catch (err) {
    log(`IPP test printers not started (${(err as Error).message}): file printers only.`);
    await ippLab?.close();
    ippLab = null;
    return [];
  }
}

/** A photo station: one IPP photo printer plus a file receipt printer; without IPP the kit's file printer. */
function photoStationConfig(photo: LabPrinter | null, receiptsDir: string): Record<string, unknown> {
  if (!photo) return {};
  return {
    printers: [{ kind: 'ipp', name: 'photo', uri: photo.uri, tray: 'photo printer', rollPrints: 400 }],
    receiptPrinter: { kind: 'file', dir: receiptsDir },
  };
}

function isWarning(line: string): boolean {
  try {
    return ((JSON.parse(line) as { level?: number }).level ?? 0) >= WARN_LEVEL;
  } catch {
    return false; // not a log line
  }
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${(err as Error).stack ?? err}\n`);
  void stop(1);
});
