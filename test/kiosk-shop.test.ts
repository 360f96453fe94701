import test from 'ava';
import pino from 'pino';
import { type CoordinatorClient, CoordinatorError } from '../edge-node/coordinator-client.ts';
import type { RedemptionProgress } from '../edge-node/jobs/redemption-service.ts';
import { saleIncompleteLead } from '../edge-node/kiosk/assets/kiosk-words.js';
import { KIOSK_SALE_ABANDON_MS, KioskShop } from '../edge-node/kiosk/kiosk-shop.ts';
import { decodeTextLines } from '../edge-node/printing/escpos-decode.ts';
import type { ReceiptPayment } from '../edge-node/printing/port.ts';
import { buildReceipt, maskedCard } from '../edge-node/printing/receipt.ts';
import { isAppError } from '../shared/errors.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import type { KioskSaleView } from '../shared/protocol/kiosk-sale.ts';
import type { ProfileFeed } from '../shared/protocol/printer-api.ts';

const FEED = {
  eventId: 'ev1',
  name: 'Cup final',
  startsAt: 1_750_000_000_000 - 3_600_000,
  endsAt: 1_750_000_000_000 + 3_600_000,
  priceList: { currency: 'EUR', unitPriceCents: 800, bundles: [{ copies: 3, priceCents: 2000 }] },
} as unknown as ProfileFeed;

function saleView(over: Partial<KioskSaleView> = {}): KioskSaleView {
  return {
    id: 'sale1',
    state: 'awaiting_payment',
    channel: 'kiosk-card',
    eventId: 'ev1',
    items: [{ imageId: 'i1', copies: 1 }],
    unitCount: 1,
    totalCents: 800,
    currency: 'EUR',
    taxCents: 128,
    taxRatePercent: 19,
    orderId: 'order1',
    orderCode: 'ABCDEFGH',
    checkoutUrl: null,
    token: null,
    attempts: 0,
    lastFailure: null,
    card: null,
    authorisationCode: null,
    ...over,
  };
}

function shop(client: Partial<CoordinatorClient> | null, clock = new ManualClock(1_750_000_000_000)) {
  const receipts = new Map<string, ReceiptPayment>();
  const redeemed: string[] = [];
  const warmedUp: Array<{ eventId: string; imageIds: string[] }> = [];
  const s = new KioskShop({
    clock,
    logger: pino({ level: 'silent' }),
    feeds: () => [FEED],
    replica: () => undefined,
    client: () => client as CoordinatorClient | null,
    readerId: undefined,
    startRedeem: async (code) => {
      redeemed.push(code);
      return { orderId: 'order1', code: 'ABCDEFGH', units: [], done: false } as RedemptionProgress;
    },
    warmUp: async (eventId, items) => {
      warmedUp.push({ eventId, imageIds: items.map((i) => i.imageId) });
      return items.length;
    },
    watch: () => () => {},
    saleReceipts: receipts,
    printerReady: async () => ({ ready: true, detail: 'Ready.' }),
  });
  return { s, clock, receipts, redeemed, warmedUp };
}

const unreachable = () => Promise.reject(new CoordinatorError(503, 'coordinator_unreachable', 'fetch failed'));

test('the basket is totalled offline with the shop pricing from the profile', async (t) => {
  const { s } = shop(null);
  t.teardown(() => s.close());
  const { quote } = await s.quote('ev1', [
    { imageId: 'a', copies: 2 },
    { imageId: 'b', copies: 1 },
  ]);
  t.is(quote.totalCents, 2000, 'the 3-print bundle');
  await t.throwsAsync(() => s.quote('ev1', []), { message: /Pick at least one photo/ });
});

test("frame fees: the coordinator's fee per print is added per copy, kept through an uplink gap, unknown when never heard", async (t) => {
  const clock = new ManualClock(1_750_000_000_000);
  let online = true;
  let asked = 0;
  const fees = {
    eventId: 'ev1',
    currency: 'EUR',
    templates: [{ templateId: 'gold', name: 'Gold', version: 1, photoCount: 1, feeCents: 200, feeLine: 'Gold: €2.00' }],
  };
  const { s } = shop(
    {
      kioskTemplateFees: async () => {
        asked++;
        if (!online) throw new CoordinatorError(503, 'coordinator_unreachable', 'fetch failed');
        return fees;
      },
    },
    clock,
  );
  t.teardown(() => s.close());
  const basket = [
    { imageId: 'a', copies: 2, template: { templateId: 'gold' } },
    { imageId: 'b', copies: 1 },
  ];
  const q = await s.quote('ev1', basket);
  t.is(q.quote.totalCents, 2000);
  t.deepEqual(
    q.templateFees.lines.map((l) => [l.imageId, l.copies, l.feeCents]),
    [['a', 2, 200]],
  );
  t.is(q.totalCents, 2400, 'two framed copies: two fees');
  t.true(q.templateFees.known);
  online = false;
  await clock.advance(60_000);
  const offline = await s.quote('ev1', basket);
  t.is(offline.totalCents, 2400, 'the last fee heard is kept while the uplink is down');
  t.is(asked, 2);
  // A template the printer never heard a fee for: the quote says so instead of inventing one.
  const unknown = await s.quote('ev1', [{ imageId: 'a', copies: 1, template: { templateId: 'silver' } }]);
  t.false(unknown.templateFees.known);
  t.is(unknown.totalCents, 800);
});

