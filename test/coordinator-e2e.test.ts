import { join } from 'node:path';
import test from 'ava';
import type { EventFeedDescriptor } from '../shared/feed/feed-layout.ts';
import { api, buyAndPay, printerApi, uploadImage } from '../tools/venue-kit/http.ts';
import { sampleJpeg } from './fixtures/app-harness.ts';
import { PlainReader, sha256Hex } from './fixtures/feed-fixtures.ts';
import { startVenue } from './fixtures/venue-harness.ts';

/**
 * The whole coordinator as `npm start` runs it (real port, SQLite store, feeds, swarm), driven over
 * HTTP: upload → feed → a plain Hypercore reader that knows only what a paired printer is told.
 */
test('full flow: uploaded masters reach a plain feed reader byte for byte; an order is paid and redeemed', async (t) => {
  const { dir, bootstrap, coordinator, base, operator, venue, event, photographer } = await startVenue(t, {
    images: 0,
  });
  t.is(coordinator.generatedOperatorToken, operator, 'the operator token was generated and kept in the data dir');

  const masters = await Promise.all([1, 2, 3].map((i) => sampleJpeg(i * 31, 1600, 1200)));
  const ids: string[] = [];
  for (const [i, bytes] of masters.entries()) {
    const res = await uploadImage(base, event.id, photographer, bytes, `IMG_${i}.JPG`);
    t.is(res.status, 201);
    ids.push(res.body.image.id);
  }

  const reader = new PlainReader({ dir: join(dir, 'reader'), bootstrap });
  t.teardown(() => reader.close());
  const paired = await api(base, 'POST', `/api/venues/${venue.id}/printers`, {
    token: operator,
    body: { publicKey: reader.publicKeyHex, name: 'Reader' },
  });
  t.is(paired.status, 201);
  const me = await printerApi<{ venue: { topic: string }; feeds: EventFeedDescriptor[] }>(
    base,
    reader.keyPair,
    'GET',
    '/api/printer/me',
  );
  t.is(me.status, 200);
  await reader.open(me.body.feeds[0]!, Buffer.from(me.body.venue.topic, 'hex'));
  t.true(await reader.waitForImageCount(3, 30_000), 'the catalog announced all three images');
  for (const [i, id] of ids.entries()) {
    const bytes = await reader.readImage(id);
    t.truthy(bytes, `image ${i} read`);
    t.is(sha256Hex(bytes!), sha256Hex(masters[i]!), `image ${i} is byte-identical`);
  }
  const listed = await api<{ images: Array<{ inFeed: boolean }> }>(base, 'GET', `/api/events/${event.id}/images`);
  t.true(listed.body.images.every((i) => i.inFeed));

  const { token, state } = await buyAndPay(base, event.id, [{ imageId: ids[0]!, copies: 1 }]);
  t.is(state, 'paid');
  const redeemed = await printerApi<{ units: unknown[] }>(base, reader.keyPair, 'POST', '/api/printer/redeem', {
    token,
  });
  t.is(redeemed.status, 200);
  t.is(redeemed.body.units.length, 1);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  t.regex(metrics, /vpm_feed_blocks\{event="[^"]+"\} [1-9]/);
  t.regex(metrics, /vpm_redemptions_total\{outcome="claimed"\} 1/);
});
