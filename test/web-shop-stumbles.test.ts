import test from 'ava';
import type { OrderStatusView } from '../coordinator/services/order-status.ts';
import { priceOrder, quoteBreakdown } from '../shared/policy/pricing.ts';
import { createHarness, paidOrder, printerCall, seedVenue } from './fixtures/app-harness.ts';

/**
 * Issue #11, the fan shop's stumbles: the start page's orders say their state, the cart shows
 * per-item prices and the bundles applied, the photo page's times are local. The browser-only
 * parts (Back closes the preview, local time on screen) are in test/e2e/shop-stumbles.test.ts.
 */

interface RememberedOrder {
  id: string;
  state?: string;
  label?: string;
  final?: boolean;
}
interface OrdersListModule {
  MAX_ORDERS_REFRESHED: number;
  ordersToRefresh(orders: RememberedOrder[], cap?: number): RememberedOrder[];
  rememberedStatus(status: OrderStatusView): { state: string; label: string; final: boolean };
  stateText(order: RememberedOrder): string;
}
type Breakdown = ReturnType<typeof quoteBreakdown>;
interface CartViewModule {
  itemPriceText(copies: number, breakdown: Breakdown, money: (cents: number) => string): string;
  bundleLines(breakdown: Breakdown, money: (cents: number) => string): string[];
}

/** The shop's browser modules are plain JS without types: imported by URL, typed here. */
async function shopModule<T>(name: string): Promise<T> {
  return (await import(new URL(`../coordinator/web/shop/assets/${name}`, import.meta.url).href)) as T;
}

const euros = (cents: number) => `€${(cents / 100).toFixed(2)}`;

test('my orders: each order has a short state label, printed and cancelled differ', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images, printers } = await seedVenue(h, { images: 1, printers: 1 });
  const items = [{ imageId: images[0]!.id, copies: 1 }];
  const status = async (id: string) =>
    (await h.http.get(`/api/orders/${id}/status`).expect(200)).body.status as OrderStatusView;

  const cancelled = await h.http.post('/api/orders').send({ eventId: event.id, items }).expect(201);
  await h.http.post(new URL(cancelled.body.checkoutUrl).pathname).type('form').send({ outcome: 'cancel' }).expect(302);
  const declined = await h.http.post('/api/orders').send({ eventId: event.id, items }).expect(201);
  await h.http.post(new URL(declined.body.checkoutUrl).pathname).type('form').send({ outcome: 'decline' }).expect(302);
  const paid = await paidOrder(h, event.id, items);
  t.like(await status(paid.orderId), { state: 'paid', label: 'Paid', final: false });
  await printerCall(h, printers[0]!, 'post', '/api/printer/redeem', { token: paid.token }).expect(200);
  t.like(await status(paid.orderId), { state: 'redeeming', label: 'Printing 0/1' });
  await printerCall(h, printers[0]!, 'post', `/api/printer/orders/${paid.orderId}/units/0/printed`).expect(200);

  t.like(await status(paid.orderId), { state: 'fulfilled', label: 'Printed', final: true });
  t.like(await status(cancelled.body.order.id), { state: 'cancelled', label: 'Cancelled', final: true });
  t.like(await status(declined.body.order.id), { state: 'payment_failed', label: 'Payment failed' });

  // The order page hands its state to the phone's list without another request.
  const page = (await h.http.get(`/o/${paid.orderId}`).expect(200)).text;
  t.regex(page, /data-label="Printed"/);
  const home = (await h.http.get('/').expect(200)).text;
  t.regex(home, /<ul id="my-orders-list">/);
});

