import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { api } from '../../tools/venue-kit/http.ts';
import { tempDir, waitFor } from '../fixtures/feed-fixtures.ts';
import { makeFrame } from '../fixtures/template-fixtures.ts';
import { startVenue, startVenuePrinter } from '../fixtures/venue-harness.ts';
import { ARTIFACTS_DIR, KIOSK_VIEWPORT, launchChromium, PHONE_VIEWPORT, screenshot } from './browser.ts';
import { signInAsOperator } from './ops-flow.ts';

const E2E_TEST_TIMEOUT_MS = 180_000;
const PRINT_DONE_TIMEOUT_MS = 60_000;
const WINDOW = { x: 150, y: 150, width: 900, height: 1200 };
/** The fee table of this test: the second band starts after 3 uses (the seed's start at 10). */
const BAND_AT_USES = 3;

/** Polled from outside: the pages' CSP (script-src 'self') refuses waitForFunction's eval. */
function imageLoaded(page: Page, selector: string): Promise<boolean> {
  return waitFor(
    () =>
      page
        .locator(selector)
        .first()
        .evaluate((img: { complete: boolean; naturalWidth: number }) => img.complete && img.naturalWidth > 0),
    15_000,
    100,
  );
}

interface TemplateAnswer {
  templates: Array<{ id: string; name: string; onFeed: boolean; fee: { feeCents: number } }>;
}

