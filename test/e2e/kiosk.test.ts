import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { loadOrCreateKeyRing } from '../../coordinator/tokens/token-keys.ts';
import { PAPER_OUT_FILE } from '../../edge-node/printing/file-printer.ts';
import { signRedemptionToken } from '../../shared/token/redemption-token.ts';
import { api, buyAndPay } from '../../tools/venue-kit/http.ts';
import { startVenue, startVenuePrinter } from '../fixtures/venue-harness.ts';
import { launchChromium, printCards, screenshot, thumbnailsShown, waitForKioskScreen } from './browser.ts';

/** Every browser test stays well inside this; the runner's own timeout is a backstop. */
const E2E_TEST_TIMEOUT_MS = 90_000;
const PRINT_DONE_TIMEOUT_MS = 45_000;

async function printedFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.escpos')).sort();
}

test.serial(
  'keyboard wedge: a scanner types the code and Enter, both photos print, the kiosk returns to the start by itself',
  async (t) => {
    t.timeout(E2E_TEST_TIMEOUT_MS);
    const venue = await startVenue(t, { images: 2, imageSide: 900 });
    const printer = await startVenuePrinter(t, venue, 'Printer A');
    const order = await buyAndPay(venue.base, venue.event.id, [
      { imageId: venue.images[0]!.id, copies: 1 },
      { imageId: venue.images[1]!.id, copies: 1 },
    ]);
    const run = await launchChromium(t);
    const page = await run.newPage();
    await page.goto(`${printer.url}/kiosk?return=3`);
    await page.waitForSelector('#kiosk[data-camera="on"]');
    t.is(await page.locator('#screen-attract').isVisible(), true);
    await screenshot(page, 'kiosk-wedge-1-attract');

    await page.keyboard.type(`${order.token}\n`);
    await waitForKioskScreen(page, 'progress');
    await page.waitForSelector('#kiosk[data-outcome="done"]', { timeout: PRINT_DONE_TIMEOUT_MS });
    await thumbnailsShown(page);
    await screenshot(page, 'kiosk-wedge-2-done');
    t.deepEqual(
      (await printCards(page)).map((c) => c.state),
      ['printed', 'printed'],
    );
    t.is(await page.textContent('#progress-title'), 'All done!');
    const files = await printedFiles(join(venue.dir, 'Printer A', 'prints'));
    t.is(files.length, 3, `two photos and a receipt: ${files.join(', ')}`);

    // Nobody touches the screen: it goes back to "scan your code" on its own.
    await page.waitForSelector('#kiosk[data-screen="attract"]', { timeout: 10_000 });
    t.is(await page.locator('#screen-progress').isVisible(), false);
    t.deepEqual(run.problems, []);
  },
);

test.serial(
  'kiosk messages: unknown code (scanned), expired code (typed), already printed (and where), printer out of paper',
  async (t) => {
    t.timeout(E2E_TEST_TIMEOUT_MS);
    const venue = await startVenue(t, { images: 2, imageSide: 600 });
    const [printerA, printerB] = await Promise.all([
      startVenuePrinter(t, venue, 'Printer A'),
      startVenuePrinter(t, venue, 'Printer B'),
    ]);
    const printedAtA = await buyAndPay(venue.base, venue.event.id, [{ imageId: venue.images[0]!.id, copies: 1 }]);
    const atA = await printerA.redeem(printedAtA.token);
    t.is(atA.status, 200, JSON.stringify(atA.body));

    const run = await launchChromium(t);
    const page = await run.newPage();
    await page.goto(`${printerB.url}/kiosk`);
    await page.waitForSelector('#kiosk[data-camera="on"]');
    const scan = async (code: string, kind: string, shot: string) => {
      await page.keyboard.type(`${code}\n`);
      await page.waitForSelector(`#kiosk[data-screen="message"] #screen-message[data-kind="${kind}"]`);
      await screenshot(page, shot);
      const text = `${await page.textContent('#message-title')} ${await page.textContent('#message-text')}`;
      await page.click('#message-ok');
      await page.waitForSelector('#kiosk[data-screen="attract"]');
      return text;
    };

    t.regex(await scan('THIS IS NOT A CODE', 'unknown', 'kiosk-message-1-unknown'), /do not recognise/);

    const ring = await loadOrCreateKeyRing(join(venue.dir, 'coordinator', 'token-keys.json'));
    const { body } = await api<{ order: { code: string } }>(venue.base, 'GET', `/api/orders/${printedAtA.orderId}`);
    const expired = signRedemptionToken(body.order.code, Date.now() - 3_600_000, ring.current);
    // Typed on the touch screen this time ("Type your code"), not scanned.
    await page.click('#type-code-button');
    await page.waitForSelector('#kiosk[data-screen="type"]');
    await page.fill('#code-input', expired);
    await screenshot(page, 'kiosk-type-code');
    await page.click('#type-submit');
    await page.waitForSelector('#kiosk[data-screen="message"] #screen-message[data-kind="expired"]');
    t.regex((await page.textContent('#message-title')) ?? '', /expired/);
    await screenshot(page, 'kiosk-message-2-expired');
    await page.click('#message-ok');
    await page.waitForSelector('#kiosk[data-screen="attract"]');

    const already = await scan(printedAtA.token, 'already_printed', 'kiosk-message-3-already-printed');
    t.regex(already, /already printed at Printer A/);

    // Out of paper: the attract screen says so, and a code is not taken (the order stays unclaimed).
    const fresh = await buyAndPay(venue.base, venue.event.id, [{ imageId: venue.images[1]!.id, copies: 1 }]);
    await writeFile(join(venue.dir, 'Printer B', 'prints', PAPER_OUT_FILE), '');
    await page.reload();
    await page.waitForSelector('#printer-banner:not([hidden])');
    t.regex((await page.textContent('#printer-banner')) ?? '', /out of paper/);
    await screenshot(page, 'kiosk-message-4-paper-out-banner');
    t.regex(await scan(fresh.token, 'printer', 'kiosk-message-5-paper-out'), /out of paper/);
    const after = await api<{ order: { state: string; claim: unknown } }>(
      venue.base,
      'GET',
      `/api/orders/${fresh.orderId}`,
    );
    t.is(after.body.order.state, 'paid');
    t.is(after.body.order.claim, null);
    t.deepEqual(await printedFiles(join(venue.dir, 'Printer B', 'prints')), []);
    t.deepEqual(run.problems, []);
  },
);
