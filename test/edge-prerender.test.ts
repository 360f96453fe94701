/**
 * Scan → print with the photo local (issue #16 item 3): photos are rendered for printing ahead of
 * their redemption, in the background, only while the node is quiet; a print with a rendered photo
 * skips decoding its master.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import sharp from 'sharp';
import {
  PRERENDER_QUIET_MS,
  PRERENDER_RETRY_MS,
  PreRenderer,
  type PreRendererOptions,
} from '../edge-node/jobs/pre-renderer.ts';
import { type WarmUpDeps, warmUpOrder } from '../edge-node/jobs/scan-warm-up.ts';
import { FilePrinter } from '../edge-node/printing/file-printer.ts';
import { RasterCache } from '../edge-node/printing/raster-cache.ts';
import type { CatalogEntry } from '../shared/feed/feed-layout.ts';
import type { OrdersFeedEntry } from '../shared/feed/orders-feed-layout.ts';
import { ManualClock } from '../shared/ports/clock.ts';

const photo = (shade: string) =>
  sharp({ create: { width: 400, height: 300, channels: 3, background: shade } })
    .jpeg()
    .toBuffer();

function entry(seq: number): CatalogEntry {
  return { seq, imageId: `img-${seq}` } as unknown as CatalogEntry;
}

/** Every photo reads as its own id. */
const idSource = { readLocal: async (e: CatalogEntry) => Buffer.from(e.imageId) };

/** A pre-renderer whose renders only record the photo's id; closed at teardown. */
function recordingPreRenderer(
  t: ExecutionContext,
  clock: ManualClock,
  opts: Pick<PreRendererOptions, 'busy' | 'lastProgressAt' | 'maxPhotos'>,
): { pre: PreRenderer; rendered: string[] } {
  const rendered: string[] = [];
  const pre = new PreRenderer({
    clock,
    render: async (key) => {
      rendered.push(key);
    },
    rendered: (key) => rendered.includes(key),
    ...opts,
  });
  t.teardown(() => pre.close());
  return { pre, rendered };
}

test('the raster cache keeps the most recently used photos', (t) => {
  const cache = new RasterCache<number>(2);
  cache.set('a', 1);
  cache.set('b', 2);
  t.is(cache.get('a'), 1); // a is now the most recent
  cache.set('c', 3);
  t.false(cache.has('b'));
  t.true(cache.has('a') && cache.has('c'));
  t.is(cache.size, 2);
});

test('a prerendered photo prints without its master being decoded again, dot for dot the same', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vpm-prerender-'));
  const printer = new FilePrinter({ dir, widthDots: 384, statusPollIntervalMs: 50 });
  t.teardown(async () => {
    await printer.close();
    await fs.rm(dir, { recursive: true, force: true });
  });
  await printer.ready();
  const image = await photo('#606060');
  await printer.printPhoto(image, { jobId: 'plain', label: 'plain' });
  t.false(printer.isPrerendered('img-1'));
  await printer.prerender('img-1', image);
  t.true(printer.isPrerendered('img-1'));
  // Bytes that are not a JPEG at all: only the raster rendered ahead can print this.
  await printer.printPhoto(Buffer.from('not a photo'), { jobId: 'cached', label: 'plain', renderKey: 'img-1' });
  const escpos = (await fs.readdir(dir)).filter((n) => n.endsWith('.escpos')).sort();
  t.is(escpos.length, 2);
  const [a, b] = await Promise.all(escpos.map((n) => fs.readFile(path.join(dir, n))));
  t.deepEqual(a, b);
  // Without a rendered raster the same bytes are refused as undecodable.
  await t.throwsAsync(printer.printPhoto(Buffer.from('not a photo'), { jobId: 'x', renderKey: 'img-2' }), {
    code: 'print_image_unreadable',
  });
});

