import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import pino from 'pino';
import sharp from 'sharp';
import { configSchema } from '../coordinator/config.ts';
import { Coordinator } from '../coordinator/coordinator.ts';
import { IppLab, ippAvailable, type LabPrinter } from '../test/helpers/ipp-lab.ts';
import { loadOrCreateIdentity } from './identity.ts';

/**
 * `npm run demo`: a whole venue on this machine. A coordinator (embedded store, its own DHT
 * bootstrap on 127.0.0.1), three paired edge-node processes with file printers, an event with
 * generated photos, and one paid sample order ready to redeem. Ctrl-C stops everything.
 * With Debian's IPP test printer installed (scripts/ensure-ipp.sh, as root) each printer is a photo
 * station with one IPP photo printer (ippeveprinter, colour 4×6 prints) and a file receipt printer.
 */
const DEMO_DIR = resolve(process.env.VPM_DEMO_DIR ?? 'data/demo');
const COORDINATOR_PORT = Number(process.env.VPM_DEMO_PORT ?? 8080);
const PRINTERS = 3;
const PHOTOS = 12;
const FIRST_PRINTER_PORT = COORDINATOR_PORT + 11;

const log = (line = '') => process.stdout.write(`${line}\n`);

async function call<T>(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown } = {},
): Promise<T> {
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    redirect: 'manual',
  });
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  const text = await res.text();
  return (text ? JSON.parse(text) : {}) as T;
}

async function samplePhoto(i: number): Promise<Buffer> {
  const hue = (i * 47) % 360;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="1067">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="hsl(${hue},70%,55%)"/><stop offset="1" stop-color="hsl(${(hue + 120) % 360},70%,25%)"/>
    </linearGradient></defs>
    <rect width="1600" height="1067" fill="url(#g)"/>
    <circle cx="${400 + i * 60}" cy="480" r="260" fill="white" fill-opacity="0.35"/>
    <text x="800" y="600" font-size="220" font-family="sans-serif" text-anchor="middle" fill="white">Photo ${i + 1}</text>
  </svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
}

