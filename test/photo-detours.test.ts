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
import { LanOverlay } from '../edge-node/mesh/lan-overlay.ts';
import { type EventDetours, PhotoDetours, type PhotoDetoursOptions } from '../edge-node/mesh/photo-detours.ts';
import { photoCoreNeighbours, photoDetourTargets } from '../shared/policy/photo-overlay.ts';
import { ManualClock, systemClock } from '../shared/ports/clock.ts';
import { recordingLogger, waitFor, within } from './fixtures/feed-fixtures.ts';
import { followedCore, type GuardedPrinter, guardedVenue, peerKeys } from './fixtures/guarded-venue.ts';

/** In-process streams: the channels change within milliseconds, seconds on a busy machine. */
const WITHIN_MS = 20_000;
const BLOCK = Buffer.alloc(64 * 1024, 7);

interface DetourVenue {
  printers: GuardedPrinter[];
  catalog: Hypercore[];
  photos: Hypercore[];
  detours: PhotoDetours[];
  events: EventDetours[];
  /** The writer (printer 0) holds the photos; these printers are not its overlay neighbours. */
  strangers: number[];
  /** Appends a photo (one block) at the writer; its index. */
  photo(): Promise<number>;
}

/**
 * Six printers on one photo ring: each replicates the photos with two. The catalog (full mesh)
 * carries the detour requests, as an event's catalog does. The writer's detours run on `clock`.
 */