test('the pre-renderer waits for quiet (no bytes arriving, nothing printing), then renders newest first', async (t) => {
  const clock = new ManualClock(1_000_000);
  let busy = true;
  let lastBytesAt = clock.now();
  const { pre, rendered } = recordingPreRenderer(t, clock, {
    busy: () => busy,
    lastProgressAt: () => lastBytesAt,
    maxPhotos: 2,
  });
  pre.offer([entry(1), entry(2), entry(3)], idSource);
  await clock.tick(5_000);
  t.deepEqual(rendered, [], 'a redemption is running');
  t.is(pre.backlog, 2, 'the newest maxPhotos wait');
  busy = false;
  lastBytesAt = clock.now();
  await clock.tick(PRERENDER_QUIET_MS - 1_000);
  t.deepEqual(rendered, [], 'replicated bytes arrived just now');
  await clock.tick(2_000);
  // Only the newest maxPhotos, newest first.
  t.deepEqual(rendered, ['img-3', 'img-2']);
  t.is(pre.backlog, 0);
  pre.offer([entry(1), entry(2), entry(3), entry(4)], idSource);
  await clock.tick(10);
  t.deepEqual(rendered, ['img-3', 'img-2', 'img-4']);
});

test('with the orders feed, only photos fans have paid for are rendered, the most recently paid first; a printed one leaves the queue', async (t) => {
  const clock = new ManualClock(1_000_000);
  let busy = true;
  const { pre, rendered } = recordingPreRenderer(t, clock, { busy: () => busy, lastProgressAt: () => 0, maxPhotos: 8 });
  const paid = new Map([
    ['img-2', 100],
    ['img-4', 300],
    ['img-5', 200],
  ]);
  const held = [entry(1), entry(2), entry(3), entry(4), entry(5)];
  pre.offer(held, idSource, { paidAt: (id: string) => paid.get(id) });
  t.is(pre.backlog, 3, 'img-1 and img-3: nobody bought them');
  // img-5's order is printed elsewhere before this station is quiet.
  paid.delete('img-5');
  pre.offer(held, idSource, { paidAt: (id: string) => paid.get(id) });
  busy = false;
  await clock.tick(PRERENDER_RETRY_MS);
  t.deepEqual(rendered, ['img-4', 'img-2']);
  t.is(pre.backlog, 0);
});

test('a payment between two holdings scans re-ranks the photos last offered (reoffer)', async (t) => {
  const clock = new ManualClock(1_000_000);
  const { pre, rendered } = recordingPreRenderer(t, clock, {
    busy: () => false,
    lastProgressAt: () => 0,
    maxPhotos: 8,
  });
  const paid = new Map<string, number>();
  pre.offer([entry(1), entry(2), entry(3)], idSource, { paidAt: (id: string) => paid.get(id) });
  t.is(pre.backlog, 0, 'nothing paid for yet');
  paid.set('img-1', 500);
  pre.reoffer({ paidAt: (id: string) => paid.get(id) });
  t.is(pre.backlog, 1);
  await clock.tick(10);
  t.deepEqual(rendered, ['img-1']);
});

test('an event whose replica closed is forgotten (retain): its photos are not read again', async (t) => {
  const clock = new ManualClock(1_000_000);
  let busy = true;
  const { pre, rendered } = recordingPreRenderer(t, clock, { busy: () => busy, lastProgressAt: () => 0, maxPhotos: 8 });
  const open = { readLocal: async (e: CatalogEntry) => Buffer.from(e.imageId) };
  const closed = { readLocal: async (): Promise<Buffer> => Promise.reject(new Error('SESSION_CLOSED')) };
  const paid = { paidAt: () => 1 };
  pre.offer([entry(1)], open, paid);
  pre.offer([entry(2)], closed, paid);
  t.is(pre.backlog, 2);
  pre.retain(new Set([open]));
  pre.reoffer(paid);
  t.is(pre.backlog, 1);
  busy = false;
  await clock.tick(PRERENDER_RETRY_MS);
  t.deepEqual(rendered, ['img-1']);
});

