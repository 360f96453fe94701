/**
 * Screenshots of the fan shop at phone (360×740) and desktop (1280×800) sizes, through the whole
 * purchase: gallery → preview → cart → test gateway's hosted page → order page → printing → printed.
 * For people to look at (layout at 360 px, contrast, nothing cut off); written to test-artifacts/shop/.
 *
 *   node --import tsx test/e2e/shop-screenshots.ts
 *
 * Uses Debian's chromium (VPM_CHROMIUM, default /usr/bin/chromium). Loopback only: the harness's
 * public URL (http://shop.test) is routed inside the browser to the local server.
 */
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import {
  asOperator,
  createEvent,
  createHarness,
  HOUR_MS,
  newPrinterKeys,
  printerCall,
  sampleJpeg,
  seedEvent,
} from '../fixtures/app-harness.ts';

const OUT_DIR = join(process.cwd(), 'test-artifacts', 'shop');
const PHONE = { width: 360, height: 740 };
const DESKTOP = { width: 1280, height: 800 };
const HOSTILE_EVENT = 'Cup final <script>alert(1)</script> & "Nordkurve" Überlänge-ohne-Leerzeichen-Ganz-Lang';
const HOSTILE_PHOTOGRAPHER = 'Eve <img src=x onerror=alert(1)>';

