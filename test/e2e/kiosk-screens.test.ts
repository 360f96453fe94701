import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import sharp from 'sharp';
import type { RedemptionProgress, UnitProgress } from '../../edge-node/jobs/redemption-progress.ts';
import type { KioskDeps } from '../../edge-node/kiosk/kiosk-routes.ts';
import { createLocalApi } from '../../edge-node/status/local-api.ts';
import { AppError } from '../../shared/errors.ts';
import { launchChromium, screenshot, waitForKioskScreen } from './browser.ts';

/** A scripted node (no venue, no printer): each test drives the screen through exactly the states it checks. */
const E2E_TEST_TIMEOUT_MS = 60_000;
const ORDER = 'order-1';

function oneUnit(state: UnitProgress['state'], source?: UnitProgress['source']): RedemptionProgress {
  return {
    orderId: ORDER,
    code: '7K2M9QXD',
    done: state === 'printed',
    units: [{ unit: 0, imageId: 'img-0', copy: 1, state, ...(source ? { source } : {}) }],
  };
}

async function scriptedKiosk(t: ExecutionContext, startRedeem?: KioskDeps['startRedeem']) {
  const photo = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#3080c0' } })
    .jpeg()
    .toBuffer();
  const listeners = new Set<(p: RedemptionProgress) => void>();
  const script = { redeemed: [] as string[], current: null as RedemptionProgress | null, photoHere: false };
  const kiosk: KioskDeps = {
    async startRedeem(code) {
      script.redeemed.push(code);
      if (startRedeem) return startRedeem(code);
      script.current = oneUnit('queued');
      return script.current;
    },
    progress: (orderId) => (orderId === ORDER ? script.current : null),
    watch(_orderId, listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    printer: async () => ({ state: 'ready', detail: 'scripted', checkedAt: 0 }),
    watchPrinter: () => () => {},
    localImage: async () => (script.photoHere ? photo : null),
    names: () => ({ venue: 'Arena', printer: 'Gate 3' }),
  };
  const app = createLocalApi({
    status: async () => ({}),
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
    redeem: async () => {
      throw new Error('not the kiosk path');
    },
    progress: () => null,
    kiosk,
  });
  const server = app.listen(0, '127.0.0.1');
  t.teardown(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  await new Promise((r) => server.once('listening', r));
  const emit = (p: RedemptionProgress) => {
    script.current = p;
    for (const l of listeners) l(p);
  };
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, script, listeners, emit };
}

test.serial(
  'typed code, one photo from the cloud: submit waits for 8 characters, the card stays neutral and numbered, the done screen says "it"',
  async (t) => {
    t.timeout(E2E_TEST_TIMEOUT_MS);
    const node = await scriptedKiosk(t);
    const run = await launchChromium(t);
    const page = await run.newPage();
    await page.goto(`${node.url}/kiosk`);
    await page.click('#type-code-button');
    await page.waitForSelector('#kiosk[data-screen="type"]');
    t.true(await page.isDisabled('#type-submit'), 'nothing typed yet');
    for (const key of '7K2M') await page.click(`#code-keypad [data-key="${key}"]`);
    t.true(await page.isDisabled('#type-submit'), 'four characters are half a code');
    await page.press('#code-input', 'Enter');
    t.is(await page.getAttribute('#kiosk', 'data-screen'), 'type');
    t.is(await page.inputValue('#code-input'), '7K2M', 'the half-typed code stays to be finished');
    t.deepEqual(node.script.redeemed, [], 'no half code was sent');
    for (const key of '9QXD') await page.click(`#code-keypad [data-key="${key}"]`);
    t.false(await page.isDisabled('#type-submit'));
    await page.click('#type-submit');
    await waitForKioskScreen(page, 'progress');
    t.deepEqual(node.script.redeemed, ['7K2M9QXD']);

    const stateText = () => page.textContent('.print[data-unit="0"] .print-state');
    await page.waitForSelector('.print[data-unit="0"]');
    t.is(await stateText(), 'Getting your photo');
    // No thumbnail yet: a numbered tile, not an empty box.
    t.true(await page.isVisible('.print[data-unit="0"] .thumb-placeholder'));
    t.is(await page.textContent('.print[data-unit="0"] .thumb-placeholder'), '1');
    t.is(await page.textContent('#progress-title'), 'Printing your photo');

    const deadline = Date.now() + 10_000;
    while (node.listeners.size === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    t.is(node.listeners.size, 1, 'the screen follows the order');
    // The node reports "lan" as soon as it starts asking its neighbours, before any byte came from one.
    node.emit(oneUnit('fetching_lan', 'lan'));
    await page.waitForSelector('.print[data-unit="0"][data-state="fetching_lan"]');
    t.is(await stateText(), 'Getting your photo');
    node.emit(oneUnit('fetching_cloud', 'cloud'));
    await page.waitForSelector('.print[data-unit="0"][data-state="fetching_cloud"]');
    t.is(await stateText(), 'Fetching from the cloud');
    t.true(await page.isVisible('.print[data-unit="0"] .thumb-placeholder'));
    await screenshot(page, 'kiosk-screens-1-fetching-placeholder');

    node.script.photoHere = true;
    node.emit(oneUnit('printing', 'cloud'));
    await page.waitForSelector('.print[data-unit="0"] img[data-loaded]');
    t.false(await page.isVisible('.print[data-unit="0"] .thumb-placeholder'), 'the photo replaces the tile');
    node.emit(oneUnit('printed', 'cloud'));
    await page.waitForSelector('#kiosk[data-outcome="done"]');
    t.is(await page.textContent('#progress-lead'), '1 photo printed. Take it from the tray below.');
    t.is(await page.textContent('.print[data-unit="0"] .print-note'), 'came from the cloud');
    await screenshot(page, 'kiosk-screens-2-done-one-photo');
    t.deepEqual(run.problems, []);
  },
);

test.serial('an order printed before is refused with a warning sign, never a success tick', async (t) => {
  t.timeout(E2E_TEST_TIMEOUT_MS);
  const node = await scriptedKiosk(t, async () => {
    throw new AppError('order_already_printed', 'This order was already printed at Gate 1.', { printerName: 'Gate 1' });
  });
  const run = await launchChromium(t);
  const page = await run.newPage();
  await page.goto(`${node.url}/kiosk`);
  await page.waitForSelector('#kiosk[data-screen="attract"]');
  await page.keyboard.type('7K2M9QXD\n');
  await page.waitForSelector('#screen-message[data-kind="already_printed"]:not([hidden])');
  t.is(await page.textContent('#message-icon'), '!');
  const glyph = await page.evaluate(`getComputedStyle(document.getElementById('message-icon'), '::before').content`);
  t.notRegex(String(glyph), /[✓✔]/);
  await screenshot(page, 'kiosk-screens-3-already-printed');
  t.deepEqual(run.problems, []);
});
