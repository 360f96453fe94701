import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { CloseStack } from '../tools/venue-kit/close-stack.ts';
import { api } from '../tools/venue-kit/http.ts';
import { noisyJpeg } from '../tools/venue-kit/photos.ts';
import { VenueKit } from '../tools/venue-kit/venue-kit.ts';

test('a close stack runs cleanups last-registered-first, once, and reports every failure', async (t) => {
  const stack = new CloseStack();
  const order: string[] = [];
  stack.teardown(() => order.push('first'));
  stack.teardown(async () => {
    order.push('second');
    throw new Error('second failed');
  });
  stack.teardown(() => order.push('third'));
  const closing = stack.close();
  t.is(stack.close(), closing, 'close() is memoised');
  const err = await t.throwsAsync(closing);
  t.is(err?.message, 'second failed');
  t.deepEqual(order, ['third', 'second', 'first'], 'the one failure did not stop the others');
});

test('a cleanup registered after close runs at once; several failures come back together', async (t) => {
  const stack = new CloseStack();
  stack.teardown(() => {
    throw new Error('a');
  });
  stack.teardown(() => {
    throw new Error('b');
  });
  const err = await t.throwsAsync(stack.close());
  t.true(err instanceof AggregateError);
  t.deepEqual(
    (err as AggregateError).errors.map((e: Error) => e.message),
    ['b', 'a'],
  );
  let late = false;
  stack.teardown(() => {
    late = true;
  });
  await Promise.resolve();
  t.true(late, 'something that finished starting during close() is still closed');
});

test('a parallel close stack starts every cleanup before any finishes', async (t) => {
  const stack = new CloseStack({ parallel: true });
  const started: number[] = [];
  const release: Array<() => void> = [];
  for (const i of [0, 1, 2]) {
    stack.teardown(
      () =>
        new Promise<void>((resolve) => {
          started.push(i);
          release.push(resolve);
        }),
    );
  }
  const closing = stack.close();
  await Promise.resolve();
  await Promise.resolve();
  t.is(started.length, 3, 'all three were started while none had finished');
  for (const r of release) r();
  await closing;
});

test.serial('the kit seeds a venue, uploads photos, sells an order, and closes everything once', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vpm-kit-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const kit = new VenueKit({
    dir,
    seed: { eventName: 'Kit test', priceList: { currency: 'EUR', unitPriceCents: 700, bundles: [] } },
  });
  t.teardown(() => kit.close());
  await kit.ready();
  t.is(kit.ready(), kit.ready(), 'ready() is memoised');
  t.is(kit.bootstrap.length, 1);
  const [photo] = await kit.uploadPhotos(1, (i) => noisyJpeg(i, 200));
  const event = await api<{ event: { name: string } }>(kit.base, 'GET', `/api/events/${kit.event.id}`);
  t.is(event.body.event.name, 'Kit test');
  const order = await kit.buyAndPay([{ imageId: photo!.id, copies: 2 }]);
  t.is(order.state, 'paid');
  t.true(order.token.length > 0);
  const base = kit.base;
  await kit.close();
  await t.throwsAsync(fetch(`${base}/api/events/${kit.event.id}`), undefined, 'the coordinator is closed');
});

test.serial('a kit that fails while seeding rejects ready() and closes the coordinator it had started', async (t) => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const dir = await mkdtemp(join(tmpdir(), 'vpm-kit-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const kit = new VenueKit({
    dir,
    coordinator: { kind: 'in-process', port },
    // A price list the coordinator refuses: creating the event fails after the coordinator is up.
    seed: { priceList: { currency: 'EUR', unitPriceCents: -1, bundles: [] } },
  });
  t.teardown(() => kit.close());
  await t.throwsAsync(kit.ready(), { code: 'venue_kit_step_failed', message: /creating the event answered 400/ });
  await t.throwsAsync(fetch(`http://127.0.0.1:${port}/api/health`), undefined, 'the coordinator was closed');
});
