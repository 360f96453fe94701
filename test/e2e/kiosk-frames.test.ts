import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { waitFor } from '../fixtures/feed-fixtures.ts';
import { startOfflinePrinter, startOfflineVenue } from '../fixtures/offline-venue.ts';
import { makeFrame } from '../fixtures/template-fixtures.ts';
import { startVenue, startVenuePrinter } from '../fixtures/venue-harness.ts';
import {
  ARTIFACTS_DIR,
  KIOSK_VIEWPORT,
  launchChromium,
  PHONE_VIEWPORT,
  screenshot,
  waitForKioskScreen,
} from './browser.ts';

/**
 * Issue #14 at the kiosk, in Chromium: a fan picks a photo in "Find your photos", chooses the event's
 * frame on a big-button screen showing the printer's own preview of that photo in it, sees the fee
 * before paying, pays by card, and the print comes out framed; the done card shows it framed.
 */
const E2E_TEST_TIMEOUT_MS = 150_000;
const PRINT_DONE_TIMEOUT_MS = 45_000;
const READER = 'tmr_station_f';
const WINDOW = { x: 150, y: 150, width: 900, height: 1200 };

/** Polled from outside: the kiosk's CSP (script-src 'self') refuses waitForFunction's eval. */
function imagesLoaded(page: Page, selector: string, count: number): Promise<boolean> {
  return waitFor(
    async () =>
      (
        await page.$$eval(selector, (imgs) =>
          imgs.map((i) => (i as unknown as { complete: boolean; naturalWidth: number }).naturalWidth > 0),
        )
      ).filter(Boolean).length >= count,
    20_000,
    100,
  );
}

