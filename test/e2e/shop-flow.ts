import type { Page } from 'playwright-core';
import { screenshot } from './browser.ts';

const PAGE_TIMEOUT_MS = 15_000;

/**
 * A fan on a phone: opens the event's gallery, adds `imageIds` to the cart from the photo viewer,
 * pays on the test gateway's hosted page and lands on the order page with its QR code. Returns the
 * order id and the QR code exactly as the page shows it (a screenshot of the element).
 */
export async function buyInShop(
  page: Page,
  base: string,
  eventId: string,
  imageIds: readonly string[],
  shotPrefix: string,
): Promise<{ orderId: string; qrPng: Buffer; code: string }> {
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  await page.goto(`${base}/e/${encodeURIComponent(eventId)}`);
  await page.waitForSelector('#cart-open:not([hidden])');
  await screenshot(page, `${shotPrefix}-1-gallery`);
  for (const id of imageIds) {
    await page.click(`#grid a[data-image="${id}"]`);
    await page.waitForSelector('#viewer[open]');
    await page.click('#viewer-add');
    await page.waitForSelector('#viewer-status:has-text("Added")');
    await page.click('#viewer [data-close]');
    await page.waitForSelector('#viewer', { state: 'hidden' });
  }
  await page.click('#cart-open');
  await page.waitForSelector('#checkout:not([disabled])');
  await screenshot(page, `${shotPrefix}-2-cart`);
  await page.click('#checkout');
  await page.waitForSelector('button[name="outcome"][value="pay"]');
  await screenshot(page, `${shotPrefix}-3-payment`);
  await page.click('button[name="outcome"][value="pay"]');
  await page.waitForURL(/\/o\/[^/]+$/);
  const qr = page.locator('#qr');
  await qr.waitFor({ state: 'visible' });
  await page.waitForFunction(
    `document.querySelector('#qr').complete && document.querySelector('#qr').naturalWidth > 0`,
  );
  await screenshot(page, `${shotPrefix}-4-order-qr`);
  const orderId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
  return { orderId, qrPng: await qr.screenshot(), code: (await page.textContent('#code'))?.trim() ?? '' };
}
