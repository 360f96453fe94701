import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { PAPER_OUT_FILE } from '../../edge-node/printing/file-printer.ts';
import { decodeQrFromRgba } from '../../shared/qr/decode-qr.ts';
import { api } from '../../tools/venue-kit/http.ts';
import { waitFor } from '../fixtures/feed-fixtures.ts';
import { startVenue, startVenuePrinter, type Venue } from '../fixtures/venue-harness.ts';
import { launchChromium, PHONE_VIEWPORT, screenshot, waitForKioskScreen } from './browser.ts';
import { signInAsOperator } from './ops-flow.ts';

/**
 * Issue #13 in Chromium: buying at the kiosk. (1) gallery → basket → card on the test terminal →
 * prints and a receipt with the masked card and authorisation code → captured; (2) basket → payment
 * QR → paid on the phone page → prints; (4) decline, timeout, cancel and a print failure: the
 * authorisation is voided and nothing is captured.
 */
const E2E_TEST_TIMEOUT_MS = 150_000;
const PRINT_DONE_TIMEOUT_MS = 45_000;
const READER = 'tmr_station_k';

interface SaleRow {
  id: string;
  state: string;
  channel: string;
  totalCents: number;
  card: { brand: string; last4: string } | null;
  authorisationCode: string | null;
}

async function sales(venue: Venue): Promise<SaleRow[]> {
  return (await api<{ sales: SaleRow[] }>(venue.base, 'GET', '/api/kiosk-sales', { token: venue.operator })).body.sales;
}

async function saleSettles(venue: Venue, id: string, state: string): Promise<boolean> {
  return waitFor(async () => (await sales(venue)).find((s) => s.id === id)?.state === state, 15_000, 200);
}

async function files(dir: string, ext: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith(ext)).sort();
}

/** A venue, one printer with a card reader that holds every photo, and a kiosk page on "Find your photos". */
async function kioskVenue(t: ExecutionContext) {
  const venue = await startVenue(t, { images: 3, imageSide: 600, taxRatePercent: 19 });
  const printer = await startVenuePrinter(t, venue, 'Printer K', { cardReaderId: READER });
  const held = await waitFor(
    async () => {
      const res = await fetch(`${printer.url}/kiosk/shop/gallery`);
      return ((await res.json()) as { total: number }).total === 3;
    },
    30_000,
    250,
  );
  t.true(held, 'the printer holds the three photos');
  const run = await launchChromium(t);
  const kiosk = await run.newPage();
  await kiosk.goto(`${printer.url}/kiosk?return=8`);
  return { venue, printer, run, kiosk, prints: join(venue.dir, 'Printer K', 'prints') };
}

async function openGallery(kiosk: Page): Promise<void> {
  await kiosk.click('#find-photos-button');
  await waitForKioskScreen(kiosk, 'gallery');
  // The page's policy allows no eval: poll with $$eval (a function call, not a string).
  const shown = await waitFor(
    async () =>
      (
        await kiosk.$$eval('#gallery-grid .tile img', (imgs) =>
          imgs.map((i) => (i as unknown as { complete: boolean; naturalWidth: number }).naturalWidth > 0),
        )
      ).filter(Boolean).length === 3,
    20_000,
    100,
  );
  if (!shown) throw new Error('the gallery did not show three photos');
}

/** Taps tiles (by index) and their "+" buttons; waits for the total. */
async function fillBasket(kiosk: Page, picks: Array<{ tile: number; copies: number }>, total: string) {
  for (const p of picks) {
    const tile = kiosk.locator('#gallery-grid .tile').nth(p.tile);
    await tile.locator('.tile-pick').click();
    for (let c = 1; c < p.copies; c++) await tile.locator('button[aria-label="One copy more"]').click();
  }
  await kiosk
    .locator('#basket-summary', { hasText: total })
    .waitFor({ timeout: 10_000 })
    .catch(async (err: unknown) => {
      await screenshot(kiosk, 'commerce-debug-basket');
      const quote = await kiosk.evaluate(async () => {
        const r = await fetch('/kiosk/shop/gallery');
        return r.text();
      });
      throw new Error(`${(err as Error).message}\n${quote.slice(0, 500)}`);
    });
}

async function payByCard(kiosk: Page): Promise<string> {
  await kiosk.click('#basket-pay');
  await waitForKioskScreen(kiosk, 'pay');
  await kiosk.waitForSelector('#pay-card:not([hidden]):not([disabled])');
  const created = kiosk.waitForResponse(
    (r) => r.url().endsWith('/kiosk/shop/sales') && r.request().method() === 'POST',
  );
  await kiosk.click('#pay-card');
  const body = (await (await created).json()) as { sale: { id: string } };
  await kiosk.waitForSelector('#screen-pay[data-pay="card"]');
  return body.sale.id;
}

