import test from 'ava';
import fc from 'fast-check';
import {
  defaultAfterEventPriceList,
  isQuoteProblem,
  PRODUCTS,
  printPixels,
  quoteReorder,
  taxOf,
} from '../shared/policy/after-event-pricing.ts';
import { retryDelayMs } from '../shared/policy/backoff.ts';
import {
  nextOrderState,
  nextReorderState,
  ORDER_STATES,
  type REORDER_STATES,
  type ReorderEvent,
} from '../shared/policy/order-state.ts';
import { checkAddress } from '../shared/policy/shipping-address.ts';

test('product pixel sizes follow the photo’s orientation: 8×10 at 300 dpi is 2400×3000', (t) => {
  const p = PRODUCTS.print_8x10;
  if (p.kind === 'digital') return t.fail();
  t.deepEqual(printPixels(p, { width: 600, height: 900 }), { widthPx: 2400, heightPx: 3000 });
  t.deepEqual(printPixels(p, { width: 900, height: 600 }), { widthPx: 3000, heightPx: 2400 });
  const poster = PRODUCTS.poster_12x18;
  if (poster.kind === 'digital') return t.fail();
  t.deepEqual(printPixels(poster, { width: 1, height: 2 }), { widthPx: 3600, heightPx: 5400 });
});

test('a reorder quote: goods, shipping only for physical goods, tax rounded once, the lab part for refunds', (t) => {
  const list = { ...defaultAfterEventPriceList('EUR'), taxBasisPoints: 1_900 };
  const q = quoteReorder(list, {
    lines: [
      { imageId: 'a', productId: 'print_8x10', quantity: 2 },
      { imageId: 'b', productId: 'digital_file', quantity: 1 },
    ],
    bundleImageIds: null,
    shippingMethodId: 'express',
    country: 'DE',
  });
  if (isQuoteProblem(q)) return t.fail(q.problem);
  t.is(q.goodsCents, 3000 + 1200);
  t.is(q.shipping?.feeCents, 1490);
  t.is(q.taxCents, taxOf(3000 + 1200 + 1490, 1_900));
  t.is(q.totalCents, 3000 + 1200 + 1490 + q.taxCents);
  t.is(q.labPartCents, 3000 + 1490 + taxOf(3000 + 1490, 1_900));
  const digitalOnly = quoteReorder(list, {
    lines: [{ imageId: 'b', productId: 'digital_file', quantity: 1 }],
    bundleImageIds: null,
    shippingMethodId: null,
    country: null,
  });
  t.false(isQuoteProblem(digitalOnly));
  t.deepEqual(
    quoteReorder(list, {
      lines: [{ imageId: 'a', productId: 'print_5x7', quantity: 1 }],
      bundleImageIds: null,
      shippingMethodId: null,
      country: null,
    }),
    { problem: 'shipping_required' },
  );
  t.like(
    quoteReorder(
      { ...list, products: {} },
      {
        lines: [{ imageId: 'a', productId: 'print_5x7', quantity: 1 }],
        bundleImageIds: null,
        shippingMethodId: 'standard',
        country: 'DE',
      },
    ),
    {
      problem: 'product_not_offered',
    },
  );
});

test('tax never drifts: the total is always goods + shipping + tax, the lab part never exceeds it', (t) => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          p: fc.constantFrom('print_5x7', 'print_8x10', 'canvas_12x16', 'digital_file') as fc.Arbitrary<'print_5x7'>,
          q: fc.integer({ min: 1, max: 20 }),
        }),
        { minLength: 1, maxLength: 10 },
      ),
      fc.integer({ min: 0, max: 10_000 }),
      (lines, bp) => {
        const list = { ...defaultAfterEventPriceList('EUR'), taxBasisPoints: bp };
        const q = quoteReorder(list, {
          lines: lines.map((l, i) => ({ imageId: `i${i}`, productId: l.p, quantity: l.q })),
          bundleImageIds: null,
          shippingMethodId: 'standard',
          country: 'FR',
        });
        if (isQuoteProblem(q)) return false;
        return (
          q.totalCents === q.goodsCents + (q.shipping?.feeCents ?? 0) + q.taxCents && q.labPartCents <= q.totalCents
        );
      },
    ),
  );
  t.pass();
});

test('addresses: required fields and postal-code formats per country', (t) => {
  const ok = { name: 'A', line1: '1 St', city: 'X', postalCode: 'sw1a 1aa', country: 'gb' };
  t.deepEqual(checkAddress(ok).problems, []);
  t.is(checkAddress(ok).address.postalCode, 'SW1A 1AA');
  const fields = (a: Record<string, string>) =>
    checkAddress(a)
      .problems.map((p) => p.field)
      .sort();
  t.deepEqual(fields({ ...ok, country: 'US', postalCode: '9410' }), ['postalCode', 'region']);
  t.deepEqual(fields({ ...ok, country: 'US', postalCode: '94103-1234', region: 'CA' }), []);
  t.deepEqual(fields({ ...ok, country: 'CA', postalCode: 'K1A 0B1', region: 'ON' }), []);
  t.deepEqual(fields({ ...ok, country: 'NL', postalCode: '1012AB' }), []);
  t.deepEqual(fields({ ...ok, country: 'DE', postalCode: '1012 AB' }), ['postalCode']);
  t.deepEqual(fields({ ...ok, country: 'ZZ', postalCode: 'AB-123' }), [], 'other countries: a plausible code');
  t.deepEqual(fields({ country: 'DE' }), ['city', 'line1', 'name', 'postalCode']);
  t.deepEqual(fields({ ...ok, country: '' }), ['country']);
  t.deepEqual(fields({ ...ok, name: 'x'.repeat(500) }), ['name']);
});

test('reorder states: the venue order machine is unchanged, lab states only move forward, refunds once', (t) => {
  t.deepEqual([...ORDER_STATES], ['awaiting_payment', 'payment_failed', 'cancelled', 'paid', 'redeeming', 'fulfilled']);
  t.is(nextOrderState('paid', 'claimed'), 'redeeming');
  const path: Array<[ReorderEvent, (typeof REORDER_STATES)[number]]> = [
    ['payment_succeeded', 'paid'],
    ['sent_to_lab', 'sent_to_lab'],
    ['lab_accepted', 'in_production'],
    ['lab_shipped', 'shipped'],
    ['delivered', 'delivered'],
  ];
  let s: (typeof REORDER_STATES)[number] = 'awaiting_payment';
  for (const [e, to] of path) {
    s = nextReorderState(s, e)!;
    t.is(s, to);
  }
  t.is(nextReorderState('in_production', 'lab_rejected'), 'rejected');
  t.is(nextReorderState('rejected', 'refunded'), 'refunded');
  t.is(nextReorderState('refunded', 'refunded'), null, 'a second refund does not apply');
  t.is(nextReorderState('shipped', 'lab_rejected'), null);
  t.is(nextReorderState('shipped', 'sent_to_lab'), null, 'a late hand-off does not move a shipped order back');
  t.is(nextReorderState('paid', 'digital_delivered'), 'delivered');
});

test('retry delays double up to their cap, jitter only shortens them', (t) => {
  const o = { baseMs: 1_000, maxMs: 60_000, jitter: 0.2 };
  t.deepEqual(
    [1, 2, 3, 4, 10].map((a) => retryDelayMs(a, o)),
    [1_000, 2_000, 4_000, 8_000, 60_000],
  );
  t.is(retryDelayMs(1, o, 0.5), 900);
  t.true(retryDelayMs(30, o, 0.999) >= 48_000);
});
