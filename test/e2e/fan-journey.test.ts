import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { CLOUD_IDLE_HANGUP_MS } from '../../edge-node/mesh/traffic.ts';
import { api, buyAndPay } from '../../tools/venue-kit/http.ts';
import { tempDir, waitFor } from '../fixtures/feed-fixtures.ts';
import { neverSyncs, startVenue, startVenuePrinter } from '../fixtures/venue-harness.ts';
import {
  cardStatesSeen,
  KIOSK_VIEWPORT as DESK_VIEWPORT,
  launchChromium,
  PHONE_VIEWPORT,
  printCards,
  recordCardStates,
  screenshot,
  thumbnailsShown,
  waitForKioskScreen,
} from './browser.ts';
import { writeFakeCameraY4m } from './fake-camera.ts';
import { signInAsOperator, waitForFleetCounters } from './ops-flow.ts';
import { buyInShop } from './shop-flow.ts';

const E2E_TEST_TIMEOUT_MS = 90_000;
const PRINT_DONE_TIMEOUT_MS = 45_000;

test.serial(
  'a fan buys two photos; the kiosk reads the QR code from the camera; one photo comes from a neighbour printer, one from the cloud; both print',
  async (t) => {
    t.timeout(E2E_TEST_TIMEOUT_MS);
    const venue = await startVenue(t, { images: 3, imageSide: 900 });
    // No background sync: each photo reaches a printer only when a fan needs it, so the kiosk shows where it came from.
    const [neighbour, kioskPrinter] = await Promise.all([
      startVenuePrinter(t, venue, 'Printer N', { schedule: neverSyncs() }),
      // The neighbour's photo must come over the LAN even if this loaded machine stalls the transfer
      // past the default 1.5 s on-demand deadline; the photo nobody holds then waits 8 s for the cloud.
      startVenuePrinter(t, venue, 'Printer K', { schedule: neverSyncs(), onDemandLanDeadlineMs: 8_000 }),
    ]);
    t.true(await waitFor(async () => (await kioskPrinter.status()).lanPeers === 1, 20_000, 100), 'printers connected');
    // Someone earlier printed photo 0 at the neighbour, which therefore holds it.
    const earlier = await buyAndPay(venue.base, venue.event.id, [{ imageId: venue.images[0]!.id, copies: 1 }]);
    t.is((await neighbour.redeem(earlier.token)).status, 200);

    const phone = await launchChromium(t);
    const shop = await phone.newPage(PHONE_VIEWPORT);
    const order = await buyInShop(
      shop,
      venue.base,
      venue.event.id,
      [venue.images[0]!.id, venue.images[1]!.id],
      'journey-1-shop',
    );
    const paid = await api<{ order: { state: string; unitCount: number } }>(
      venue.base,
      'GET',
      `/api/orders/${order.orderId}`,
    );
    t.is(paid.body.order.state, 'paid');
    t.is(paid.body.order.unitCount, 2);
    // The operator's view before the fan reaches the printer: the order waits, Printer K has fetched nothing.
    const ops = await phone.newPage(DESK_VIEWPORT);
    await signInAsOperator(ops, venue.base, venue.operator);
    const before = await waitForFleetCounters(ops, 'Printer K', (c) => c.fromCloud !== '' && c.fromCloud !== '–');
    await screenshot(ops, 'journey-2-ops-dashboard-before');
    await ops.goto(`${venue.base}/ops/events/${venue.event.id}`);
    const inFlight = ops.locator('#orders-heading + * tr', { hasText: order.code });
    t.regex((await inFlight.textContent()) ?? '', /0 \/ 2/);
    await screenshot(ops, 'journey-2-ops-event-before');

    // A cloud connection still open from start-up would serve photo 0 too; the fan arrives once it is
    // idle (hung up CLOUD_IDLE_HANGUP_MS after its last use, and start-up may have used it late).
    const cloudIdle = await waitFor(
      async () =>
        !((await (await fetch(`${kioskPrinter.url}/status`)).json()) as { cloudConnected: boolean }).cloudConnected,
      CLOUD_IDLE_HANGUP_MS + 20_000,
      200,
    );
    t.true(cloudIdle, 'Printer K is not connected to the cloud before the fan arrives');

    const cameraFile = join(await tempDir(t, 'vpm-e2e-'), 'qr.y4m');
    await writeFakeCameraY4m(order.qrPng, cameraFile);

    const run = await launchChromium(t, { cameraFile });
    const kiosk = await run.newPage();
    await recordCardStates(kiosk);
    await kiosk.goto(`${kioskPrinter.url}/kiosk`);
    await waitForKioskScreen(kiosk, 'progress', 20_000);
    await screenshot(kiosk, 'journey-3-kiosk-printing');
    await kiosk.waitForSelector('#kiosk[data-outcome="done"]', { timeout: PRINT_DONE_TIMEOUT_MS });
    await thumbnailsShown(kiosk);
    await screenshot(kiosk, 'journey-4-kiosk-done');

    const cards = await printCards(kiosk);
    t.deepEqual(cards, [
      { state: 'printed', source: 'lan', note: 'came from a neighbour printer' },
      { state: 'printed', source: 'cloud', note: 'came from the cloud' },
    ]);
    const seen = await cardStatesSeen(kiosk);
    t.log(JSON.stringify(seen));
    t.true(seen['1']?.includes('fetching_cloud'), `the cloud fetch was on screen: ${seen['1']}`);
    t.true(seen['1']?.includes('printing') || seen['0']?.includes('printing'), 'printing was on screen');

    const prints = (await readdir(join(venue.dir, 'Printer K', 'prints'))).filter((f) => f.endsWith('.escpos'));
    t.is(prints.length, 3, `two photos and a receipt: ${prints.join(', ')}`);
    const fulfilled = await waitFor(
      async () =>
        (await api<{ order: { state: string } }>(venue.base, 'GET', `/api/orders/${order.orderId}`)).body.order
          .state === 'fulfilled',
      10_000,
      200,
    );
    t.true(fulfilled, 'the coordinator has the order fulfilled');
    // The fan's order page follows the printing by itself.
    await shop.waitForSelector('#status.tone-done', { timeout: 15_000 });
    t.regex((await shop.textContent('#status')) ?? '', /Printer K/);
    await screenshot(shop, 'journey-5-shop-order-printed');

    // The operator sees it too: Printer K's byte counters moved, the order is no longer in flight.
    await ops.goto(`${venue.base}/ops`);
    const after = await waitForFleetCounters(
      ops,
      'Printer K',
      (c) => c.fromCloud !== before.fromCloud && c.fromLan !== before.fromLan,
    );
    t.log(`Printer K before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`);
    t.not(after.fromCloud, before.fromCloud, 'bytes from the cloud moved');
    t.not(after.fromLan, before.fromLan, 'bytes from the LAN moved');
    await screenshot(ops, 'journey-6-ops-dashboard-after');
    await ops.goto(`${venue.base}/ops/events/${venue.event.id}`);
    await ops.waitForSelector('#orders-heading');
    t.is(await ops.locator('#orders-heading + * tr', { hasText: order.code }).count(), 0, 'printed: not in flight');
    await screenshot(ops, 'journey-7-ops-event-after');
    t.deepEqual(phone.problems, []);
    t.deepEqual(run.problems, []);
  },
);