async function main(): Promise<void> {
  await rm(DEMO_DIR, { recursive: true, force: true });
  await mkdir(DEMO_DIR, { recursive: true });
  const coordinator = new Coordinator(
    configSchema.parse({
      port: COORDINATOR_PORT,
      dataDir: join(DEMO_DIR, 'coordinator'),
      dhtPort: 0,
      logLevel: 'warn',
    }),
    pino({ level: 'warn', base: { service: 'coordinator' } }),
  );
  const children: ChildProcess[] = [];
  let ippLab: IppLab | null = null;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    log('\nStopping the demo…');
    await Promise.all(
      children.map(async (c) => {
        if (c.exitCode !== null) return;
        c.kill('SIGTERM');
        await once(c, 'exit');
      }),
    );
    await coordinator.close();
    await ippLab?.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  await coordinator.ready();
  const base = coordinator.url;
  const operator = (await readFile(join(DEMO_DIR, 'coordinator', 'operator-token'), 'utf8')).trim();
  const { venue } = await call<{ venue: { id: string } }>(base, 'POST', '/api/venues', {
    token: operator,
    body: { name: 'Demo Arena' },
  });
  const now = Date.now();
  const { event } = await call<{ event: { id: string } }>(base, 'POST', '/api/events', {
    token: operator,
    body: {
      venueId: venue.id,
      name: 'Demo Cup Final',
      startsAt: now,
      endsAt: now + 4 * 3_600_000,
      priceList: { currency: 'EUR', unitPriceCents: 800, bundles: [{ copies: 3, priceCents: 2000 }] },
    },
  });
  const { token: photographer } = await call<{ token: string }>(base, 'POST', '/api/credentials', {
    token: operator,
    body: { role: 'photographer', name: 'Demo Photographer' },
  });
  const imageIds: string[] = [];
  for (let i = 0; i < PHOTOS; i++) {
    const form = new FormData();
    form.append('image', new Blob([await samplePhoto(i)]), `photo-${i + 1}.jpg`);
    const res = await fetch(`${base}/api/events/${event.id}/images`, {
      method: 'POST',
      headers: { authorization: `Bearer ${photographer}` },
      body: form,
    });
    imageIds.push(((await res.json()) as { image: { id: string } }).image.id);
  }

  if (ippAvailable()) {
    try {
      ippLab = await new IppLab().start();
    } catch (err) {
      log(`IPP test printers not started (${(err as Error).message}): file printers only.`);
    }
  }
  const printerUrls: string[] = [];
  const photoPrinters: Array<LabPrinter | null> = [];
  for (let i = 0; i < PRINTERS; i++) {
    const photo = ippLab ? await ippLab.addPrinter({ name: `demo-photo-${i + 1}`, printSeconds: 8 }) : null;
    photoPrinters.push(photo);
    const dir = join(DEMO_DIR, `printer-${i + 1}`);
    const identity = await loadOrCreateIdentity(join(dir, 'identity.json'));
    await call(base, 'POST', `/api/venues/${venue.id}/printers`, {
      token: operator,
      body: { publicKey: identity.pairingCode, name: `Printer ${i + 1}` },
    });
    const configPath = join(dir, 'config.json');
    await writeFile(
      configPath,
      JSON.stringify({
        coordinatorUrl: base,
        name: `Printer ${i + 1}`,
        dataDir: dir,
        dhtBootstrap: coordinator.dhtBootstrap,
        printer: { kind: 'file', dir: join(dir, 'prints') },
        ...(photo
          ? {
              printers: [{ kind: 'ipp', name: 'photo', uri: photo.uri, tray: 'photo printer', rollPrints: 400 }],
              receiptPrinter: { kind: 'file', dir: join(dir, 'prints') },
            }
          : {}),
        schedule: { intervalMs: 5_000 },
        statusPort: FIRST_PRINTER_PORT + i,
        reportIntervalMs: 5_000,
      }),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', 'edge-node/main.ts', '--config', configPath], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const lines = createInterface({ input: child.stdout! });
    printerUrls.push(
      await new Promise<string>((ok, fail) => {
        lines.on('line', (line) => {
          try {
            const entry = JSON.parse(line) as { msg?: string; local?: string; level?: number };
            if (entry.msg === 'edge node ready' && entry.local) ok(entry.local);
            else if ((entry.level ?? 0) >= 40) process.stderr.write(`printer ${i + 1}: ${line}\n`);
          } catch {
            // not a log line
          }
        });
        child.once('exit', (code) => fail(new Error(`printer ${i + 1} exited with ${code}`)));
      }),
    );
  }

  // One sample order, paid through the test gateway's hosted page, so a redemption can be tried at once.
  const order = await call<{ order: { id: string }; checkoutUrl: string }>(base, 'POST', '/api/orders', {
    body: {
      eventId: event.id,
      items: [
        { imageId: imageIds[0], copies: 2 },
        { imageId: imageIds[5], copies: 1 },
      ],
    },
  });
  await fetch(order.checkoutUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'outcome=pay',
    redirect: 'manual',
  });
  const qrPath = join(DEMO_DIR, 'sample-order-qr.png');
  await writeFile(
    qrPath,
    Buffer.from(await (await fetch(`${base}/api/orders/${order.order.id}/qr.png`)).arrayBuffer()),
  );

  log('');
  log('venue print mesh demo is running. Ctrl-C stops it all.');
  log('');
  log(`  fan shop        ${base}/`);
  log(`  dashboard       ${base}/ops   (sign in with the operator token: ${operator})`);
  log(`  event           ${base}/api/events/${event.id}/images   (${PHOTOS} photos)`);
  for (const [i, u] of printerUrls.entries()) {
    log(`  printer ${i + 1}       kiosk ${u}/kiosk   status ${u}/status`);
    const photo = photoPrinters[i];
    if (photo) log(`                  colour photos land in ${photo.outDir} (IPP ${photo.uri}), receipts in:`);
    log(`                  prints land in ${join(DEMO_DIR, `printer-${i + 1}`, 'prints')}`);
  }
  log('');
  log('Open a kiosk in a browser (camera, or type/scan the code) and show it the sample QR code:');
  log(`  ${qrPath}`);
  log('');
  log('Redeem the sample order (paid already) at any printer:');
  log(`  npm run redeem -- --image ${qrPath} --node ${printerUrls[1]}`);
  log('');
  log('Place and pay an order yourself:');
  log(
    `  curl -s -H 'content-type: application/json' ${base}/api/orders -d '{"eventId":"${event.id}","items":[{"imageId":"${imageIds[2]}","copies":1}]}'`,
  );
  log('  open the checkoutUrl it prints and press "Pay", then:');
  log(
    `  curl -s -o my-qr.png ${base}/api/orders/<order id>/qr.png && npm run redeem -- --image my-qr.png --node ${printerUrls[0]}`,
  );
  log('');
  log('Delivery status (which printer holds which photo):');
  log(`  curl -s -H 'authorization: Bearer ${operator}' ${base}/api/events/${event.id}/delivery`);
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
