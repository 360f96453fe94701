import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { tempDir, waitFor } from '../fixtures/feed-fixtures.ts';
import { api, buyAndPay } from '../fixtures/http-client.ts';
import { neverSyncs, startVenue, startVenuePrinter } from '../fixtures/venue-harness.ts';
import {
  cardStatesSeen,
  launchChromium,
  printCards,
  recordCardStates,
  screenshot,
  thumbnailsShown,
} from './browser.ts';
import { writeFakeCameraY4m } from './fake-camera.ts';

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
      startVenuePrinter(t, venue, 'Printer K', { schedule: neverSyncs() }),
    ]);
    t.true(await waitFor(async () => (await kioskPrinter.status()).lanPeers === 1, 20_000, 100), 'printers connected');
    // Someone earlier printed photo 0 at the neighbour, which therefore holds it.
    const earlier = await buyAndPay(venue.base, venue.event.id, [{ imageId: venue.images[0]!.id, copies: 1 }]);
    t.is((await neighbour.redeem(earlier.token)).status, 200);

    const order = await buyAndPay(venue.base, venue.event.id, [
      { imageId: venue.images[0]!.id, copies: 1 },
      { imageId: venue.images[1]!.id, copies: 1 },
    ]);
    t.is(order.state, 'paid');
    const qr = await fetch(`${venue.base}/api/orders/${order.orderId}/qr.png`);
    t.is(qr.status, 200);
    const cameraFile = join(await tempDir(t, 'vpm-e2e-'), 'qr.y4m');
    await writeFakeCameraY4m(Buffer.from(await qr.arrayBuffer()), cameraFile);

    const run = await launchChromium(t, { cameraFile });
    const kiosk = await run.newPage();
    await recordCardStates(kiosk);
    await kiosk.goto(`${kioskPrinter.url}/kiosk`);
    await kiosk.waitForSelector('#kiosk[data-screen="progress"]', { timeout: 20_000 });
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
    t.deepEqual(run.problems, []);
  },
);