async function detourVenue(
  t: ExecutionContext,
  writer: Partial<Pick<PhotoDetoursOptions, 'servedAtOnce' | 'leaseMs' | 'clock'>> = {},
): Promise<DetourVenue> {
  const printers = await guardedVenue(t, 6, { photoRings: 1 });
  const catalog = await followedCore(printers, null);
  const photos = await followedCore(printers, 'photos', { follow: false });
  const dk = crypto.discoveryKey(photos[0]!.key).toString('hex');
  const detours = printers.map(
    (p, i) =>
      new PhotoDetours({
        self: p.id,
        clock: systemClock,
        logger: recordingLogger(),
        ...(i === 0 ? writer : {}),
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
  const photo = async () => (await photos[0]!.append(BLOCK)).length - 1;
  return { printers, catalog, photos, detours, events, strangers, photo };
}

/** Whether printer `at` fetches block `index` within WITHIN_MS. */
async function fetched(photos: Hypercore[], at: number, index: number): Promise<boolean> {
  const range = photos[at]!.download({ start: index, end: index + 1 });
  const done = await within(
    range.done().then(() => true),
    WITHIN_MS,
    false,
  );
  range.destroy();
  return done;
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

test('a membership change leaves a detour’s link open, and still opens a link the overlay now wants', (t) => {
  const photos = Buffer.alloc(32, 3);
  const dk = crypto.discoveryKey(photos).toString('hex');
  const venue = Array.from({ length: 20 }, (_, i) => `printer-${i}`);
  const self = venue[0]!;
  const overlay = new LanOverlay(self, { photoRings: 1 });
  overlay.register(photos, 'photos');
  overlay.setPrinters(venue);
  const [left, right] = [...photoCoreNeighbours(photos.toString('hex'), venue, self, 1)] as [string, string];
  // A stranger this printer has a detour with, and the printer that becomes its neighbour when
  // `left` leaves (the one beyond `left` on the ring).
  const rest = venue.filter((p) => p !== left);
  const newcomer = [...photoCoreNeighbours(photos.toString('hex'), rest, self, 1)].find((p) => p !== right)!;
  const stranger = venue.find((p) => p !== self && p !== left && p !== right && p !== newcomer)!;
  overlay.openDetour(dk, stranger);
  overlay.openDetour(dk, newcomer);
  t.true(overlay.replicatesWith(dk, stranger) && !overlay.isNeighbour(dk, stranger));
  const changes = overlay.setPrinters(rest);
  t.deepEqual(
    changes.filter((c) => c.discoveryKey === dk).map((c) => [c.remote, c.open]),
    [[newcomer, true]],
    'the new neighbour’s link is opened although a detour holds it (a no-op if the channel is up)',
  );
  // The printer that left comes back: the newcomer is no neighbour any more, but its detour holds the link.
  const back = overlay.setPrinters(venue);
  t.false(
    back.some((c) => c.remote === newcomer && !c.open),
    'closing the link with the former neighbour is left to its detour’s end',
  );
  t.false(overlay.closeDetour(dk, stranger), 'the last lease ends: the channel is no longer wanted');
  t.false(overlay.closeDetour(dk, newcomer), 'nor with the former neighbour, whose detour ends last');
});

test('a photo only a non-neighbour holds comes over a detour, which both ends close when the fetch is done', async (t) => {
  t.timeout(60_000);
  const { printers, photos, detours, events, strangers, photo } = await detourVenue(t);
  const index = await photo();
  const asker = strangers[0]!;
  const writer = printers[0]!.id;
  t.false(peerKeys(photos[asker]!).includes(writer), 'the asker does not replicate the photos with the writer');
  t.true(
    photos.every((c, i) => i === 0 || c.contiguousLength === 0),
    'nobody but the writer holds the photo',
  );
  const ids = printers.map((p) => p.id);
  const neighbour = [...photoCoreNeighbours(photos[0]!.key.toString('hex'), ids, ids[asker]!, 1)][0]!;
  t.is(events[asker]!.ask([neighbour, writer], 'photo-0'), null, 'a photo peer that holds it is asked on the overlay');

  const detour = events[asker]!.ask([writer], 'photo-0');
  t.deepEqual(detour?.remotes, [writer]);
  t.true(await fetched(photos, asker, index), 'the photo arrived');
  t.deepEqual(await photos[asker]!.get(index), BLOCK);
  t.true(peerKeys(photos[asker]!).includes(writer), 'over a link with the writer');
  t.is(detours[0]!.stats.serving, 1);

  detour!.close();
  t.true(
    await waitFor(
      () =>
        !peerKeys(photos[asker]!).includes(writer) &&
        !peerKeys(photos[0]!).includes(ids[asker]!) &&
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

test('two fans at one printer share its detour to a holder: the first done leaves it open for the second', async (t) => {
  t.timeout(60_000);
  const { printers, photos, detours, events, strangers, photo } = await detourVenue(t);
  const asker = strangers[0]!;
  const writer = printers[0]!.id;
  const [first, second] = [await photo(), await photo()];
  const one = events[asker]!.ask([writer], `photo-${first}`);
  const two = events[asker]!.ask([writer], `photo-${second}`);
  t.true(await fetched(photos, asker, first), 'the first fan’s photo arrived');
  one!.close();
  t.true(await fetched(photos, asker, second), 'the second fan’s photo arrives over the same link');
  t.false(two!.ended, 'the second fan’s detour is still on');
  t.is(detours[0]!.stats.serving, 1, 'the holder still serves the asker');
  t.true(peerKeys(photos[asker]!).includes(writer));
  two!.close();
  t.true(
    await waitFor(() => detours[0]!.stats.serving === 0 && !peerKeys(photos[asker]!).includes(writer), WITHIN_MS),
    'closed once both are done',
  );
  t.like(detours[0]!.stats, { served: 1 });
  t.like(detours[asker]!.stats, { asked: 2 });
});

test('a holder at its limit declines and says so; a lease that ends while a fan still waits is asked for again', async (t) => {
  t.timeout(60_000);
  const clock = new ManualClock(0);
  const { printers, photos, detours, events, strangers, photo } = await detourVenue(t, {
    servedAtOnce: 1,
    leaseMs: 60_000,
    clock,
  });
  t.true(strangers.length >= 2, 'two printers are no neighbour of the writer');
  const [first, second] = strangers as [number, number];
  const writer = printers[0]!.id;
  const index = await photo();
  const served = events[first]!.ask([writer], 'photo-0');
  t.true(await fetched(photos, first, index), 'the first asker is served');
  const refusedBefore = printers[0]!.overlay.refused('photos');
  const declined = events[second]!.ask([writer], 'photo-0');
  t.true(
    await waitFor(() => declined!.ended && printers[0]!.overlay.refused('photos') > refusedBefore, WITHIN_MS),
    'the second asker learns it is declined (its channel was refused)',
  );
  t.like(detours[0]!.stats, { declined: 1, serving: 1 });
  t.false(peerKeys(photos[0]!).includes(printers[second]!.id));
  t.is(events[second]!.ask([writer], 'photo-0', new Set([writer])), null, 'no other holder to ask');
  declined!.close();

  // The first asker's fan still waits when the lease ends on the writer's clock: it asks again and
  // is served again, on the same terms.
  t.false(served!.ended);
  clock.advance(60_000);
  t.true(
    await waitFor(() => detours[0]!.stats.served === 2 && detours[0]!.stats.serving === 1, WITHIN_MS),
    'the lease ended and the asker, with a fan still waiting, was served again',
  );
  t.false(served!.ended);
  const next = await photo();
  t.true(await fetched(photos, first, next), 'over the renewed link');
  served!.close();
  t.true(
    await waitFor(
      () => detours[0]!.stats.serving === 0 && !peerKeys(photos[0]!).includes(printers[first]!.id),
      WITHIN_MS,
    ),
    'closed when the fan is done',
  );
});

test('an event closing ends its detours at both ends; malformed requests are counted, not obeyed', async (t) => {
  t.timeout(60_000);
  const { printers, catalog, photos, detours, events, strangers, photo } = await detourVenue(t);
  const [first, second] = strangers as [number, number];
  const writer = printers[0]!.id;
  const index = await photo();
  // The asker's event closes while its fan's detour is open: the holder frees the place.
  const asked = events[first]!.ask([writer], 'photo-0');
  t.true(await fetched(photos, first, index));
  events[first]!.detach();
  t.true(asked!.ended);
  t.is(events[first]!.ask([writer], 'photo-0'), null, 'nothing more is asked for a closed event');
  t.true(await waitFor(() => detours[0]!.stats.serving === 0, WITHIN_MS), 'the holder stopped serving it');
  // The holder's event closes while it serves: the asker learns and its fetch can ask elsewhere.
  const served = events[second]!.ask([writer], 'photo-0');
  t.true(await fetched(photos, second, index));
  events[0]!.detach();
  t.true(await waitFor(() => served!.ended, WITHIN_MS), 'the asker knows the detour is over');
  served!.close();
  // Requests that do not parse or do not fit are counted by the receiver, and change nothing.
  const raw = (
    catalog[second] as unknown as { extensions: Map<string, { send(m: string, p: unknown): void }> }
  ).extensions.get('vpm/detour/v1')!;
  const other = printers.findIndex((_, i) => i !== 0 && i !== first && i !== second);
  const toOther = catalog[second]!.peers.find((p) => p.remotePublicKey.toString('hex') === printers[other]!.id);
  raw.send('{"ask": tru', toOther);
  raw.send(JSON.stringify({ ask: 'yes', n: 1 }), toOther);
  t.true(await waitFor(() => detours[other]!.stats.rejectedMessages === 2, WITHIN_MS));
  t.like(detours[other]!.stats, { serving: 0, served: 0 });
  t.is(catalog[second]!.peers.length, 5, 'the connection stayed up');
});