test('with the uplink down, payment says it needs the network instead of failing late', async (t) => {
  const { s } = shop({ kioskPayments: unreachable, createKioskSale: unreachable });
  t.teardown(() => s.close());
  const offer = await s.payments();
  t.deepEqual(offer, {
    online: false,
    phone: false,
    card: null,
    message: 'Card and phone payment need the network; browsing works.',
  });
  const err = await t.throwsAsync(
    s.createSale({
      eventId: 'ev1',
      items: [{ imageId: 'a', copies: 1 }],
      channel: 'kiosk-card',
      idempotencyKey: 'k-00000001',
    }),
  );
  t.true(isAppError(err, 'payment_needs_network'));
});

test('a paid sale prints once here with its payment lines for the receipt', async (t) => {
  let view = saleView();
  const { s, receipts, redeemed, warmedUp } = shop({
    createKioskSale: async () => view,
    kioskSale: async () => view,
  });
  t.teardown(() => s.close());
  await s.createSale({
    eventId: 'ev1',
    items: [{ imageId: 'i1', copies: 1 }],
    channel: 'kiosk-card',
    idempotencyKey: 'k-00000002',
  });
  t.deepEqual(warmedUp, [{ eventId: 'ev1', imageIds: ['i1'] }], 'its photo renders while the fan pays');
  t.is((await s.sale('sale1')).progress, null, 'not before payment');
  view = saleView({
    state: 'authorised',
    token: 'signed-token',
    card: { brand: 'visa', last4: '4242' },
    authorisationCode: 'A1B2C3',
  });
  t.truthy((await s.sale('sale1')).progress);
  t.is((await s.sale('sale1')).progress, null, 'polled again: not printed twice');
  t.deepEqual(redeemed, ['signed-token']);
  t.deepEqual(receipts.get('order1'), {
    method: 'card',
    card: { brand: 'visa', last4: '4242' },
    authorisationCode: 'A1B2C3',
    taxCents: 128,
    taxRatePercent: 19,
  });
});

test('a payment screen nobody asks about any more is cancelled on the Clock, freeing the reader', async (t) => {
  const cancelled: string[] = [];
  const { s, clock } = shop({
    createKioskSale: async () => saleView(),
    kioskSaleAction: async (id: string, action: string) => {
      cancelled.push(`${id}:${action}`);
      return saleView({ state: 'cancelled' });
    },
  });
  t.teardown(() => s.close());
  await s.createSale({
    eventId: 'ev1',
    items: [{ imageId: 'i1', copies: 1 }],
    channel: 'kiosk-card',
    idempotencyKey: 'k-00000003',
  });
  await clock.tick(KIOSK_SALE_ABANDON_MS / 2);
  t.deepEqual(cancelled, []);
  await clock.tick(KIOSK_SALE_ABANDON_MS);
  t.deepEqual(cancelled, ['sale1:cancel']);
});

test('the receipt shows the tax line, the masked card and the authorisation code, never more of the card', (t) => {
  const lines = decodeTextLines(
    buildReceipt({
      orderId: 'o',
      orderCode: 'ABCDEFGH',
      venue: 'Arena',
      printer: 'Gate B',
      printedAt: 1_750_000_000_000,
      items: [{ imageId: 'i', copies: 2 }],
      totalCents: 1600,
      currency: 'EUR',
      payment: {
        method: 'card',
        card: { brand: 'visa', last4: '4242' },
        authorisationCode: 'A1B2C3',
        taxCents: 255,
        taxRatePercent: 19,
      },
    }),
  ).join('\n');
  t.regex(lines, /incl\. tax 19%\s+2\.55 EUR/);
  t.regex(lines, /Paid by card\s+VISA \*\*\*\* 4242/);
  t.regex(lines, /Auth\. code\s+A1B2C3/);
  t.is(maskedCard({ brand: 'mastercard', last4: '5555 4444 3333 1234' }), 'MASTERCARD **** 1234');
});

test('a kiosk sale that could not print all its photos says what happened to the money, not "scan your code"', (t) => {
  t.regex(saleIncompleteLead('kiosk-card'), /nothing was charged/);
  t.regex(saleIncompleteLead('kiosk-phone'), /refunded/);
  t.notRegex(saleIncompleteLead('kiosk-card'), /code/);
});