test('when the redemption it waited for ends, nudge() starts the next render at once, not at the next retry', async (t) => {
  const clock = new ManualClock(1_000_000);
  let busy = true;
  const { pre, rendered } = recordingPreRenderer(t, clock, {
    busy: () => busy,
    lastProgressAt: () => 0,
    maxPhotos: 4,
  });
  pre.offer([entry(1), entry(2)], idSource);
  await clock.tick(PRERENDER_RETRY_MS / 2);
  busy = false;
  await clock.tick(10);
  t.deepEqual(rendered, [], 'still waiting out its retry');
  pre.nudge();
  await clock.tick(10);
  t.deepEqual(rendered, ['img-2', 'img-1']);
});

test('a photo that cannot be read or rendered is skipped, not retried forever', async (t) => {
  const clock = new ManualClock(1_000_000);
  let attempts = 0;
  const errors: string[] = [];
  const pre = new PreRenderer({
    clock,
    render: async () => {
      attempts++;
      throw new Error('broken master');
    },
    rendered: () => false,
    busy: () => false,
    lastProgressAt: () => 0,
    maxPhotos: 10,
    onError: (_err, id) => errors.push(id),
  });
  t.teardown(() => pre.close());
  const source = { readLocal: async () => Buffer.from('x') };
  pre.offer([entry(1)], source);
  await clock.tick(10);
  pre.offer([entry(1)], source);
  await clock.tick(10);
  t.is(attempts, 1);
  t.deepEqual(errors, ['img-1']);
});

test('a render under way is shared: a print asking for the same photo waits for it instead of rendering again; a failed render is not kept', async (t) => {
  const cache = new RasterCache<string>(4);
  let renders = 0;
  let finish: (v: string) => void = () => {};
  const slow = () =>
    new Promise<string>((resolve) => {
      renders++;
      finish = resolve;
    });
  const warm = cache.getOrRender('img-1', slow);
  const print = cache.getOrRender('img-1', slow);
  finish('raster-1');
  t.deepEqual(await Promise.all([warm, print]), ['raster-1', 'raster-1']);
  t.is(renders, 1);
  t.is(await cache.getOrRender('img-1', slow), 'raster-1', 'kept once rendered');
  t.is(renders, 1);
  await t.throwsAsync(cache.getOrRender('img-2', () => Promise.reject(new Error('undecodable'))));
  t.false(cache.has('img-2'));
  t.is(await cache.getOrRender('img-2', async () => 'raster-2'), 'raster-2', 'a later print renders it again');
});

test('a scan warms up its order: the unframed photos held here are rendered, each once', async (t) => {
  const held = new Set(['img-1', 'img-3']);
  const rendered: string[] = [];
  const deps: WarmUpDeps = {
    lookup: async (code) =>
      code === 'KNOWN'
        ? ({
            eventId: 'ev-1',
            items: [
              { imageId: 'img-1', copies: 2 },
              { imageId: 'img-1', copies: 1 },
              { imageId: 'img-2', copies: 1 },
              { imageId: 'img-3', copies: 1, template: { templateId: 't' } },
              { imageId: 'img-4', copies: 1 },
            ],
          } as unknown as OrdersFeedEntry)
        : null,
    replica: (eventId) =>
      eventId === 'ev-1'
        ? {
            entry: async (imageId) => ({ imageId }) as unknown as CatalogEntry,
            readLocal: async (entry) => (held.has(entry.imageId) ? Buffer.from(entry.imageId) : null),
          }
        : undefined,
    prerender: async (key) => void rendered.push(key),
    isPrerendered: (key) => key === 'img-4',
  };
  // img-1 once (two lines of it), img-2 is not held, img-3 is framed, img-4 was rendered already.
  t.is(await warmUpOrder(deps, 'KNOWN'), 1);
  t.deepEqual(rendered, ['img-1']);
  t.is(await warmUpOrder(deps, 'UNKNOWN'), 0, 'an order not in the local feed is left to the print path');
});
