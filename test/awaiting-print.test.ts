import test from 'ava';
import { AwaitingPrint } from '../edge-node/offline/awaiting-print.ts';
import type { OrdersFeedEntry } from '../shared/feed/orders-feed-layout.ts';

function order(
  code: string,
  state: OrdersFeedEntry['state'],
  items: Array<{ imageId: string; framed?: boolean }>,
  paidAt: number,
) {
  return {
    code,
    state,
    paidAt,
    items: items.map((i) => ({ imageId: i.imageId, copies: 1, ...(i.framed ? { template: { id: 'frame' } } : {}) })),
  } as unknown as OrdersFeedEntry;
}

test("awaiting print: a paid order's unframed photos await; framed units print from their composite", (t) => {
  const awaiting = new AwaitingPrint();
  awaiting.set(
    'order/A',
    order('A', 'paid', [{ imageId: 'img-1' }, { imageId: 'img-2', framed: true }, { imageId: 'img-1' }], 10),
  );
  t.is(awaiting.paidAt('img-1'), 10);
  t.is(awaiting.paidAt('img-2'), undefined);
  t.is(awaiting.orders, 1);
});

test('awaiting print: a photo in two orders awaits until both are printed; each new version replaces the last', (t) => {
  const awaiting = new AwaitingPrint();
  awaiting.set('order/A', order('A', 'paid', [{ imageId: 'img-1' }], 10));
  awaiting.set('order/B', order('B', 'paid', [{ imageId: 'img-1' }, { imageId: 'img-2' }], 20));
  t.is(awaiting.paidAt('img-1'), 20);
  awaiting.set('order/B', order('B', 'fulfilled', [{ imageId: 'img-1' }, { imageId: 'img-2' }], 20));
  t.is(awaiting.paidAt('img-1'), 10);
  t.is(awaiting.paidAt('img-2'), undefined);
  awaiting.set('order/A', order('A', 'cancelled', [{ imageId: 'img-1' }], 10));
  t.is(awaiting.paidAt('img-1'), undefined);
  t.is(awaiting.orders, 0);
  awaiting.remove('order/unknown');
  awaiting.set('order/C', { state: 'paid' } as OrdersFeedEntry);
  t.is(awaiting.orders, 0, 'an entry without items holds no photo');
});

test('awaiting print: orders a printer has already claimed are left out, whatever the feed says', (t) => {
  const awaiting = new AwaitingPrint();
  awaiting.set('order/A', { ...order('A', 'paid', [{ imageId: 'img-1' }], 10), orderId: 'order-A' });
  awaiting.set('order/B', { ...order('B', 'paid', [{ imageId: 'img-1' }], 20), orderId: 'order-B' });
  const asked: Array<{ orderId: string; paidAt: number }> = [];
  const claimed = (ids: string[]) => (o: { orderId: string; paidAt: number }) => {
    asked.push(o);
    return ids.includes(o.orderId);
  };
  t.is(awaiting.paidAt('img-1', claimed(['order-B'])), 10, 'B claimed offline: only A still awaits the photo');
  t.deepEqual(
    asked.map((o) => [o.orderId, o.paidAt]).sort(),
    [
      ['order-A', 10],
      ['order-B', 20],
    ],
    'asked with each order and when it was paid',
  );
  t.is(awaiting.paidAt('img-1', claimed(['order-A', 'order-B'])), undefined);
  t.is(awaiting.paidAt('img-1', claimed([])), 20);
  t.is(awaiting.orders, 2, 'still paid on the feed');
});