/** A person at the simulated reader: the test terminal's own page, one button per outcome. */
async function tapCard(reader: Page, base: string, outcome: string, shot?: string): Promise<void> {
  await reader.goto(`${base}/terminal/test`);
  const button = reader.locator(`[data-reader="${READER}"] button[data-outcome="${outcome}"]`);
  await button.waitFor({ timeout: 10_000 });
  if (shot) await screenshot(reader, shot);
  await button.click();
}

test.serial(
  '(1) gallery → basket → card on the test terminal → prints and a receipt with masked card and auth code → captured',
  async (t) => {
    t.timeout(E2E_TEST_TIMEOUT_MS);
    const { venue, run, kiosk, prints } = await kioskVenue(t);
    // Enabled once the shop's script has bound it (it loads after the page).
    await kiosk.waitForSelector('#find-photos-button:enabled');
    await screenshot(kiosk, 'commerce-1-1-attract');
    await openGallery(kiosk);
    await screenshot(kiosk, 'commerce-1-2-gallery');
    // The shop's filters, as big buttons: by photographer (the kit's photographer is "P") and by hour.
    await kiosk.locator('#gallery-photographers .chip', { hasText: /^P$/ }).click();
    await kiosk.locator('#gallery-photographers .chip[aria-pressed="true"]', { hasText: /^P$/ }).waitFor();
    t.is(await kiosk.locator('#gallery-grid .tile').count(), 3);
    await kiosk.locator('#gallery-hours .chip').nth(1).click();
    await kiosk.locator('#gallery-hours .chip[aria-pressed="true"]').nth(0).waitFor();
    t.is(await kiosk.locator('#gallery-grid .tile').count(), 3);
    await screenshot(kiosk, 'commerce-1-2b-gallery-filtered');
    await kiosk.locator('#gallery-photographers .chip', { hasText: 'All photographers' }).click();
    await kiosk.locator('#gallery-hours .chip', { hasText: 'All times' }).click();
    await kiosk.locator('#gallery-hours .chip[aria-pressed="true"]', { hasText: 'All times' }).waitFor();
    // Photo 1 once, photo 2 twice: 3 prints at the kit's 5.00 each, priced by the shop's pricing.
    await fillBasket(
      kiosk,
      [
        { tile: 0, copies: 1 },
        { tile: 1, copies: 2 },
      ],
      '3 prints · 15.00 EUR',
    );
    await screenshot(kiosk, 'commerce-1-3-basket');
    const saleId = await payByCard(kiosk);
    t.regex((await kiosk.textContent('#pay-title')) ?? '', /Pay 15\.00 EUR/);
    t.regex((await kiosk.textContent('#pay-tax')) ?? '', /19% tax: 2\.39 EUR/);
    await screenshot(kiosk, 'commerce-1-4-hold-card');

    const reader = await run.newPage(PHONE_VIEWPORT);
    await tapCard(reader, venue.base, 'approve', 'commerce-1-5-test-card-reader');
    await waitForKioskScreen(kiosk, 'progress', 20_000);
    await kiosk.waitForSelector('#kiosk[data-outcome="done"]', { timeout: PRINT_DONE_TIMEOUT_MS });
    await screenshot(kiosk, 'commerce-1-6-printed');

    const photos = await files(prints, '.escpos');
    t.is(photos.length, 4, `three photos and a receipt: ${photos.join(', ')}`);
    const receiptName = (await files(prints, '.txt')).find((f) => f.includes('receipt'));
    t.truthy(receiptName, 'a receipt preview');
    const receipt = await readFile(join(prints, receiptName!), 'utf8');
    t.log(receipt);
    t.regex(receipt, /Total paid\s+15\.00 EUR/);
    t.regex(receipt, /incl\. tax 19%\s+2\.39 EUR/);
    t.regex(receipt, /Paid by card\s+VISA \*\*\*\* 4242/);
    t.regex(receipt, /Auth\. code\s+[0-9A-F]{6}/);
    t.regex(receipt, /Time: \d{4}-\d\d-\d\dT/);
    t.notRegex(receipt, /\d{12,19}/, 'no card number on the receipt');

    t.true(await saleSettles(venue, saleId, 'captured'), 'captured after the prints came out');
    const sale = (await sales(venue)).find((s) => s.id === saleId)!;
    t.deepEqual(sale.card, { brand: 'visa', last4: '4242' });
    t.true(receipt.includes(sale.authorisationCode!), 'the receipt carries the authorisation code');
    // The next person starts with an empty basket.
    await kiosk.waitForSelector('#kiosk[data-screen="attract"]', { timeout: 15_000 });
    await kiosk.click('#find-photos-button');
    await waitForKioskScreen(kiosk, 'gallery');
    t.is(await kiosk.locator('#gallery-grid .tile[data-copies]').count(), 0);
    t.is(await kiosk.textContent('#basket-summary'), 'Tap the photos you want');
    await screenshot(kiosk, 'commerce-1-7-next-person');
    // The operator's dashboard: the kiosk card sale in its channel and station, the reader connected;
    // the console refunds it through the card terminal.
    const ops = await run.newPage();
    await signInAsOperator(ops, venue.base, venue.operator);
    const station = ops.locator('#kiosk-stations tr', { hasText: 'Printer K' });
    t.is(await station.locator('[data-reader-status]').getAttribute('data-reader-status'), 'online');
    t.regex((await station.textContent()) ?? '', /Kiosk, card: 1 · 15\.00 EUR/);
    await ops.locator('#channels-heading').scrollIntoViewIfNeeded();
    await screenshot(ops, 'commerce-1-8-ops-dashboard');
    await ops.goto(`${venue.base}/ops/kiosk-sales`);
    t.regex((await ops.textContent(`tr[data-sale="${saleId}"]`)) ?? '', /VISA •••• 4242/);
    await Promise.all([ops.waitForURL(/notice=refunded/), ops.click(`[data-refund="${saleId}"]`)]);
    t.is(await ops.getAttribute(`tr[data-sale="${saleId}"]`, 'data-state'), 'refunded');
    await screenshot(ops, 'commerce-1-9-ops-refunded');

    // Someone picks a photo and walks away: the idle timeout (8 s with ?return=8) clears the basket.
    await fillBasket(kiosk, [{ tile: 2, copies: 1 }], '1 print');
    await kiosk.waitForSelector('#kiosk[data-screen="attract"]', { timeout: 15_000 });
    await kiosk.click('#find-photos-button');
    await waitForKioskScreen(kiosk, 'gallery');
    t.is(await kiosk.locator('#gallery-grid .tile[data-copies]').count(), 0, 'nothing left for the next person');
    t.is(await kiosk.textContent('#basket-summary'), 'Tap the photos you want');
    t.deepEqual(run.problems, []);
  },
);

