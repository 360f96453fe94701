import test from 'ava';
import fc from 'fast-check';
import {
  expandPrintUnits,
  fromStates,
  nextOrderState,
  ORDER_STATES,
  type OrderEvent,
} from '../shared/policy/order-state.ts';
import { type PriceList, priceOrder } from '../shared/policy/pricing.ts';

const LIST: PriceList = {
  currency: 'EUR',
  unitPriceCents: 800,
  bundles: [
    { copies: 3, priceCents: 2000 },
    { copies: 10, priceCents: 6000 },
  ],
};

test('single prints without bundles', (t) => {
  const q = priceOrder({ currency: 'EUR', unitPriceCents: 500, bundles: [] }, [{ imageId: 'a', copies: 2 }]);
  t.is(q.totalCents, 1000);
  t.is(q.printCount, 2);
  t.deepEqual(q.applied, [{ kind: 'single', copies: 1, priceCents: 500, times: 2 }]);
});

test('bundles apply across images and the cheapest mix wins', (t) => {
  // 4 prints: 3-bundle + 1 single = 2800 (4 singles = 3200)
  t.is(
    priceOrder(LIST, [
      { imageId: 'a', copies: 1 },
      { imageId: 'b', copies: 3 },
    ]).totalCents,
    2800,
  );
  // 12 prints: 10-bundle + 2 singles = 7600; 4×3-bundles = 8000
  const q = priceOrder(LIST, [{ imageId: 'a', copies: 12 }]);
  t.is(q.totalCents, 7600);
  t.deepEqual(
    q.applied.map((a) => [a.kind, a.copies, a.times]),
    [
      ['bundle', 10, 1],
      ['single', 1, 2],
    ],
  );
});

test('a bundle dearer than singles is never applied', (t) => {
  const q = priceOrder({ currency: 'EUR', unitPriceCents: 100, bundles: [{ copies: 2, priceCents: 500 }] }, [
    { imageId: 'a', copies: 4 },
  ]);
  t.is(q.totalCents, 400);
});

test('price is never above all-singles and never negative (property)', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5000 }),
      fc.array(
        fc.record({ copies: fc.integer({ min: 2, max: 20 }), priceCents: fc.integer({ min: 0, max: 100_000 }) }),
        {
          maxLength: 4,
        },
      ),
      fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 10 }),
      (unit, bundles, copies) => {
        const q = priceOrder(
          { currency: 'EUR', unitPriceCents: unit, bundles },
          copies.map((c, i) => ({ imageId: String(i), copies: c })),
        );
        const n = copies.reduce((a, b) => a + b, 0);
        const covered = q.applied.reduce((a, x) => a + x.copies * x.times, 0);
        const paid = q.applied.reduce((a, x) => a + x.priceCents * x.times, 0);
        return q.totalCents <= unit * n && q.totalCents >= 0 && covered === n && paid === q.totalCents;
      },
    ),
    { numRuns: 500 },
  );
  t.pass();
});

test('empty or oversized orders are refused', (t) => {
  t.throws(() => priceOrder(LIST, []));
  t.throws(() => priceOrder(LIST, [{ imageId: 'a', copies: 501 }]));
});

test('order state machine: the legal paths and nothing else', (t) => {
  t.is(nextOrderState('awaiting_payment', 'payment_succeeded'), 'paid');
  t.is(nextOrderState('payment_failed', 'payment_succeeded'), 'paid');
  t.is(nextOrderState('paid', 'claimed'), 'redeeming');
  t.is(nextOrderState('redeeming', 'all_printed'), 'fulfilled');
  t.is(nextOrderState('redeeming', 'released'), 'paid');
  t.is(nextOrderState('awaiting_payment', 'claimed'), null, 'unpaid orders cannot be redeemed');
  t.is(nextOrderState('fulfilled', 'claimed'), null);
  t.is(nextOrderState('cancelled', 'payment_succeeded'), null, 'a cancelled order stays cancelled');
  t.is(nextOrderState('paid', 'payment_failed'), null, 'a late failure cannot undo a payment');
  const events: OrderEvent[] = [
    'payment_succeeded',
    'payment_failed',
    'payment_cancelled',
    'claimed',
    'released',
    'all_printed',
  ];
  for (const e of events) {
    for (const s of ORDER_STATES) t.is(nextOrderState(s, e) !== null, fromStates(e).includes(s));
  }
});

test('print units expand copies in order', (t) => {
  t.deepEqual(
    expandPrintUnits([
      { imageId: 'a', copies: 2 },
      { imageId: 'b', copies: 1 },
    ]),
    [
      { unit: 0, imageId: 'a', copy: 1 },
      { unit: 1, imageId: 'a', copy: 2 },
      { unit: 2, imageId: 'b', copy: 1 },
    ],
  );
});
