import { readFile } from 'node:fs/promises';
import test from 'ava';
import type { TestLab } from '../../coordinator/lab/test-lab.ts';
import { TEST_LAB_STEP_MS } from '../../coordinator/lab/test-lab.ts';
import { mediaKey } from '../../coordinator/media/media-keys.ts';
import { createAfterEventHarness, endedEventWithOrder } from '../fixtures/after-event-harness.ts';
import { OPERATOR_TOKEN } from '../fixtures/app-harness.ts';
import { KIOSK_VIEWPORT as DESK_VIEWPORT, launchChromium, PHONE_VIEWPORT, screenshot } from './browser.ts';
import { signInAsOperator } from './ops-flow.ts';

const E2E_TEST_TIMEOUT_MS = 120_000;
const PAGE_TIMEOUT_MS = 15_000;

test.serial(
  'after the event: a fan reorders an 8×10 and a digital file from the order page, pays, downloads the file (byte-identical, then used up), and sees the tracking number once the test lab ships',
  async (t) => {
    t.timeout(E2E_TEST_TIMEOUT_MS);
    const h = await createAfterEventHarness();
    t.teardown(() => h.close());
    const { images, order } = await endedEventWithOrder(h, { images: 4 });
    const [print, digital] = [images[2]!.id, images[3]!.id];

    const run = await launchChromium(t);
    const page = await run.newPage(PHONE_VIEWPORT);
    page.setDefaultTimeout(PAGE_TIMEOUT_MS);
    // The event ended two days ago; the fan opens their order page from home.
    await page.goto(`${h.base}/o/${order.id}`);
    await page.waitForSelector('#after-event #order-more');
    await screenshot(page, 'after-event-1-order-page');
    await page.click('#order-more');
    await page.waitForSelector('#reorder-form');
    await page.click(`li[data-image="${print}"] summary`);
    await page.fill(`input[name="q:${print}:print_8x10"]`, '1');
    await page.click(`li[data-image="${digital}"] summary`);
    await page.fill(`input[name="q:${digital}:digital_file"]`, '1');
    // A first try with a Dutch postal code for Germany: the form says what to fix and keeps the rest.
    await page.fill('input[name="address.name"]', 'Ada Fan');
    await page.fill('input[name="address.line1"]', '1 Hauptstraße');
    await page.fill('input[name="address.city"]', 'Berlin');
    await page.fill('input[name="address.postalCode"]', '1012 AB');
    await page.selectOption('select[name="address.country"]', 'DE');
    await page.click('#reorder-submit');
    await page.waitForSelector('#problems');
    t.regex((await page.textContent('#problems')) ?? '', /Not a postal code of Germany/);
    t.is(await page.inputValue(`input[name="q:${print}:print_8x10"]`), '1');
    await screenshot(page, 'after-event-2-address-problem');
    await page.fill('input[name="address.postalCode"]', '10115');
    // A field the browser scrolls to (focus, a fragment link) lands below the sticky header, not
    // under it: the page's scroll padding is at least the header's height.
    const header = (await page.locator('header.bar').boundingBox())!;
    const scrollPadding = Number(
      await page.evaluate('Number.parseFloat(getComputedStyle(document.documentElement).scrollPaddingTop) || 0'),
    );
    t.true(scrollPadding >= header.height, `scroll padding ${scrollPadding} px under a ${header.height} px header`);
    // The block is taller than a phone's screen, so the capture scrolls through it: the sticky
    // header would be drawn across its middle, where no fan sees it. (CSSOM, which the pages' CSP allows.)
    const headerPosition = (position: string) =>
      page.evaluate(`document.querySelector('header.bar').style.position = '${position}'`);
    await headerPosition('static');
    await page.locator('#address').screenshot({ path: 'test-artifacts/e2e/after-event-3-address.png' });
    await headerPosition('');
    await page.click('#reorder-submit');
    await page.waitForSelector('button[name="outcome"][value="pay"]');
    t.regex((await page.textContent('body')) ?? '', /31\.90 EUR/);
    await screenshot(page, 'after-event-4-payment');
    await page.click('button[name="outcome"][value="pay"]');
    await page.waitForURL(/\/r\/r-[A-Za-z0-9_-]+$/);
    const reorderId = new URL(page.url()).pathname.split('/').pop()!;
    await page.waitForSelector('#downloads a');
    t.is(await page.getAttribute('#status', 'data-state'), 'paid');
    await screenshot(page, 'after-event-5-paid-with-download');

    // The download: the saved file is the master, byte for byte.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#downloads a')]);
    const saved = await readFile((await download.path())!);
    const master = (await h.store.getMedia(mediaKey.master(digital)))!.bytes;
    t.true(Buffer.compare(saved, master) === 0, 'downloaded file is byte-identical to the master');
    t.regex(download.suggestedFilename(), /^photo-1-.+\.jpg$/);
    const href = (await page.getAttribute('#downloads a', 'href'))!;
    for (let i = 1; i < h.config.downloadMaxUses; i++) t.is((await page.request.get(`${h.base}${href}`)).status(), 200);
    t.is((await page.request.get(`${h.base}${href}`)).status(), 410, 'used up after its uses');
    await page.reload();
    t.regex((await page.textContent('#downloads')) ?? '', /used up/);

    // The outbox hands the print to the test lab, which accepts, prints and ships it.
    await h.ae.dispatcher.runOnce();
    t.is((h.lab as TestLab).received.size, 1);
    await page.waitForSelector('#status[data-state="sent_to_lab"]');
    await screenshot(page, 'after-event-6-sent-to-lab');
    await h.clock.tick(TEST_LAB_STEP_MS * 3);
    await h.ae.dispatcher.runOnce();
    // No reload: the page notices the shipment by itself.
    await page.waitForSelector('#tracking-number');
    t.regex((await page.textContent('#tracking-number')) ?? '', /^TL\d{10}$/);
    t.is(await page.getAttribute('#status', 'data-state'), 'shipped');
    await screenshot(page, 'after-event-7-shipped-tracking');

    // Lost the link? The order code from the receipt finds the photos again.
    await page.goto(`${h.base}/find`);
    await page.fill('#code-input', order.code.toLowerCase());
    await Promise.all([page.waitForURL(/\/reorder\?from=/), page.press('#code-input', 'Enter')]);
    t.is(await page.locator('#mine-title').count(), 1, 'the fan’s own photos come first');
    await screenshot(page, 'after-event-7b-found-by-code');

    // The venue order's page lists the reorder; the operator sees it shipped and the download revenue.
    await page.goto(`${h.base}/o/${order.id}`);
    t.regex((await page.textContent('#reorders')) ?? '', /shipped/);
    const ops = await run.newPage(DESK_VIEWPORT);
    await signInAsOperator(ops, h.base, OPERATOR_TOKEN);
    t.regex((await ops.textContent('#reorder-summary')) ?? '', /€12\.00/);
    await ops.goto(`${h.base}/ops/fulfilment`);
    t.is(await ops.locator(`section[data-state="shipped"] tr[data-reorder="${reorderId}"]`).count(), 1);
    await screenshot(ops, 'after-event-8-ops-fulfilment');
    // The parcel arrived: the operator marks it delivered; the fan's page follows by itself.
    await Promise.all([
      ops.waitForURL(/\/ops\/fulfilment\?/),
      ops.click(`tr[data-reorder="${reorderId}"] form[action$="/delivered"] button`),
    ]);
    t.regex((await ops.textContent('#fulfilment-notice')) ?? '', /Marked delivered\./);
    t.is(await ops.locator(`section[data-state="delivered"] tr[data-reorder="${reorderId}"]`).count(), 1);
    await screenshot(ops, 'after-event-9-ops-delivered');
    await page.goto(`${h.base}/r/${reorderId}`);
    t.is(await page.getAttribute('#status', 'data-state'), 'delivered');
    t.deepEqual(run.problems, []);
  },
);