test.serial('(2) basket → payment QR → paid on the phone page → prints', async (t) => {
  t.timeout(E2E_TEST_TIMEOUT_MS);
  const { venue, run, kiosk, prints } = await kioskVenue(t);
  await openGallery(kiosk);
  await fillBasket(kiosk, [{ tile: 2, copies: 1 }], '1 print · 5.00 EUR');
  await kiosk.click('#basket-pay');
  await waitForKioskScreen(kiosk, 'pay');
  await kiosk.waitForSelector('#pay-phone:not([hidden])');
  const created = kiosk.waitForResponse(
    (r) => r.url().endsWith('/kiosk/shop/sales') && r.request().method() === 'POST',
  );
  await kiosk.click('#pay-phone');
  const { sale, qrSvg } = (await (await created).json()) as {
    sale: { id: string; checkoutUrl: string };
    qrSvg: string;
  };
  await kiosk.waitForSelector('#screen-pay[data-pay="phone"]');
  t.true(
    await waitFor(
      async () => (await kiosk.$eval('#pay-qr', (i) => (i as unknown as { naturalWidth: number }).naturalWidth)) > 0,
      10_000,
      100,
    ),
  );
  await screenshot(kiosk, 'commerce-2-1-payment-qr');
  // The QR on the screen opens this basket's hosted checkout.
  const { data, info } = await sharp(Buffer.from(qrSvg))
    .resize(600)
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  t.is(decodeQrFromRgba(new Uint8Array(data), info.width, info.height), sale.checkoutUrl);

  const phone = await run.newPage(PHONE_VIEWPORT);
  await phone.goto(sale.checkoutUrl);
  await screenshot(phone, 'commerce-2-2-phone-checkout');
  await phone.click('button[value="pay"]');
  await waitForKioskScreen(kiosk, 'progress', 20_000);
  await kiosk.waitForSelector('#kiosk[data-outcome="done"]', { timeout: PRINT_DONE_TIMEOUT_MS });
  await screenshot(kiosk, 'commerce-2-3-printed');
  t.is((await files(prints, '.escpos')).length, 2, 'one photo and a receipt');
  const receipt = await readFile(
    join(prints, (await files(prints, '.txt')).find((f) => f.includes('receipt'))!),
    'utf8',
  );
  t.regex(receipt, /Paid by\s+phone/);
  t.true(await saleSettles(venue, sale.id, 'fulfilled'));
  t.deepEqual(run.problems, []);
});

