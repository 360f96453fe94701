import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { labelledPhoto } from './venue-kit/photos.ts';
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
const PHOTOS = 12;
const FIRST_PRINTER_PORT = COORDINATOR_PORT + 11;
/** The demo's printers sync and report every 5 s: quick enough to watch, quiet enough to read. */
const PRINTER_INTERVAL_MS = 5_000;
/** pino's "warn": printer log lines at or above it are shown. */
const WARN_LEVEL = 40;

const log = (line = '') => process.stdout.write(`${line}\n`);

const kit = new VenueKit({
  dir: DEMO_DIR,
  coordinator: { kind: 'in-process', port: COORDINATOR_PORT, logLevel: 'warn' },
  bootstrap: 'coordinator',
  seed: {
    venueName: 'Demo Arena',
    eventName: 'Demo Cup Final',
    photographerName: 'Demo Photographer',
    windowMs: 4 * 3_600_000,
    priceList: { currency: 'EUR', unitPriceCents: 800, bundles: [{ copies: 3, priceCents: 2000 }] },
  },
});

async function stop(code: number): Promise<never> {
  try {
    await kit.close();
  } catch (err) {
    process.stderr.write(`demo: stopping failed: ${(err as Error).stack ?? err}\n`);
    code = 1;
  }
  process.exit(code);
}

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
  const dirNames = Array.from({ length: PRINTERS }, (_, i) => `printer-${i + 1}`);
  const printers = await kit.startPrinters(
    dirNames.map((dirName, i) => ({
      name: `Printer ${i + 1}`,
      dirName,
      config: {
        schedule: { intervalMs: PRINTER_INTERVAL_MS },
        statusPort: FIRST_PRINTER_PORT + i,
        reportIntervalMs: PRINTER_INTERVAL_MS,
      },
      process: {
        onStderr: (chunk) => process.stderr.write(chunk),
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

  const urls = printers.map((p) => p.url);
  log('');
  log('venue print mesh demo is running. Ctrl-C stops it all.');
  log('');
  log(`  fan shop        ${base}/`);
  log(`  dashboard       ${base}/ops   (sign in with the operator token: ${operator})`);
  log(`  event           ${base}/api/events/${event.id}/images   (${PHOTOS} photos)`);
  for (const [i, u] of urls.entries()) {
    log(`  printer ${i + 1}       kiosk ${u}/kiosk   status ${u}/status`);
    log(`                  prints land in ${join(DEMO_DIR, dirNames[i]!, 'prints')}`);
  }
  log('');
  log('Open a kiosk in a browser (camera, or type/scan the code) and show it the sample QR code:');
  log(`  ${qrPath}`);
  log('');
  log('Redeem the sample order (paid already) at any printer:');
  log(`  npm run redeem -- --image ${qrPath} --node ${urls[1]}`);
  log('');
  log('Place and pay an order yourself:');
  log(
    `  curl -s -H 'content-type: application/json' ${base}/api/orders -d '{"eventId":"${event.id}","items":[{"imageId":"${photos[2]!.id}","copies":1}]}'`,
  );
  log('  open the checkoutUrl it prints and press "Pay", then:');
  log(
    `  curl -s -o my-qr.png ${base}/api/orders/<order id>/qr.png && npm run redeem -- --image my-qr.png --node ${urls[0]}`,
  );
  log('');
  log('Delivery status (which printer holds which photo):');
  log(`  curl -s -H 'authorization: Bearer ${operator}' ${base}/api/events/${event.id}/delivery`);
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