test.serial(
  'an operator adds a frame; a fan chooses it, sees the preview and the fee, pays; the kiosk prints the framed photo; after 3 uses the quote is the next band',
  async (t) => {
    t.timeout(E2E_TEST_TIMEOUT_MS);
    const venue = await startVenue(t, { images: 3, imageSide: 900 });
    const printer = await startVenuePrinter(t, venue, 'Printer F');
    const run = await launchChromium(t);

    // --- the operator adds a frame: a black border with one window, found by the coordinator ---
    const framePath = join(await tempDir(t, 'vpm-e2e-frame-'), 'gold-frame.png');
    await writeFile(framePath, await makeFrame(1200, 1800, [WINDOW], { r: 0, g: 0, b: 0 }));
    const ops = await run.newPage(KIOSK_VIEWPORT);
    await signInAsOperator(ops, venue.base, venue.operator);
    await ops.goto(`${venue.base}/ops/events/${venue.event.id}/templates`);
    await ops.fill('#frame-name', 'Black frame');
    await ops.fill('#frame-fee', '2.00');
    await ops.setInputFiles('#frame-file', framePath);
    await screenshot(ops, 'templates-1-ops-add-frame');
    await Promise.all([ops.waitForURL(/saved=frame/), ops.click('#template-upload button[type="submit"]')]);
    await ops.waitForSelector('article.template');
    // In the console: a "normal" table whose second band starts at 3 uses, so the test reaches it quickly.
    await ops.click('details:has(#fee-tables) summary');
    const edited = JSON.parse((await ops.inputValue('#tables-json')) as string) as { tables: unknown[] };
    edited.tables = [
      {
        id: 'normal',
        name: 'Normal',
        bands: [
          { fromUses: 0, rate: 1, label: 'new' },
          { fromUses: BAND_AT_USES, rate: 0.8, label: 'popular' },
        ],
      },
    ];
    await ops.fill(
      '#tables-json',
      JSON.stringify({
        ...edited,
        tables: [{ id: 'bad', name: 'Bad', bands: [{ fromUses: 5, rate: 9, label: 'x' }] }],
      }),
    );
    await ops.click('#fee-tables button[type="submit"]');
    await ops.waitForSelector('#fee-tables .form-message:has-text("first band must start at 0")');
    await ops.locator('#fee-tables').screenshot({ path: join(ARTIFACTS_DIR, 'templates-2c-ops-table-refused.png') });
    await ops.fill('#tables-json', JSON.stringify(edited));
    await Promise.all([ops.waitForURL(/saved=tables/), ops.click('#fee-tables button[type="submit"]')]);
    const onFeed = await waitFor(
      async () => {
        const list = await api<TemplateAnswer>(venue.base, 'GET', `/api/events/${venue.event.id}/templates`);
        return list.body.templates[0]?.onFeed === true;
      },
      20_000,
      200,
    );
    t.true(onFeed, 'the frame is on the event feed');
    await ops.reload();
    t.true(await imageLoaded(ops, '.template-preview'), '.template-preview shows');
    t.regex((await ops.textContent('article.template')) ?? '', /Uses\s*0/);
    await screenshot(ops, 'templates-2-ops-frame-added');
    await ops
      .locator('article.template')
      .screenshot({ path: join(ARTIFACTS_DIR, 'templates-2b-ops-template-card.png') });
    const templateId = (await ops.getAttribute('article.template', 'data-template'))!;

    // --- the fan chooses it in the cart: preview of their own photo, fee before paying ---
    const phone = await run.newPage(PHONE_VIEWPORT);
    const photo = venue.images[0]!.id;
    await phone.goto(`${venue.base}/e/${encodeURIComponent(venue.event.id)}`);
    await phone.click(`#grid a[data-image="${photo}"]`);
    await phone.waitForSelector('#viewer[open]');
    await phone.click('#viewer-add');
    await phone.waitForSelector('#viewer-status:has-text("Added")');
    await phone.click('#viewer [data-close]');
    await phone.click('#cart-open');
    await phone.waitForSelector('#checkout:not([disabled])');
    const plain = (await phone.textContent('#cart-total')) ?? '';
    await phone.waitForSelector('.cart-item .frame:not([hidden]) select option:nth-child(2)', { state: 'attached' });
    await phone.selectOption('.cart-item .frame select', templateId);
    t.true(await imageLoaded(phone, '.frame-preview'), '.frame-preview shows');
    await phone.waitForSelector('.frame-fee:has-text("Black frame")');
    await phone.waitForSelector('#checkout:not([disabled])');
    const feeText = (await phone.textContent('.frame-fee')) ?? '';
    t.regex(feeText, /Black frame: €2\.00 × 1 \(new\) × 1 \(new customer\) = €2\.00/);
    const framed = (await phone.textContent('#cart-total')) ?? '';
    t.not(framed, plain, `the total moved by the fee: ${plain} → ${framed}`);
    const euros = (text: string) => Number(/(\d+\.\d\d)/.exec(text)?.[1]);
    t.is(euros(framed), euros(plain) + 2, `one print and the frame's €2.00: ${plain} → ${framed}`);
    await phone.locator('#cart').screenshot({ path: join(ARTIFACTS_DIR, 'templates-3-cart-frame-preview.png') });
    await phone.click('#checkout');
    await phone.waitForSelector('button[name="outcome"][value="pay"]');
    await phone.click('button[name="outcome"][value="pay"]');
    await phone.waitForURL(/\/o\/[^/]+$/);
    await phone.waitForSelector('.fee-line');
    t.regex(
      (await phone.textContent('.fee-line')) ?? '',
      /Black frame: €2\.00 × 1 \(new\) × 1 \(new customer\) = €2\.00/,
    );
    const code = ((await phone.textContent('#code')) ?? '').trim();
    await screenshot(phone, 'templates-4-order-page');
    t.true(await imageLoaded(phone, '.order-items .framed img'), 'the order page shows the print framed');
    await phone
      .locator('section[aria-labelledby="items-title"]')
      .screenshot({ path: join(ARTIFACTS_DIR, 'templates-4b-order-items.png') });

    // --- the fan types the code at the kiosk; the printer composites the frame at 576 dots ---
    const kiosk = await run.newPage(KIOSK_VIEWPORT);
    await kiosk.goto(`${printer.url}/kiosk`);
    await kiosk.click('#type-code-button');
    await kiosk.waitForSelector('#kiosk[data-screen="type"]');
    await kiosk.fill('#code-input', code);
    await kiosk.click('#type-submit');
    await kiosk.waitForSelector('#kiosk[data-outcome="done"]', { timeout: PRINT_DONE_TIMEOUT_MS });
    await screenshot(kiosk, 'templates-5-kiosk-printed');
    const printsDir = join(venue.dir, 'Printer F', 'prints');
    const photos = (await readdir(printsDir)).filter((f) => f.endsWith('.png') && !f.includes('receipt'));
    t.is(photos.length, 1, photos.join(', '));
    await mkdir(ARTIFACTS_DIR, { recursive: true });
    await copyFile(join(printsDir, photos[0]!), join(ARTIFACTS_DIR, 'templates-6-print-576-dots.png'));
    // The print: 576 dots wide; the frame's border prints solid black, the window holds the photo.
    const { data, info } = await sharp(join(printsDir, photos[0]!))
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    t.is(info.width, 576);
    const scale = 576 / 1200;
    const row = (y: number) => data.subarray(y * info.width, (y + 1) * info.width);
    const border = row(Math.round(40 * scale));
    t.true(
      border.every((v) => v === 0),
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

    // --- uses counted once per printed unit; after 3 uses the next quote is the next band ---
    const usesNow = async () =>
      (
        await api<{ templates: Array<{ uses: number; band: string }> }>(
          venue.base,
          'GET',
          `/api/events/${venue.event.id}/template-fees`,
          { token: venue.operator },
        )
      ).body.templates[0]!;
    t.true(await waitFor(async () => (await usesNow()).uses === 1, 15_000, 200), 'the print counted as 1 use');
    for (let i = 1; i < BAND_AT_USES; i++) {
      const order = await api<{ checkoutUrl: string; order: { id: string } }>(venue.base, 'POST', '/api/orders', {
        body: {
          eventId: venue.event.id,
          items: [{ imageId: venue.images[i]!.id, copies: 1, template: { templateId } }],
        },
      });
      await fetch(venue.base + new URL(order.body.checkoutUrl).pathname, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'outcome=pay',
        redirect: 'manual',
      });
      const paid = await api<{ redemption: { token: string } }>(
        venue.base,
        'GET',
        `/api/orders/${order.body.order.id}`,
      );
      t.is((await printer.redeem(paid.body.redemption.token)).status, 200);
    }
    t.true(
      await waitFor(async () => (await usesNow()).uses === BAND_AT_USES, 15_000, 200),
      `${BAND_AT_USES} uses counted`,
    );
    t.is((await usesNow()).band, 'popular');
    await phone.goto(`${venue.base}/e/${encodeURIComponent(venue.event.id)}`);
    await phone.click(`#grid a[data-image="${photo}"]`);
    await phone.click('#viewer-add');
    await phone.click('#viewer [data-close]');
    await phone.click('#cart-open');
    await phone.waitForSelector('.cart-item .frame:not([hidden]) select option:nth-child(2)', { state: 'attached' });
    await phone.selectOption('.cart-item .frame select', templateId);
    await phone.waitForSelector('.frame-fee:has-text("popular")');
    t.regex(
      (await phone.textContent('.frame-fee')) ?? '',
      /Black frame: €2\.00 × 0\.8 \(popular\) × 1 \(new customer\) = €1\.60/,
    );
    t.true(await imageLoaded(phone, '.frame-preview'), '.frame-preview shows');
    await phone.locator('#cart').screenshot({ path: join(ARTIFACTS_DIR, 'templates-7-cart-next-band.png') });

    // --- a photo strip takes three photos: windows 2 and 3 come from the cart, the preview shows all three ---
    const strip = await api<{ template: { id: string } }>(
      venue.base,
      'POST',
      `/api/events/${venue.event.id}/templates`,
      {
        token: venue.operator,
        body: {
          name: 'Photo strip',
          basicFeeCents: 300,
          layout: {
            media: 'oe_photo-strip_2x6in',
            slots: [0, 1, 2].map((i) => ({ x: 40, y: 40 + i * 520, width: 520, height: 480 })),
            texts: [{ x: 40, y: 1600, width: 520, height: 80, source: 'event_name', color: '#000000' }],
          },
        },
      },
    );
    t.is(strip.status, 201, JSON.stringify(strip.body));
    await phone.goto(`${venue.base}/e/${encodeURIComponent(venue.event.id)}`);
    for (const image of [venue.images[1]!, venue.images[2]!]) {
      await phone.click(`#grid a[data-image="${image.id}"]`);
      await phone.click('#viewer-add');
      await phone.waitForSelector('#viewer-status:has-text("Added")');
      await phone.click('#viewer [data-close]');
    }
    await phone.click('#cart-open');
    const first = phone.locator('.cart-item').first();
    await first.locator('.frame:not([hidden]) select option:nth-child(3)').waitFor({ state: 'attached' });
    await first.locator('.frame select').first().selectOption(strip.body.template.id);
    await first.locator('.frame-extra select').nth(1).waitFor();
    t.is(await first.locator('.frame-extra select').count(), 2, 'two more windows to fill');
    await phone.waitForSelector('.frame-fee:has-text("Photo strip")');
    t.regex(
      (await first.locator('.frame-fee').textContent()) ?? '',
      /Photo strip: €3\.00 × 1 \(new\) × 1 \(new customer\) = €3\.00/,
    );
    t.true(await imageLoaded(phone, '.cart-item .frame-preview'), 'the strip preview shows');
    const stripPreview = await first.locator('.frame-preview').getAttribute('src');
    t.regex(
      stripPreview ?? '',
      new RegExp(`images=${venue.images[0]!.id}%2C${venue.images[1]!.id}%2C${venue.images[2]!.id}`),
    );
    await first.screenshot({ path: join(ARTIFACTS_DIR, 'templates-9-cart-photo-strip.png') });
    await ops.reload();
    t.regex((await ops.textContent(`#template-${templateId}`)) ?? '', /Uses\s*3/);
    // Every printer reports the frames it holds: what prints framed with no cloud.
    const held = await waitFor(
      async () => {
        await ops.reload();
        return /Printer F 1\/1/.test((await ops.textContent('#frames-at-printers').catch(() => '')) ?? '');
      },
      15_000,
      500,
    );
    t.true(held, 'the console shows Printer F holding the frame');
    await ops.screenshot({ path: join(ARTIFACTS_DIR, 'templates-10-ops-page.png'), fullPage: true });
    await Promise.all([
      ops.waitForURL(/saved=retired/),
      ops.click(`#template-${strip.body.template.id} form.retire button`),
    ]);
    const offered = await api<TemplateAnswer>(venue.base, 'GET', `/api/events/${venue.event.id}/templates`);
    t.deepEqual(
      offered.body.templates.map((x) => x.name),
      ['Black frame'],
      'a retired template is no longer offered',
    );
    await ops.locator('.templates').screenshot({ path: join(ARTIFACTS_DIR, 'templates-8-ops-after-uses.png') });
    t.deepEqual(run.problems, []);
  },
);
