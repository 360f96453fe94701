/**
 * Detours (issue #16, edge-node/mesh/photo-detours.ts): at a venue on the photo overlay, a fan's
 * photo that no overlay neighbour holds is fetched from a printer that does, over a link both ends
 * open for that fetch only. Real corestores, every pair connected by a guarded stream; the photos
 * are fetched by nobody in the background (sync windows closed), so only the writer holds them.
 */
import test, { type ExecutionContext } from 'ava';
import type Hypercore from 'hypercore';
import crypto from 'hypercore-crypto';
import { setCoreChannel } from '../edge-node/mesh/core-channels.ts';
import { type EventDetours, PhotoDetours, type PhotoDetoursOptions } from '../edge-node/mesh/photo-detours.ts';
import { photoCoreNeighbours, photoDetourTargets } from '../shared/policy/photo-overlay.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { recordingLogger, waitFor, within } from './fixtures/feed-fixtures.ts';
import { followedCore, type GuardedPrinter, guardedVenue, peerKeys } from './fixtures/guarded-venue.ts';

/** In-process streams: the channels change within milliseconds, seconds on a busy machine. */
const WITHIN_MS = 20_000;
const BLOCK = Buffer.alloc(64 * 1024, 7);

interface DetourVenue {
  printers: GuardedPrinter[];
  photos: Hypercore[];
  detours: PhotoDetours[];
  events: EventDetours[];
  /** The writer (printer 0) holds the photo; these printers are not its overlay neighbours. */
  strangers: number[];
}

/**
 * Six printers on one photo ring: each replicates the photos with two. The catalog (full mesh)
 * carries the detour requests, as an event's catalog does.
 */
async function detourVenue(
  t: ExecutionContext,
  served: Pick<PhotoDetoursOptions, 'servedMax' | 'servedMaxMs'> = {},
): Promise<DetourVenue> {
  const printers = await guardedVenue(t, 6, { photoRings: 1 });
  const catalog = await followedCore(printers, null);
  const photos = await followedCore(printers, 'photos', { follow: false });
  await photos[0]!.append(BLOCK);
  const dk = crypto.discoveryKey(photos[0]!.key).toString('hex');
  const detours = printers.map(
    (p, i) =>
      new PhotoDetours({
        self: p.id,
        clock: systemClock,
        logger: recordingLogger(),
        ...(i === 0 ? served : {}),
        links: {
          overlay: p.overlay,
          setChannel: (remote, discoveryKey, open) =>
            void setCoreChannel(p.store, p.muxers.get(remote), discoveryKey, open),
          isConnected: (remote) => p.muxers.has(remote),
        },
      }),
  );
  t.teardown(() => {
    for (const d of detours) d.close();
  });
  const events = detours.map((d, i) => d.attach(catalog[i]!, dk));
  t.true(
    await waitFor(() => catalog.every((c) => c.peers.length === 5), WITHIN_MS),
    'the catalog replicates on the full mesh',
  );
  const ids = printers.map((p) => p.id);
  const writersPeers = photoCoreNeighbours(photos[0]!.key.toString('hex'), ids, ids[0]!, 1);
  const strangers = ids.flatMap((id, i) => (i > 0 && !writersPeers.has(id) ? [i] : []));
  t.true(await waitFor(() => photos.every((c) => c.peers.length === 2), WITHIN_MS), 'two photo peers each on one ring');
  return { printers, photos, detours, events, strangers };
}

test('the policy: no detour when a photo peer holds the photo; otherwise two connected holders, spread over askers', (t) => {
  const peers = new Set(['n1', 'n2']);
  const isPeer = (k: string) => peers.has(k);
  const connected = (k: string) => k !== 'gone';
  t.deepEqual(photoDetourTargets(['x', 'n1'], isPeer, connected, 'asker/photo'), [], 'a photo peer holds it');
  t.deepEqual(photoDetourTargets([], isPeer, connected, 'asker/photo'), []);
  const holders = Array.from({ length: 10 }, (_, i) => `holder-${i}`);
  const picks = Array.from({ length: 200 }, (_, i) =>
    photoDetourTargets(['gone', ...holders], isPeer, connected, `asker-${i}/photo-1`),
  );
  t.true(
    picks.every((p) => p.length === 2 && !p.includes('gone') && p[0] !== p[1]),
    'two connected holders each',
  );
  t.deepEqual(
    photoDetourTargets([...holders].reverse(), isPeer, connected, 'asker-7/photo-1'),
    picks[7],
    'the same whatever order the holders were announced in',
  );
  const asked = new Map<string, number>();
  for (const p of picks) for (const k of p) asked.set(k, (asked.get(k) ?? 0) + 1);
  t.is(asked.size, holders.length, 'every holder is asked by some of 200 askers');
  t.true(Math.max(...asked.values()) <= 80, `no holder asked by most askers (${Math.max(...asked.values())} of 200)`);
});