test.serial(
  'a frame chosen at the kiosk: printer-made preview, fee before paying, framed print, framed done card',
  async (t) => {
    t.timeout(E2E_TEST_TIMEOUT_MS);
    const venue = await startVenue(t, { images: 3, imageSide: 600, taxRatePercent: 19 });
    // The operator's frame: a black border with one window (the console's upload, as its API).
    const upload = await fetch(
      `${venue.base}/api/events/${encodeURIComponent(venue.event.id)}/templates?name=Black%20frame&basicFeeCents=200`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${venue.operator}`, 'content-type': 'image/png' },
        body: await makeFrame(1200, 1800, [WINDOW], { r: 0, g: 0, b: 0 }),
      },
    );
    t.is(upload.status, 201, await upload.clone().text());
    const templateId = ((await upload.json()) as { template: { id: string } }).template.id;
    const printer = await startVenuePrinter(t, venue, 'Printer F', { cardReaderId: READER });
    const ready = await waitFor(
      async () => {
        const gallery = (await (await fetch(`${printer.url}/kiosk/shop/gallery`)).json()) as { total: number };
        const frames = (await (
          await fetch(`${printer.url}/kiosk/shop/frames?event=${encodeURIComponent(venue.event.id)}`)
        ).json()) as { frames: Array<{ templateId: string; feeCents: number | null }> };
        return gallery.total === 3 && frames.frames[0]?.templateId === templateId && frames.frames[0].feeCents === 200;
      },
      40_000,
      250,
    );
    t.true(ready, 'the printer holds the photos and the frame, and knows its fee');

    const run = await launchChromium(t);
    const kiosk = await run.newPage(KIOSK_VIEWPORT);
    await kiosk.goto(`${printer.url}/kiosk?return=8`);
    await kiosk.click('#find-photos-button');
    await waitForKioskScreen(kiosk, 'gallery');
    t.true(await imagesLoaded(kiosk, '#gallery-grid .tile img', 3), 'the gallery shows the photos');
    const tile = kiosk.locator('#gallery-grid .tile').first();
    const imageId = (await tile.getAttribute('data-image'))!;
    await tile.locator('.tile-pick').click();
    await kiosk.locator('#basket-summary', { hasText: '1 print · 5.00 EUR' }).waitFor({ timeout: 10_000 });
    await tile.locator('button[aria-label="Add a frame"]').click();
    await waitForKioskScreen(kiosk, 'frames');
    t.true(await imagesLoaded(kiosk, '#frames-grid .frame-option img', 2), 'no frame and the framed preview show');
    t.regex(
      (await kiosk.textContent(`.frame-option[data-template="${templateId}"]`)) ?? '',
      /Black frame\s*\+ 2\.00 EUR a print/,
    );
    // Big touch targets: every option is a large button.
    const box = await kiosk.locator(`.frame-option[data-template="${templateId}"]`).boundingBox();
    t.true((box?.height ?? 0) >= 200 && (box?.width ?? 0) >= 200, `a big button: ${JSON.stringify(box)}`);
    await screenshot(kiosk, 'kiosk-frames-1-choose');
    // The preview is the printer's composite of this photo: its border is the frame's black.
    const preview = await fetch(
      `${printer.url}/kiosk/shop/frames/${encodeURIComponent(venue.event.id)}/${templateId}/${imageId}/preview.jpg`,
    );
    t.is(preview.status, 200);
    const p = await sharp(Buffer.from(await preview.arrayBuffer()))
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    t.is(p.info.height, 480);
    t.true(p.data[Math.round(20 * p.info.width + p.info.width / 2)]! < 30, 'the preview has the frame border');

    await kiosk.click(`.frame-option[data-template="${templateId}"]`);
    await waitForKioskScreen(kiosk, 'gallery');
    await kiosk.locator('#basket-summary', { hasText: '1 print · 1 framed · 7.00 EUR' }).waitFor({ timeout: 10_000 });
    t.is(await tile.getAttribute('data-frame'), templateId);
    t.is(await tile.locator('.tile-frame').getAttribute('aria-label'), 'Frame: Black frame. Change the frame');
    t.true(await imagesLoaded(kiosk, '#gallery-grid .tile[data-frame] img', 1), 'the tile shows the framed photo');
    await screenshot(kiosk, 'kiosk-frames-2-basket');

    await kiosk.click('#basket-pay');
    await waitForKioskScreen(kiosk, 'pay');
    t.regex((await kiosk.textContent('#pay-title')) ?? '', /Pay 7\.00 EUR/);
    t.regex(
      (await kiosk.textContent('#pay-frames')) ?? '',
      /Black frame: €2\.00 × 1 \(new\) × 1 \(new customer\) = €2\.00/,
    );
    await kiosk.waitForSelector('#pay-card:not([hidden]):not([disabled])');
    await screenshot(kiosk, 'kiosk-frames-3-pay');

    // A kiosk page that claims a lower total is refused by the coordinator, nothing is asked of the card.
    const tampered = await fetch(`${printer.url}/kiosk/shop/sales`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        eventId: venue.event.id,
        items: [{ imageId, copies: 1, template: { templateId } }],
        channel: 'kiosk-card',
        idempotencyKey: 'tampered-basket-1',
        expectedTotalCents: 500,
      }),
    });
    t.is(tampered.status, 409);
    t.is(((await tampered.json()) as { error: { code: string } }).error.code, 'price_changed');

    // The operator switches to the Launch table (× 0.5) while the fan looks at 7.00: the sale is
    // refused, the kiosk shows the new total and its line, and the fan pays that.
    const switched = await fetch(`${venue.base}/api/events/${encodeURIComponent(venue.event.id)}/template-fees`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${venue.operator}`, 'content-type': 'application/json' },
      body: JSON.stringify({ activeTableId: 'launch' }),
    });
    t.is(switched.status, 200);
    await kiosk.click('#pay-card');
    await kiosk.waitForSelector('#pay-notice:not([hidden])', { timeout: 15_000 });
    t.regex((await kiosk.textContent('#pay-notice')) ?? '', /new total is 6\.00 EUR/);
    t.regex((await kiosk.textContent('#pay-title')) ?? '', /Pay 6\.00 EUR/);
    t.regex(
      (await kiosk.textContent('#pay-frames')) ?? '',
      /Black frame: €2\.00 × 0\.5 \(launch offer\) × 1 \(new customer\) = €1\.00/,
    );
    await screenshot(kiosk, 'kiosk-frames-3b-price-changed');
    await kiosk.click('#pay-card');
    await kiosk.waitForSelector('#screen-pay[data-pay="card"]');
    const reader = await run.newPage(PHONE_VIEWPORT);
    await reader.goto(`${venue.base}/terminal/test`);
    await reader.locator(`[data-reader="${READER}"] button[data-outcome="approve"]`).click();
    await waitForKioskScreen(kiosk, 'progress', 20_000);
    await kiosk.waitForSelector('#kiosk[data-outcome="done"]', { timeout: PRINT_DONE_TIMEOUT_MS });
    t.true(await imagesLoaded(kiosk, '.print img[data-loaded]', 1), 'the done card shows its picture');
    await screenshot(kiosk, 'kiosk-frames-4-printed');

    const prints = join(venue.dir, 'Printer F', 'prints');
    const names = await readdir(prints);
    const photos = names.filter((f) => f.endsWith('.png') && !f.includes('receipt'));
    t.is(photos.length, 1, names.join(', '));
    await mkdir(ARTIFACTS_DIR, { recursive: true });
    await copyFile(join(prints, photos[0]!), join(ARTIFACTS_DIR, 'kiosk-frames-5-print-576-dots.png'));
    // The print: 576 dots; the frame's border solid, the window holds the photo (dithered).
    const { data, info } = await sharp(join(prints, photos[0]!))
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    t.is(info.width, 576);
    const scale = 576 / 1200;
    const row = (y: number) => data.subarray(y * info.width, (y + 1) * info.width);
    t.true(
      row(Math.round(40 * scale)).every((v) => v === 0),
      'the top border is solid dots',
    );
    const middle = row(Math.round((WINDOW.y + WINDOW.height / 2) * scale));
    const inside = middle.subarray(Math.round(WINDOW.x * scale) + 4, Math.round((WINDOW.x + WINDOW.width) * scale) - 4);
    const white = inside.filter((v) => v === 255).length / inside.length;
    t.true(white > 0.1 && white < 0.9, `the window holds the photo (white share ${white.toFixed(2)})`);
    t.true(
      middle.subarray(0, Math.round(WINDOW.x * scale) - 4).every((v) => v === 0),
      'the left border is solid',
    );
    const receipt = await readFile(
      join(prints, names.find((f) => f.includes('receipt') && f.endsWith('.txt'))!),
      'utf8',
    );
    t.log(receipt);
    t.regex(receipt, /Black frame/);
    t.regex(receipt, /Total paid\s+6\.00 EUR/);
    t.regex(receipt, /0\.5 \(launch offer\)/);
    t.deepEqual(run.problems, []);
  },
);