async function main(): Promise<void> {
  await mkdir(OUT_DIR, { recursive: true });
  const h = await createHarness();
  const server = createServer(h.callback);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let browser: Browser | null = null;
  try {
    const seeded = await seed(h);
    browser = await chromium.launch({
      executablePath: process.env.VPM_CHROMIUM ?? '/usr/bin/chromium',
      // Run as root in CI, where Chromium's sandbox cannot start.
      chromiumSandbox: false,
    });
    const shots: string[] = [];
    const shoot = async (page: Page, name: string, fullPage = true) => {
      const path = join(OUT_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage });
      shots.push(path);
    };
    for (const [label, viewport] of [
      ['phone', PHONE],
      ['desktop', DESKTOP],
    ] as const) {
      const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
      // The gateway's checkout URL and return URL name the harness's public URL: send the browser home.
      await context.route('http://shop.test/**', async (route) => {
        const url = new URL(route.request().url());
        await route.fulfill({ status: 307, headers: { location: base + url.pathname + url.search } });
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => {
        if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
      });
      page.on('response', (r) => {
        const path = new URL(r.url()).pathname;
        if (r.status() >= 400 && path !== '/e/nope' && path !== '/favicon.ico') errors.push(`${r.status()} ${path}`);
      });

      await page.goto(`${base}/`);
      await shoot(page, `${label}-home`);
      await page.goto(`${base}/e/${seeded.eventId}`);
      await page.waitForLoadState('networkidle');
      await shoot(page, `${label}-gallery`);
      await checkNoHorizontalScroll(page, `${label} gallery`);

      await checkKeyboard(page, label);
      // A photographer uploads while the fan looks: the page offers the new photo.
      h.clock.advance(1000);
      await h.http
        .post(`/api/events/${seeded.eventId}/images`)
        .set({ authorization: `Bearer ${photographerToken()}` })
        .attach('image', await sampleJpeg(label.length * 1000 + 7), `NEW_${label}.jpg`)
        .expect(201);
      await page.locator('#show-new:not([hidden])').waitFor({ timeout: 15_000 });
      await shoot(page, `${label}-gallery-new-photos`, false);
      await page.locator('#show-new').click();
      await page.locator('#grid a').first().click();
      await page.locator('#viewer[open]').waitFor();
      await page.locator('#viewer-add').click();
      await page.locator('#viewer-next').click();
      await page.locator('#viewer-add').click();
      await page.locator('#viewer-add').click();
      await page.waitForTimeout(200);
      await shoot(page, `${label}-viewer`, false);
      await page.keyboard.press('Escape');
      await page.locator('#cart-open').click();
      await page.locator('#checkout:not([disabled])').waitFor();
      await shoot(page, `${label}-cart`, false);

      await page.locator('#checkout').click();
      await page.waitForURL(/\/pay\/test\//);
      await page.getByRole('button', { name: /^Pay / }).click();
      await page.waitForURL(/\/o\//);
      await page.locator('#qr-box:not([hidden])').waitFor();
      await shoot(page, `${label}-order-paid`);
      await checkNoHorizontalScroll(page, `${label} order`);

      // A printer scans the code and prints one unit: the open page follows live.
      const orderId = new URL(page.url()).pathname.split('/').pop()!;
      const token = (await h.http.get(`/api/orders/${orderId}`).expect(200)).body.redemption.token as string;
      await printerCall(h, seeded.printer, 'post', '/api/printer/redeem', { token }).expect(200);
      await printerCall(h, seeded.printer, 'post', `/api/printer/orders/${orderId}/units/0/printed`).expect(200);
      await page.locator('#status.tone-printing').waitFor({ timeout: 10_000 });
      await shoot(page, `${label}-order-printing`);
      const units = (await h.store.getOrder(orderId))!.unitCount;
      for (let unit = 1; unit < units; unit++) {
        await printerCall(h, seeded.printer, 'post', `/api/printer/orders/${orderId}/units/${unit}/printed`).expect(
          200,
        );
      }
      await page.locator('#status.tone-done').waitFor({ timeout: 10_000 });
      await shoot(page, `${label}-order-printed`);

      await page.goto(`${base}/o/${seeded.declinedOrderId}`);
      await shoot(page, `${label}-order-declined`);
      await page.goto(`${base}/e/${seeded.eventId}?photographer=nobody`);
      await shoot(page, `${label}-gallery-empty-filter`);
      await page.goto(`${base}/e/nope`);
      await shoot(page, `${label}-not-found`);
      if (errors.length > 0) throw new Error(`browser errors on ${label}: ${errors.join('\n')}`);
      await context.close();
    }
    process.stdout.write(`${shots.join('\n')}\n`);
  } finally {
    await browser?.close();
    await new Promise((resolve) => server.close(resolve));
    await h.close();
  }
}

/** Tab reaches a photo, Enter opens the preview, arrows step, Escape closes and focus comes back. */
async function checkKeyboard(page: Page, label: string): Promise<void> {
  const focused = () => page.evaluate('document.activeElement?.dataset?.image ?? document.activeElement?.id ?? ""');
  for (let i = 0; i < 20 && !(await page.evaluate('!!document.activeElement?.dataset?.image')); i++) {
    await page.keyboard.press('Tab');
  }
  const first = await focused();
  if (!first) throw new Error(`${label}: Tab never reached a photo`);
  await page.screenshot({ path: join(OUT_DIR, `${label}-focus.png`) });
  await page.keyboard.press('Enter');
  await page.locator('#viewer[open]').waitFor();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Escape');
  await page.locator('#viewer').waitFor({ state: 'hidden' });
  if ((await focused()) !== first) throw new Error(`${label}: focus did not return to the photo`);
}

async function checkNoHorizontalScroll(page: Page, what: string): Promise<void> {
  // A string, evaluated in the page: this file is type-checked without the DOM library.
  const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
  if (overflow > 0) throw new Error(`${what}: page is ${overflow}px wider than the viewport`);
}

async function seed(h: Awaited<ReturnType<typeof createHarness>>) {
  const now = h.clock.now();
  const { venue, event } = await seedEvent(h, {
    name: HOSTILE_EVENT,
    startsAt: now - HOUR_MS,
    endsAt: now + 3 * HOUR_MS,
  });
  await createEvent(h, venue.id, {
    name: 'Next week: Derby',
    startsAt: now + 7 * 24 * HOUR_MS,
    endsAt: now + 7 * 24 * HOUR_MS + 2 * HOUR_MS,
    priceList: { currency: 'EUR', unitPriceCents: 800, bundles: [] },
  });
  const eve = (
    await h.http.post('/api/credentials').set(asOperator).send({ role: 'photographer', name: HOSTILE_PHOTOGRAPHER })
  ).body.token as string;
  const images: string[] = [];
  for (let i = 0; i < 14; i++) {
    const portrait = i % 3 === 0;
    h.clock.advance(90_000);
    const res = await h.http
      .post(`/api/events/${event.id}/images`)
      .set({
        authorization:
          i % 2 ? `Bearer ${eve}` : asOperator.authorization.replace(/.*/, `Bearer ${photographerToken()}`),
      })
      .attach('image', await sampleJpeg(i * 37 + 5, portrait ? 480 : 640, portrait ? 640 : 480), `IMG_${i}.jpg`)
      .expect(201);
    images.push(res.body.image.id);
  }
  const keys = newPrinterKeys();
  await h.http
    .post(`/api/venues/${venue.id}/printers`)
    .set(asOperator)
    .send({ publicKey: keys.id, name: 'Printer North Stand' })
    .expect(201);
  const declined = await h.http
    .post('/api/orders')
    .send({ eventId: event.id, items: [{ imageId: images[0], copies: 2 }] })
    .expect(201);
  await h.http.post(new URL(declined.body.checkoutUrl).pathname).type('form').send({ outcome: 'decline' }).expect(302);
  return { eventId: event.id as string, printer: keys, declinedOrderId: declined.body.order.id as string };
}

function photographerToken(): string {
  return 'photographer-token-for-tests-0123456789';
}

await main();
