import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test, { type ExecutionContext } from 'ava';
import HyperDHT from 'hyperdht';
import type { EventFeed } from '../coordinator/feed/event-feeds.ts';
import type { FeedAppenderTuning } from '../coordinator/feed/feed-appender.ts';
import type { FeedService } from '../coordinator/feed/feed-service.ts';
import type { Store } from '../coordinator/store/port.ts';
import type { EventRecord } from '../coordinator/store/records.ts';
import {
  insertPendingImages,
  insertVenueAndEvent,
  openStore,
  sha256Hex,
  startBootstrap,
  startFeedService,
  tempDir,
  type UploadedMaster,
  waitFor,
} from './fixtures/feed-fixtures.ts';

const FLOW_TIMEOUT_MS = 45_000;
const LEASE_TTL_MS = 1500;
const TUNING: Partial<FeedAppenderTuning> = {
  leaseTtlMs: LEASE_TTL_MS,
  pollIntervalMs: 100,
  catchUpTimeoutMs: 3000,
  batchMaxImages: 2,
};

interface AppendRecord {
  instance: string;
  imageIds: string[];
  start: number;
  end: number;
}

interface Harness {
  store: Store;
  bootstrap: Array<{ host: string; port: number }>;
  event: EventRecord;
  appends: AppendRecord[];
  /**
   * Writes the instance's heartbeat (its swarm key) before any instance starts, so they admit each
   * other from the first dial: a dial the firewall rejected is retried only after the swarm's
   * handshake timeout and backoff (~10-15 s), which production tolerates but tests should not wait for.
   */
  register(name: string): Promise<KeyPair>;
  /** `name` picks the swarm key pair; a restarted process gets a new `instanceId` (lease holder). */
  start(name: string, opts?: { dataDir?: string; instanceId?: string }): Promise<FeedService>;
}

type KeyPair = ReturnType<typeof HyperDHT.keyPair>;

async function harness(t: ExecutionContext): Promise<Harness> {
  const bootstrap = await startBootstrap(t);
  const root = await tempDir(t);
  const store = await openStore(t, root);
  const { event } = await insertVenueAndEvent(store, 'v1', 'ev1');
  const appends: AppendRecord[] = [];
  const keys = new Map<string, KeyPair>();
  const register: Harness['register'] = async (name) => {
    const keyPair = keys.get(name) ?? HyperDHT.keyPair();
    keys.set(name, keyPair);
    await store.touchCoordinatorNode({ id: keyPair.publicKey.toString('hex'), url: null, lastSeenAt: Date.now() });
    return keyPair;
  };
  const start: Harness['start'] = async (name, opts = {}) => {
    const keyPair = await register(name);
    const service = await startFeedService(t, {
      store,
      dataDir: opts.dataDir ?? join(root, name),
      instanceId: opts.instanceId ?? name,
      swarmKeyPair: keyPair,
      bootstrap,
      peerRefreshIntervalMs: 300,
      appender: TUNING,
    });
    recordAppends(await service.feeds.openEvent(event), opts.instanceId ?? name, appends);
    return service;
  };
  return { store, bootstrap, event, appends, register, start };
}

/** Wraps the feed's appendBatch to log who appended what, when. */
function recordAppends(feed: EventFeed, instance: string, appends: AppendRecord[]): void {
  const original = feed.appendBatch.bind(feed);
  feed.appendBatch = async (images) => {
    const start = performance.now();
    try {
      return await original(images);
    } finally {
      appends.push({ instance, imageIds: images.map((i) => i.imageId), start, end: performance.now() });
    }
  };
}

function overlapping(appends: AppendRecord[]): Array<[AppendRecord, AppendRecord]> {
  const out: Array<[AppendRecord, AppendRecord]> = [];
  for (const a of appends) {
    for (const b of appends) {
      if (a.instance < b.instance && a.start < b.end && b.start < a.end) out.push([a, b]);
    }
  }
  return out;
}

async function allAppended(store: Store, eventId: string): Promise<boolean> {
  return (await store.listPendingImages(eventId, 1000)).length === 0;
}

/** Every image once, seq 0..n-1, every replica equal to the committed head, unforked, byte-identical. */
async function assertConsistentFeed(
  t: ExecutionContext,
  h: Harness,
  services: FeedService[],
  masters: UploadedMaster[],
): Promise<void> {
  const images = await h.store.listImages(h.event.id);
  t.deepEqual(
    images.map((image) => image.seq).sort((a, b) => (a ?? -1) - (b ?? -1)),
    masters.map((_, i) => i),
    'consecutive seq, each image once',
  );
  const committed = (await h.store.getEvent(h.event.id))?.feedHead;
  if (committed === undefined) throw new Error('event vanished');
  const catalogs = [];
  for (const service of services) {
    const feed = await service.feeds.openEvent(h.event);
    t.true(await feed.waitForHead(committed, 15_000), 'replica reaches the committed head');
    t.deepEqual(feed.head(), committed, 'no replica is ahead of the committed head');
    t.deepEqual(feed.forks(), { blobs: 0, catalog: 0 }, 'never truncated');
    const entries = await feed.entries();
    catalogs.push(entries);
    for (const entry of entries) {
      const stored = images.find((image) => image.id === entry.imageId);
      t.is(stored?.seq, entry.seq);
      t.deepEqual(stored?.feed, entry.blob);
      const bytes = await feed.readImage(entry);
      t.is(bytes === null ? null : sha256Hex(bytes), masters.find((m) => m.id === entry.imageId)?.sha256 ?? null);
    }
    t.is(await feed.imageCount(), masters.length);
  }
  for (const catalog of catalogs.slice(1)) t.deepEqual(catalog, catalogs[0], 'replicas agree');
}