test.serial(
  'with the cloud gone, the kiosk still offers the frame with its preview and last fee; paying says it needs the network',
  async (t) => {
    t.timeout(E2E_TEST_TIMEOUT_MS);
    const venue = await startOfflineVenue(t, { images: 2, imageSide: 400 });
    const upload = await fetch(
      `${venue.base}/api/events/${encodeURIComponent(venue.event.id)}/templates?name=Black%20frame&basicFeeCents=200`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${venue.operator}`, 'content-type': 'image/png' },
        body: await makeFrame(1200, 1800, [WINDOW], { r: 0, g: 0, b: 0 }),
      },
    );
    t.is(upload.status, 201);
    const templateId = ((await upload.json()) as { template: { id: string } }).template.id;
    const printer = await startOfflinePrinter(t, venue, 'Printer O');
    const framesUrl = `${printer.url}/kiosk/shop/frames?event=${encodeURIComponent(venue.event.id)}`;
    const ready = await waitFor(
      async () => {
        const gallery = (await (await fetch(`${printer.url}/kiosk/shop/gallery`)).json()) as { total: number };
        const frames = (await (await fetch(framesUrl)).json()) as { frames: Array<{ feeCents: number | null }> };
        return gallery.total === 2 && frames.frames[0]?.feeCents === 200;
      },
      40_000,
      250,
    );
    t.true(ready, 'the printer holds the photos and the frame, and heard its fee');

    await venue.coordinator.crash();
    const run = await launchChromium(t);
    const kiosk = await run.newPage(KIOSK_VIEWPORT);
    await kiosk.goto(`${printer.url}/kiosk`);
    await kiosk.click('#find-photos-button');
    await waitForKioskScreen(kiosk, 'gallery');
    t.true(await imagesLoaded(kiosk, '#gallery-grid .tile img', 2), 'the gallery shows the photos offline');
    await kiosk.waitForSelector('#network-note:not([hidden])', { timeout: 15_000 });
    const tile = kiosk.locator('#gallery-grid .tile').first();
    await tile.locator('.tile-pick').click();
    await tile.locator('button[aria-label="Add a frame"]').click();
    await waitForKioskScreen(kiosk, 'frames');
    t.true(await imagesLoaded(kiosk, '#frames-grid .frame-option img', 2), 'the framed preview is made offline');
    t.regex((await kiosk.textContent(`.frame-option[data-template="${templateId}"]`)) ?? '', /\+ 2\.00 EUR a print/);
    await screenshot(kiosk, 'kiosk-frames-6-offline-choose');
    await kiosk.click(`.frame-option[data-template="${templateId}"]`);
    await kiosk.locator('#basket-summary', { hasText: '1 framed' }).waitFor({ timeout: 15_000 });
    await kiosk.click('#basket-pay');
    await waitForKioskScreen(kiosk, 'pay');
    await kiosk.waitForSelector('#pay-network:not([hidden])', { timeout: 15_000 });
    t.regex((await kiosk.textContent('#pay-frames')) ?? '', /Black frame: €2\.00/);
    t.true(await kiosk.locator('#pay-card').isHidden());
    t.true(await kiosk.locator('#pay-phone').isHidden());
    await screenshot(kiosk, 'kiosk-frames-7-offline-pay');
    t.deepEqual(run.problems, []);
  },
);
