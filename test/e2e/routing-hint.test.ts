import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import type { OrderRoutingView } from '../../coordinator/services/order-routing.ts';
import { PAPER_OUT_FILE } from '../../edge-node/printing/file-printer.ts';
import { api, buyAndPay } from '../../tools/venue-kit/http.ts';
import { waitFor } from '../fixtures/feed-fixtures.ts';
import { startVenue, startVenuePrinter } from '../fixtures/venue-harness.ts';
import { launchChromium, PHONE_VIEWPORT, screenshot } from './browser.ts';

const E2E_TEST_TIMEOUT_MS = 150_000;
/** Printer A prints slowly, like a dye-sub: a queue forms there. */
const SLOW_SECONDS_PER_PRINT = 8;
/** Copies per photo of the order that makes A's queue (2 photos). */
const QUEUE_COPIES = 6;

test.serial(
  'routing hint: the order page sends the fan to the shorter queue, the busy kiosk suggests it, a down kiosk names the nearest working printer',
  async (t) => {
    t.timeout(E2E_TEST_TIMEOUT_MS);
    const venue = await startVenue(t, { images: 2, imageSide: 600 });
    const routing = (x: number) => ({ position: { x, y: 0 }, thermalSecondsPerPrint: SLOW_SECONDS_PER_PRINT });
    const [printerA, printerB] = await Promise.all([
      startVenuePrinter(t, venue, 'Printer A', {
        printer: {
          kind: 'file',
          dir: join(venue.dir, 'Printer A', 'prints'),
          secondsPerPrint: SLOW_SECONDS_PER_PRINT,
        },
        routing: routing(0),
      }),
      startVenuePrinter(t, venue, 'Printer B', { routing: routing(20) }),
    ]);
    const fan = await buyAndPay(venue.base, venue.event.id, [{ imageId: venue.images[0]!.id, copies: 1 }]);
    const view = async () =>
      (await api<OrderRoutingView>(venue.base, 'GET', `/api/orders/${fan.orderId}/routing`)).body;
    // Both printers hold the photos and report their queues.
    t.true(
      await waitFor(async () => (await view()).stations.filter((s) => s.holdsPhotos).length === 2, 40_000, 250),
      `both printers offered: ${JSON.stringify(await view())}`,
    );
    t.true(
      await waitFor(async () => (await printerA.status()).lanPeers === 1, 20_000, 100),
      'the printers see each other on the LAN',
    );

    // Someone ahead of the fan hands in 12 prints at Printer A: about 90 s of work there.
    const ahead = await buyAndPay(venue.base, venue.event.id, [
      { imageId: venue.images[0]!.id, copies: QUEUE_COPIES },
      { imageId: venue.images[1]!.id, copies: QUEUE_COPIES },
    ]);
    // Not awaited: the kit stops Printer A mid-queue at the end.
    void printerA.redeem(ahead.token).catch(() => null);
    t.true(
      await waitFor(async () => (await view()).stations[0]?.name === 'Printer B', 20_000, 250),
      `Printer B is ranked first once A has a queue: ${JSON.stringify(await view())}`,
    );
    const ranked = await view();
    t.is(ranked.stations[1]?.name, 'Printer A');
    t.true(ranked.stations[1]!.etaSeconds > ranked.stations[0]!.etaSeconds + 30, JSON.stringify(ranked));

    // The fan's order page says where to go, live.
    const browser = await launchChromium(t);
    const phone = await browser.newPage(PHONE_VIEWPORT);
    await phone.goto(`${venue.base}/o/${fan.orderId}`);
    await phone.waitForSelector('#routing:not([hidden])', { timeout: 15_000 });
    t.regex((await phone.textContent('#routing-text')) ?? '', /^Go to Printer B \(about \d+ s\)$/);
    t.regex((await phone.textContent('#routing-list')) ?? '', /Printer A: about \d+/);
    await screenshot(phone, 'routing-1-order-page');

    // Printer A's kiosk suggests the shorter queue before the fan hands in the code.
    const kioskA = await browser.newPage();
    await kioskA.goto(`${printerA.url}/kiosk`);
    await kioskA.waitForSelector('#routing-hint[data-kind="suggest"]:not([hidden])', { timeout: 15_000 });
    t.regex((await kioskA.textContent('#routing-hint')) ?? '', /Busy here: ready in about .+ go to Printer B/);
    await screenshot(kioskA, 'routing-2-kiosk-long-queue');

    // Printer B runs out of paper: its kiosk names the nearest working printer, and refuses codes saying so.
    await writeFile(join(venue.dir, 'Printer B', 'prints', PAPER_OUT_FILE), '');
    const kioskB = await browser.newPage();
    await kioskB.goto(`${printerB.url}/kiosk`);
    await kioskB.waitForSelector('#routing-hint[data-kind="down"]:not([hidden])', { timeout: 20_000 });
    t.regex((await kioskB.textContent('#routing-hint')) ?? '', /Go to Printer A: it is working/);
    await kioskB.waitForSelector('#printer-banner:not([hidden])');
    t.regex(
      (await kioskB.textContent('#printer-banner')) ?? '',
      /out of paper\. Please go to Printer A: it is working/,
    );
    await screenshot(kioskB, 'routing-3-kiosk-down-names-nearest');
    const refused = await api<{ message: { text: string } }>(printerB.url, 'POST', '/kiosk/redeem', {
      body: { code: fan.token },
    });
    t.is(refused.status, 503, JSON.stringify(refused.body));
    t.regex(refused.body.message.text, /^Please go to Printer A: it is working\./);
    // And the order page stops sending the fan to B.
    t.true(
      await waitFor(async () => !(await view()).stations.some((s) => s.name === 'Printer B'), 20_000, 250),
      'Printer B is no longer offered',
    );
    t.true(
      await waitFor(async () => /Printer A/.test((await phone.textContent('#routing-text')) ?? ''), 15_000, 250),
      'the order page follows',
    );
    await screenshot(phone, 'routing-4-order-page-b-down');
    t.deepEqual(browser.problems, []);
  },
);