test('two instances over one store: one appender at a time, each image once, replicas agree', async (t) => {
  const h = await harness(t);
  await h.register('coord-a');
  await h.register('coord-b');
  const a = await h.start('coord-a');
  const b = await h.start('coord-b');
  const ids = Array.from({ length: 12 }, (_, i) => `img-${String(i).padStart(2, '0')}`);
  const masters: UploadedMaster[] = [];
  for (let wave = 0; wave < 3; wave++) {
    masters.push(...(await insertPendingImages(h.store, h.event.id, ids.slice(wave * 4, wave * 4 + 4))));
    a.notifyImagesPending(h.event.id);
    b.notifyImagesPending(h.event.id);
    await sleep(150);
  }
  t.true(await waitFor(() => allAppended(h.store, h.event.id), FLOW_TIMEOUT_MS), 'all images appended');

  t.deepEqual(overlapping(h.appends), [], 'appends never overlap across instances');
  t.is(a.appender.appendedTotal + b.appender.appendedTotal, ids.length);
  await assertConsistentFeed(t, h, [a, b], masters);
});

test('the holder stops renewing: the other instance takes over after the lease expires and finishes', async (t) => {
  const h = await harness(t);
  await h.register('coord-a');
  await h.register('coord-b');
  const services = [await h.start('coord-a'), await h.start('coord-b')];
  const masters = await insertPendingImages(
    h.store,
    h.event.id,
    Array.from({ length: 8 }, (_, i) => `img-${i}`),
  );

  // Whoever appends first is stopped right after its first batch, without releasing its lease.
  const firstBatch = new Promise<FeedService>((resolve) => {
    for (const service of services) service.appender.onAppended(() => resolve(service));
  });
  const crashed = firstBatch.then(async (holder) => {
    await holder.appender.close({ releaseLeases: false });
    return holder;
  });
  for (const service of services) service.notifyImagesPending(h.event.id);

  const holder = await crashed;
  const survivor = services.find((service) => service !== holder);
  if (survivor === undefined) throw new Error('no survivor');
  t.true(holder.appender.heldLeases().includes(h.event.id), 'the stopped holder left its lease in the store');
  t.true(await waitFor(() => allAppended(h.store, h.event.id), FLOW_TIMEOUT_MS), 'survivor appends the rest');

  const holderName = h.appends[0]?.instance;
  const byHolder = h.appends.filter((r) => r.instance === holderName);
  const bySurvivor = h.appends.filter((r) => r.instance !== holderName);
  const lastHolderAppend = byHolder.at(-1);
  const firstSurvivorAppend = bySurvivor[0];
  if (lastHolderAppend === undefined || firstSurvivorAppend === undefined) {
    t.fail('both instances should have appended');
    return;
  }
  // The holder renewed its lease right before its last append; nobody else may start before it expires.
  t.true(
    firstSurvivorAppend.start >= lastHolderAppend.start + LEASE_TTL_MS - 250,
    `takeover waited for the lease (${Math.round(firstSurvivorAppend.start - lastHolderAppend.start)} ms)`,
  );
  t.deepEqual(overlapping(h.appends), []);
  t.is(holder.appender.appendedTotal + survivor.appender.appendedTotal, masters.length);
  await assertConsistentFeed(t, h, services, masters);
});

test('a new holder whose replica cannot reach the committed head does not append (no fork)', async (t) => {
  const h = await harness(t);
  const aDir = join(await tempDir(t), 'coord-a');
  await h.register('coord-a');
  await h.register('coord-c');
  const a = await h.start('coord-a', { dataDir: aDir });
  const first = await insertPendingImages(h.store, h.event.id, ['img-0', 'img-1', 'img-2']);
  a.notifyImagesPending(h.event.id);
  t.true(await waitFor(() => allAppended(h.store, h.event.id), FLOW_TIMEOUT_MS));
  const committed = (await h.store.getEvent(h.event.id))?.feedHead;
  // The only replica goes away, its lease left to expire.
  await a.close({ releaseLeases: false });

  const more = await insertPendingImages(h.store, h.event.id, ['img-3', 'img-4']);
  const c = await h.start('coord-c');
  c.notifyImagesPending(h.event.id);
  t.true(await waitFor(() => c.appender.counters.catchUpFailures >= 1, FLOW_TIMEOUT_MS), 'catch-up fails');
  // A second failed round means the first one ended (in refusal) and the appender tried again.
  t.true(await waitFor(() => c.appender.counters.catchUpFailures >= 2, FLOW_TIMEOUT_MS), 'and fails again');
  t.is(c.appender.appendedTotal, 0, 'nothing appended from a stale replica');
  t.deepEqual((await c.feeds.openEvent(h.event)).head(), { blobsLength: 0, catalogLength: 0 });
  t.deepEqual((await h.store.getEvent(h.event.id))?.feedHead, committed);
  t.is((await h.store.listPendingImages(h.event.id, 10)).length, 2);

  // The replica comes back (same corestore); the feed continues from the committed head, unforked.
  const a2 = await h.start('coord-a', { dataDir: aDir, instanceId: 'coord-a-restarted' });
  a2.notifyImagesPending(h.event.id);
  c.notifyImagesPending(h.event.id);
  t.true(await waitFor(() => allAppended(h.store, h.event.id), FLOW_TIMEOUT_MS));
  await assertConsistentFeed(t, h, [a2, c], [...first, ...more]);
});
