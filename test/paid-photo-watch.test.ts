import { EventEmitter } from 'node:events';
import test from 'ava';
import { watchPaidPhotos } from '../edge-node/jobs/paid-photo-watch.ts';
import { AwaitingPrint } from '../edge-node/offline/awaiting-print.ts';
import type { OrdersFeedEntry } from '../shared/feed/orders-feed-layout.ts';
import { recordingLogger } from './fixtures/feed-fixtures.ts';

/** An orders feed that grows on demand and answers reads when the test lets it. */
function ordersFeed() {
  const feed = new EventEmitter();
  const awaiting = new AwaitingPrint();
  const reads: Array<() => void> = [];
  return {
    awaiting,
    reads,
    grow: () => feed.emit('grew'),
    claimOffline: () => feed.emit('offline-claim'),
    offline: {
      onOrdersGrew: (listener: () => void) => {
        feed.on('grew', listener);
        return () => feed.off('grew', listener);
      },
      onOfflineClaim: (listener: () => void) => {
        feed.on('offline-claim', listener);
        return () => feed.off('offline-claim', listener);
      },
      awaitingPrint: () => new Promise<AwaitingPrint>((resolve) => reads.push(() => resolve(awaiting))),
    },
  };
}

const paid = (code: string, imageId: string, paidAt: number) =>
  ({ code, state: 'paid', paidAt, items: [{ imageId, copies: 1 }] }) as unknown as OrdersFeedEntry;

test('a payment on the orders feed re-ranks the photos to render at once; growth during a read is read once more', async (t) => {
  const feed = ordersFeed();
  const offers: Array<number | undefined> = [];
  const stop = watchPaidPhotos({
    offline: feed.offline,
    preRenderer: { reoffer: (paid) => offers.push(paid.paidAt('img-1')) },
    logger: recordingLogger(),
  });
  feed.awaiting.set('order/A', paid('A', 'img-1', 100));
  feed.grow();
  feed.grow();
  feed.grow();
  t.is(feed.reads.length, 1, 'one read at a time');
  feed.reads.shift()!();
  await new Promise(setImmediate);
  t.deepEqual(offers, [100]);
  t.is(feed.reads.length, 1, 'the growth during the read is read once more, not three times');
  feed.awaiting.set('order/B', paid('B', 'img-1', 200));
  feed.reads.shift()!();
  await new Promise(setImmediate);
  t.deepEqual(offers, [100, 200]);
  t.is(feed.reads.length, 0);
  stop();
  feed.grow();
  t.is(feed.reads.length, 0, 'unsubscribed');
});

test("another printer's offline claim re-ranks the photos at once, like a payment", async (t) => {
  const feed = ordersFeed();
  let offers = 0;
  const stop = watchPaidPhotos({
    offline: feed.offline,
    preRenderer: { reoffer: () => offers++ },
    logger: recordingLogger(),
  });
  feed.claimOffline();
  t.is(feed.reads.length, 1);
  feed.reads.shift()!();
  await new Promise(setImmediate);
  t.is(offers, 1);
  stop();
  feed.claimOffline();
  t.is(feed.reads.length, 0, 'unsubscribed from the claims too');
});
