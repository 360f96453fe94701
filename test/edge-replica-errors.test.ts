import { randomBytes } from 'node:crypto';
import test from 'ava';
import Corestore from 'corestore';
import Hyperbee from 'hyperbee';
import { EventReplica } from '../edge-node/mesh/event-replica.ts';
import { isNotAvailableYet } from '../edge-node/mesh/hypercore-codes.ts';
import { OrdersReplica } from '../edge-node/offline/orders-replica.ts';
import {
  deriveOrdersFeedDescriptor,
  deriveOrdersFeedKeyPair,
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

test('orders replica: the count follows new orders and ignores new states of known ones, counted from the changes', async (t) => {
  const store = new Corestore(await tempDir(t, 'vpm-orders-count-'));
  t.teardown(() => store.close());
  const secret = randomBytes(32);
  const descriptor = deriveOrdersFeedDescriptor('v1', secret);
  const writer = new Hyperbee<{ state: string }>(
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