test('my orders: the start page asks about at most a few open orders, and shows the state last seen', async (t) => {
  const list = await shopModule<OrdersListModule>('orders-list.js');
  t.true(list.MAX_ORDERS_REFRESHED >= 1 && list.MAX_ORDERS_REFRESHED <= 10);
  const orders: RememberedOrder[] = Array.from({ length: 20 }, (_, i) => ({ id: `o${i}` }));
  // Orders seen printed or cancelled never change again: no request for them.
  orders[0] = { id: 'o0', state: 'fulfilled', label: 'Printed', final: true };
  orders[2] = { id: 'o2', state: 'cancelled', label: 'Cancelled', final: true };
  orders[3] = { id: 'o3', state: 'redeeming', label: 'Printing 1/2', final: false };
  const asked = list.ordersToRefresh(orders).map((o) => o.id);
  t.is(asked.length, list.MAX_ORDERS_REFRESHED);
  t.false(asked.includes('o0') || asked.includes('o2'));
  t.deepEqual(asked.slice(0, 3), ['o1', 'o3', 'o4'], 'newest first');
  t.is(list.ordersToRefresh(orders, 2).length, 2);

  t.is(list.stateText(orders[0]!), 'Printed');
  t.is(list.stateText(orders[2]!), 'Cancelled');
  t.not(list.stateText(orders[0]!), list.stateText(orders[2]!));
  t.is(list.stateText({ id: 'never-seen' }), 'Open to see');
  const kept = list.rememberedStatus({ state: 'cancelled', label: 'Cancelled', final: true } as OrderStatusView);
  t.deepEqual(kept, { state: 'cancelled', label: 'Cancelled', final: true });
});

test('pricing: the breakdown lists each bundle applied with its saving, and adds up to the quote', (t) => {
  const priceList = {
    currency: 'EUR',
    unitPriceCents: 800,
    bundles: [
      { copies: 3, priceCents: 2000 },
      { copies: 10, priceCents: 6000 },
    ],
  };
  const check = (prints: number) => {
    const quote = priceOrder(priceList, [{ imageId: 'a', copies: prints }]);
    const b = quoteBreakdown(priceList, quote);
    t.is(b.fullPriceCents, prints * 800);
    t.is(b.fullPriceCents - b.savingCents, quote.totalCents);
    t.is(
      b.bundles.reduce((s, x) => s + x.savingCents, 0),
      b.savingCents,
    );
    return b;
  };
  t.deepEqual(check(2).bundles, []);
  t.deepEqual(check(4).bundles, [{ copies: 3, priceCents: 2000, times: 1, savingCents: 400 }]);
  t.deepEqual(check(16).bundles, [
    { copies: 10, priceCents: 6000, times: 1, savingCents: 2000 },
    { copies: 3, priceCents: 2000, times: 2, savingCents: 800 },
  ]);
});

test('cart: the quote carries the breakdown, shown as per-item prices and "3 for €20.00" lines', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images } = await seedVenue(h, { images: 2, printers: 0 });
  const res = await h.http
    .post('/api/orders/quote')
    .send({
      eventId: event.id,
      items: [
        { imageId: images[0]!.id, copies: 1 },
        { imageId: images[1]!.id, copies: 3 },
      ],
    })
    .expect(200);
  const breakdown = res.body.breakdown as Breakdown;
  t.like(breakdown, { currency: 'EUR', unitPriceCents: 800, fullPriceCents: 3200, savingCents: 400, totalCents: 2800 });
  t.is(res.body.quote.totalCents, 2800);

  const view = await shopModule<CartViewModule>('cart-view.js');
  t.is(view.itemPriceText(1, breakdown, euros), '€8.00');
  t.is(view.itemPriceText(3, breakdown, euros), '3 × €8.00 = €24.00');
  t.deepEqual(view.bundleLines(breakdown, euros), ['3 for €20.00: you save €4.00']);
  t.deepEqual(
    view.bundleLines({ ...breakdown, bundles: [{ copies: 3, priceCents: 2000, times: 2, savingCents: 800 }] }, euros),
    ['3 for €20.00 (×2): you save €8.00'],
  );

  // The gallery's cart has the places the script fills in.
  const gallery = (await h.http.get(`/e/${event.id}`).expect(200)).text;
  t.regex(gallery, /<ul id="cart-breakdown"/);
  t.regex(gallery, /<template id="cart-item-template">[\s\S]*<span class="price"><\/span>/);
});

test('photo page: every time on it is marked for the phone to rewrite in local time', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images } = await seedVenue(h, { images: 1, printers: 0 });
  const image = (await h.http.get(`/api/events/${event.id}/images`).expect(200)).body.images[0];
  const page = (await h.http.get(`/e/${event.id}/photo/${images[0]!.id}`).expect(200)).text;
  const iso = new Date(image.createdAt as number).toISOString();
  t.regex(page, new RegExp(`<h1>Photo by [^<]*, <time datetime="${iso}" data-local="time">`));
  // The preview's alt text says the time too: the script rewrites it from data-t.
  t.regex(page, new RegExp(`<img class="preview"[^>]* data-t="${image.createdAt}"`));
});
