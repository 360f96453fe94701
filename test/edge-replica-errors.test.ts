import { randomBytes } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import Corestore from 'corestore';
import Hyperbee from 'hyperbee';
import { EventReplica } from '../edge-node/mesh/event-replica.ts';
import { isNotAvailableYet } from '../edge-node/mesh/hypercore-codes.ts';
import { OrdersReplica } from '../edge-node/offline/orders-replica.ts';
import {
  deriveOrdersFeedDescriptor,
  deriveOrdersFeedKeyPair,
  type OrdersFeedEntry,
  ordersFeedKey,
} from '../shared/feed/orders-feed-layout.ts';
import { tempDir } from './fixtures/feed-fixtures.ts';

const hex = () => randomBytes(32).toString('hex');

test('hypercore codes: only "not here yet" counts as unknown; closed, decoding and disk faults do not', (t) => {
  for (const code of ['REQUEST_TIMEOUT', 'BLOCK_NOT_AVAILABLE', 'SNAPSHOT_NOT_AVAILABLE']) {
    t.true(isNotAvailableYet(Object.assign(new Error(code), { code })), code);
  }
  for (const code of ['SESSION_CLOSED', 'REQUEST_CANCELLED', 'DECODING_ERROR', 'INVALID_CHECKSUM', 'ENOSPC', 'EIO']) {
    t.false(isNotAvailableYet(Object.assign(new Error(code), { code })), code);
  }
  t.false(isNotAvailableYet(new Error('no code')));
  t.false(isNotAvailableYet(null));
});

test('orders replica: an order not here yet is null; a lookup on a closed replica throws instead of "unknown"', async (t) => {
  const store = new Corestore(await tempDir(t, 'vpm-orders-replica-'));
  t.teardown(() => store.close());
  const replica = new OrdersReplica(store, {
    venueId: 'v1',
    key: hex(),
    encryptionKey: hex(),
    claimsEncryptionKey: hex(),
  });
  await replica.ready();
  t.is(await replica.lookup('ABCD2345', 50), null);
  await replica.close();
  const err = await t.throwsAsync(replica.lookup('ABCD2345', 50));
  t.false(isNotAvailableYet(err), `${(err as { code?: string }).code}`);
});

test('event replica: a catalog entry not here yet is null; a read on a closed replica throws', async (t) => {
  const store = new Corestore(await tempDir(t, 'vpm-event-replica-'));
  t.teardown(() => store.close());
  const replica = new EventReplica(
    store,
    { eventId: 'ev-1', blobsKey: hex(), catalogKey: hex(), encryptionKey: hex() },
    { onBytes: () => {}, isCloud: () => false },
  );
  await replica.ready();
  t.is(await replica.entry('img-1', 50), null);
  await replica.close();
  const err = await t.throwsAsync(replica.entry('img-1', 50));
  t.false(isNotAvailableYet(err), `${(err as { code?: string }).code}`);
});

/** A venue's orders feed as the coordinator writes it (`writer`) and a printer's replica of it, in one store. */
async function ordersFeed<T>(t: ExecutionContext, prefix: string) {
  const store = new Corestore(await tempDir(t, prefix));
  t.teardown(() => store.close());
  const secret = randomBytes(32);
  const descriptor = deriveOrdersFeedDescriptor('v1', secret);
  const writer = new Hyperbee<T>(
    store.get({
      keyPair: deriveOrdersFeedKeyPair(secret),
      encryption: { key: Buffer.from(descriptor.encryptionKey, 'hex') },
    }),
    { keyEncoding: 'utf-8', valueEncoding: 'json' },
  );
  await writer.ready();
  const replica = new OrdersReplica(store, descriptor);
  await replica.ready();
  t.teardown(() => replica.close());
  return { writer, replica };
}

test('orders replica: the count follows new orders and ignores new states of known ones, counted from the changes', async (t) => {
  const { writer, replica } = await ordersFeed<{ state: string }>(t, 'vpm-orders-count-');
  const put = (code: string, state: string) => writer.put(ordersFeedKey(code), { state });
  t.is(await replica.count(), 0);
  for (let i = 0; i < 5; i++) await put(`CODE${i}`, 'paid');
  t.is(await replica.count(), 5, 'first count: the whole feed');
  await put('CODE1', 'redeeming');
  await put('CODE1', 'fulfilled');
  for (let i = 5; i < 8; i++) await put(`CODE${i}`, 'paid');
  await writer.put('not-an-order', { state: 'paid' });
  t.is(await replica.count(), 8, 'three new orders; a new state of a known one is not a new order');
  t.is(await replica.count(), 8, 'unchanged feed, same count');
  await writer.close();
});

test('orders replica: the photos awaiting print follow the feed: paid in, claimed or printed out, released back in', async (t) => {
  const { writer, replica } = await ordersFeed<Partial<OrdersFeedEntry>>(t, 'vpm-orders-awaiting-');
  const put = (code: string, state: OrdersFeedEntry['state'], imageIds: string[], paidAt: number) =>
    writer.put(ordersFeedKey(code), {
      code,
      state,
      paidAt,
      items: imageIds.map((imageId) => ({ imageId, copies: 1 }) as OrdersFeedEntry['items'][number]),
    });
  await put('AAAA', 'paid', ['img-1', 'img-2'], 100);
  await put('BBBB', 'paid', ['img-2'], 200);
  let awaiting = await replica.awaitingPrint();
  t.is(awaiting.paidAt('img-1'), 100);
  t.is(awaiting.paidAt('img-2'), 200, 'the most recent of its orders');
  t.is(awaiting.paidAt('img-3'), undefined, 'nobody bought it');
  await put('BBBB', 'redeeming', ['img-2'], 200);
  awaiting = await replica.awaitingPrint();
  t.is(awaiting.paidAt('img-2'), 100, 'claimed at a printer: only the other order still awaits it');
  await put('AAAA', 'fulfilled', ['img-1', 'img-2'], 100);
  awaiting = await replica.awaitingPrint();
  t.is(awaiting.paidAt('img-1'), undefined);
  t.is(awaiting.paidAt('img-2'), undefined);
  await put('BBBB', 'paid', ['img-2'], 200);
  t.is((await replica.awaitingPrint()).paidAt('img-2'), 200, 'released by its printer: awaited again');
  await writer.del(ordersFeedKey('BBBB'));
  t.is((await replica.awaitingPrint()).orders, 0, 'gone from the feed');
  t.is(await replica.count(), 1, 'the count reads the same changes');
  await writer.close();
});