test.serial(
  '(4) decline, timeout, cancel and a print failure: the authorisation is voided, nothing is captured',
  async (t) => {
    t.timeout(E2E_TEST_TIMEOUT_MS);
    const { venue, run, kiosk, prints } = await kioskVenue(t);
    const reader = await run.newPage(PHONE_VIEWPORT);

    // Declined, then cancelled by the fan.
    await openGallery(kiosk);
    await fillBasket(kiosk, [{ tile: 0, copies: 1 }], '1 print');
    const declined = await payByCard(kiosk);
    await tapCard(reader, venue.base, 'decline');
    await kiosk.waitForSelector('#screen-pay[data-pay="failed"]');
    t.regex((await kiosk.textContent('#pay-failure')) ?? '', /declined/);
    await screenshot(kiosk, 'commerce-4-1-declined');
    await kiosk.click('#pay-cancel');
    await waitForKioskScreen(kiosk, 'attract');
    t.true(await saleSettles(venue, declined, 'cancelled'));

    // No card in time: the reader times out (the demo page's "timeout" is the reader giving up).
    await openGallery(kiosk);
    await fillBasket(kiosk, [{ tile: 1, copies: 1 }], '1 print');
    const timedOut = await payByCard(kiosk);
    await tapCard(reader, venue.base, 'timeout');
    await kiosk.waitForSelector('#screen-pay[data-pay="failed"]');
    t.regex((await kiosk.textContent('#pay-failure')) ?? '', /in time/);
    await screenshot(kiosk, 'commerce-4-2-timeout');
    // Try again works: the reader asks for a card once more; then the fan gives up.
    await kiosk.click('#pay-retry');
    await kiosk.waitForSelector('#screen-pay[data-pay="card"]');
    await kiosk.click('#pay-cancel');
    await waitForKioskScreen(kiosk, 'attract');
    t.true(await saleSettles(venue, timedOut, 'cancelled'));

    // Cancel while the reader waits.
    await openGallery(kiosk);
    await fillBasket(kiosk, [{ tile: 2, copies: 1 }], '1 print');
    const cancelled = await payByCard(kiosk);
    await kiosk.click('#pay-cancel');
    await waitForKioskScreen(kiosk, 'attract');
    t.true(await saleSettles(venue, cancelled, 'cancelled'));
    await reader.goto(`${venue.base}/terminal/test`);
    t.regex((await reader.textContent(`[data-reader="${READER}"] .state`)) ?? '', /idle/, 'the reader is free again');

    // Print failure: the card is authorised, but the printer ran out of paper meanwhile.
    await openGallery(kiosk);
    await fillBasket(kiosk, [{ tile: 0, copies: 2 }], '2 prints');
    const failed = await payByCard(kiosk);
    await writeFile(join(prints, PAPER_OUT_FILE), '');
    await tapCard(reader, venue.base, 'approve');
    await kiosk.waitForSelector('#kiosk[data-screen="message"]', { timeout: 20_000 });
    t.regex((await kiosk.textContent('#screen-message')) ?? '', /nothing was charged/);
    await screenshot(kiosk, 'commerce-4-3-print-failed');
    t.true(await saleSettles(venue, failed, 'voided'));
    await rm(join(prints, PAPER_OUT_FILE));

    const all = await sales(venue);
    t.is(all.filter((s) => s.state === 'captured').length, 0, 'nothing captured');
    t.is((await files(prints, '.escpos')).length, 0, 'nothing printed');
    t.deepEqual(
      all.map((s) => s.state),
      ['voided', 'cancelled', 'cancelled', 'cancelled'],
    );

    // The uplink goes down: browsing still works from the printer's own replica, and the screen says
    // that paying needs the network before the fan picks anything.
    await venue.coordinator.close();
    await kiosk.waitForSelector('#kiosk[data-screen="attract"]', { timeout: 15_000 });
    await openGallery(kiosk);
    await kiosk.locator('#network-note:not([hidden])').waitFor({ timeout: 15_000 });
    t.is(await kiosk.textContent('#network-note'), 'Card and phone payment need the network; browsing works.');
    await fillBasket(kiosk, [{ tile: 1, copies: 1 }], '1 print');
    await screenshot(kiosk, 'commerce-4-4-uplink-down-gallery');
    await kiosk.click('#basket-pay');
    await waitForKioskScreen(kiosk, 'pay');
    await kiosk.locator('#pay-network:not([hidden])').waitFor();
    t.false(await kiosk.locator('#pay-card').isVisible());
    t.false(await kiosk.locator('#pay-phone').isVisible());
    await screenshot(kiosk, 'commerce-4-5-uplink-down-pay');
    t.deepEqual(run.problems, []);
  },
);
