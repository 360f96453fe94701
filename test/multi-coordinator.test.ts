import { join } from 'node:path';
import test from 'ava';
import { loadOrCreateKeyRing } from '../coordinator/tokens/token-keys.ts';
import type { EventFeedDescriptor } from '../shared/feed/feed-layout.ts';
import { startCoordinatorProcess } from '../tools/venue-kit/coordinator-process.ts';
import { api, buyAndPay, printerApi, uploadImage } from '../tools/venue-kit/http.ts';
import { newPrinterKeys, sampleJpeg } from './fixtures/app-harness.ts';
import { PlainReader, sha256Hex, startBootstrap, tempDir, waitFor } from './fixtures/feed-fixtures.ts';

const OPERATOR = 'multi-coordinator-operator-token';
const APPEND_WAIT_MS = 60_000;

/**
 * Two coordinator processes on one store, as behind a load balancer. Claims stay exactly-once,
 * exactly one process appends to an event's feed at a time, and when the holder is killed -9 the
 * other takes the feed over without forking it.
 */
test('two coordinator processes on one store: exactly-once claims, one feed appender, takeover after kill -9', async (t) => {
  t.timeout(180_000);
  const dir = await tempDir(t, 'vpm-multi-');
  const bootstrap = await startBootstrap(t);
  const keysFile = join(dir, 'token-keys.json');
  await loadOrCreateKeyRing(keysFile);
  const shared = {
    VPM_PORT: '0',
    VPM_SQLITE_PATH: join(dir, 'shared.sqlite'),
    VPM_OPERATOR_TOKEN: OPERATOR,
    VPM_PAYMENT_WEBHOOK_SECRET: 'multi-coordinator-webhook-secret',
    VPM_TOKEN_KEYS_FILE: keysFile,
    VPM_DHT_BOOTSTRAP: bootstrap.map((b) => `${b.host}:${b.port}`).join(','),
  };
  const a = await startCoordinatorProcess(t, { ...shared, VPM_DATA_DIR: join(dir, 'a'), VPM_INSTANCE_ID: 'a' });
  const b = await startCoordinatorProcess(t, { ...shared, VPM_DATA_DIR: join(dir, 'b'), VPM_INSTANCE_ID: 'b' });

  const venue = (
    await api<{ venue: { id: string } }>(a.url, 'POST', '/api/venues', { token: OPERATOR, body: { name: 'Dome' } })
  ).body.venue;
  const now = Date.now();
  const event = (
    await api<{ event: { id: string } }>(b.url, 'POST', '/api/events', {
      token: OPERATOR,
      body: {
        venueId: venue.id,
        name: 'Derby',
        startsAt: now,
        endsAt: now + 3_600_000,
        priceList: { currency: 'EUR', unitPriceCents: 500, bundles: [] },
      },
    })
  ).body.event;
  const photographer = (
    await api<{ token: string }>(a.url, 'POST', '/api/credentials', {
      token: OPERATOR,
      body: { role: 'photographer', name: 'P' },
    })
  ).body.token;

  // Uploads land on both instances; each image must enter the feed exactly once.
  const uploaded = new Map<string, string>();
  for (let i = 0; i < 6; i++) {
    const bytes = await sampleJpeg(100 + i);
    const res = await uploadImage(i % 2 ? b.url : a.url, event.id, photographer, bytes, `img${i}.jpg`);
    t.is(res.status, 201);
    uploaded.set(res.body.image.id, sha256Hex(bytes));
  }
  const allInFeed = async (base: string, n: number) =>
    waitFor(
      async () => {
        const list = await api<{ images: Array<{ inFeed: boolean }> }>(
          base,
          'GET',
          `/api/events/${event.id}/images`,
        ).catch(() => null);
        return list !== null && list.body.images.length === n && list.body.images.every((i) => i.inFeed);
      },
      APPEND_WAIT_MS,
      200,
    );
  t.true(await allInFeed(a.url, 6), 'all six images appended');

  // Exactly-once claims across both processes: 100 concurrent redemptions from 10 printers.
  const printers = Array.from({ length: 10 }, () => newPrinterKeys());
  for (const [i, p] of printers.entries()) {
    const res = await api(i % 2 ? a.url : b.url, 'POST', `/api/venues/${venue.id}/printers`, {
      token: OPERATOR,
      body: { publicKey: p.id, name: `P${i}` },
    });
    t.is(res.status, 201);
  }
  const firstImage = [...uploaded.keys()][0]!;
  const { token, state } = await buyAndPay(a.url, event.id, [{ imageId: firstImage, copies: 1 }], b.url);
  t.is(state, 'paid', 'paid on instance b, visible on instance a');
  const attempts = await Promise.all(
    Array.from({ length: 100 }, (_, i) => {
      const p = printers[i % 10]!;
      return printerApi(i % 3 ? a.url : b.url, p.keyPair, 'POST', '/api/printer/redeem', { token }).then((r) => ({
        p: p.id,
        status: r.status,
      }));
    }),
  );
  const winners = new Set(attempts.filter((r) => r.status === 200).map((r) => r.p));
  t.is(winners.size, 1, 'exactly one printer holds the order');
  t.true(attempts.every((r) => (winners.has(r.p) ? r.status === 200 : r.status === 409)));

  // Crash a right after it accepted uploads, most likely while it holds the feed lease mid-append.
  // Whether it died holding the lease (b waits for expiry, then catches up to the committed head)
  // or after releasing it, b must finish the feed without a duplicate or a fork.
  for (let i = 6; i < 9; i++) {
    const bytes = await sampleJpeg(100 + i);
    const res = await uploadImage(i === 8 ? a.url : b.url, event.id, photographer, bytes, `img${i}.jpg`);
    t.is(res.status, 201);
    uploaded.set(res.body.image.id, sha256Hex(bytes));
  }
  await a.crash();
  const appendedByA = a.logs.filter((l) => l.includes('appended images to the event feed')).length;
  t.log(`instance a logged ${appendedByA} append batch(es) before kill -9`);
  for (let i = 9; i < 12; i++) {
    const bytes = await sampleJpeg(100 + i);
    const res = await uploadImage(b.url, event.id, photographer, bytes, `img${i}.jpg`);
    t.is(res.status, 201);
    uploaded.set(res.body.image.id, sha256Hex(bytes));
  }
  t.true(await allInFeed(b.url, 12), 'the surviving instance appended the rest');

  // A plain reader sees each image exactly once, in consecutive seq, byte-identical.
  const reader = new PlainReader({ dir: join(dir, 'reader'), bootstrap });
  t.teardown(() => reader.close());
  await api(b.url, 'POST', `/api/venues/${venue.id}/printers`, {
    token: OPERATOR,
    body: { publicKey: reader.publicKeyHex, name: 'R' },
  });
  const me = await printerApi<{ venue: { topic: string }; feeds: EventFeedDescriptor[] }>(
    b.url,
    reader.keyPair,
    'GET',
    '/api/printer/me',
  );
  await reader.open(me.body.feeds[0]!, Buffer.from(me.body.venue.topic, 'hex'));
  t.true(await reader.waitForImageCount(12, 60_000));
  const seqs: number[] = [];
  for (const [id, sha] of uploaded) {
    const entry = await reader.entry(id);
    t.truthy(entry, `catalog has ${id}`);
    seqs.push(entry!.seq);
    t.is(sha256Hex((await reader.readImage(id))!), sha);
  }
  t.deepEqual(
    seqs.sort((x, y) => x - y),
    Array.from({ length: 12 }, (_, i) => i),
  );
});