test('a photo only a non-neighbour holds comes over a detour, which both ends close when the fetch is done', async (t) => {
  t.timeout(60_000);
  const { printers, photos, detours, events, strangers } = await detourVenue(t);
  const asker = strangers[0]!;
  const writer = printers[0]!.id;
  t.false(peerKeys(photos[asker]!).includes(writer), 'the asker does not replicate the photos with the writer');
  t.true(
    photos.every((c, i) => i === 0 || c.contiguousLength === 0),
    'nobody but the writer holds the photo',
  );
  const neighbour = [
    ...photoCoreNeighbours(
      photos[0]!.key.toString('hex'),
      printers.map((p) => p.id),
      printers[asker]!.id,
      1,
    ),
  ][0]!;
  t.is(events[asker]!.ask([neighbour, writer], 'photo-0'), null, 'a photo peer that holds it is asked on the overlay');

  const range = photos[asker]!.download({ start: 0, end: 1 });
  const detour = events[asker]!.ask([writer], 'photo-0');
  t.deepEqual(detour?.remotes, [writer]);
  t.true(
    await within(
      range.done().then(() => true),
      WITHIN_MS,
      false,
    ),
    'the photo arrived',
  );
  t.deepEqual(await photos[asker]!.get(0), BLOCK);
  t.true(peerKeys(photos[asker]!).includes(writer), 'over a link with the writer');
  t.is(detours[0]!.stats.serving, 1);

  detour!.close();
  t.true(
    await waitFor(
      () =>
        !peerKeys(photos[asker]!).includes(writer) &&
        !peerKeys(photos[0]!).includes(printers[asker]!.id) &&
        detours[0]!.stats.serving === 0,
      WITHIN_MS,
    ),
    'the link is closed at both ends',
  );
  t.true(
    photos.every((c) => c.peers.length === 2),
    'back to two photo peers each',
  );
  t.like(detours[0]!.stats, { served: 1, declined: 0 });
  t.like(detours[asker]!.stats, { asked: 1 });
});

test('a printer serves at most its limit of detours at once, and ends one the asker never closes', async (t) => {
  t.timeout(60_000);
  const { printers, photos, detours, events, strangers } = await detourVenue(t, { servedMax: 1, servedMaxMs: 1_000 });
  t.true(strangers.length >= 2, 'two printers are no neighbour of the writer');
  const [first, second] = strangers as [number, number];
  const writer = printers[0]!.id;
  const range = photos[first]!.download({ start: 0, end: 1 });
  events[first]!.ask([writer], 'photo-0');
  t.true(
    await within(
      range.done().then(() => true),
      WITHIN_MS,
      false,
    ),
    'the first asker is served',
  );
  const refusedBefore = printers[0]!.overlay.refused('photos');
  events[second]!.ask([writer], 'photo-0');
  t.true(
    await waitFor(
      () => detours[0]!.stats.declined === 1 && printers[0]!.overlay.refused('photos') > refusedBefore,
      WITHIN_MS,
    ),
    'the second asker is declined, and its channel refused',
  );
  t.false(peerKeys(photos[0]!).includes(printers[second]!.id));
  // The first asker never closes its detour: the writer ends it after servedMaxMs.
  t.true(
    await waitFor(
      () => detours[0]!.stats.serving === 0 && !peerKeys(photos[0]!).includes(printers[first]!.id),
      WITHIN_MS,
    ),
    'the writer closed the detour nobody closed',
  );
});
