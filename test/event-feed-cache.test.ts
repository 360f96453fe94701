import test from 'ava';
import { EventFeedCache } from '../coordinator/services/event-feed-cache.ts';
import type { EventRecord } from '../coordinator/store/records.ts';
import { isAppError } from '../shared/errors.ts';
import type { EventFeedDescriptor } from '../shared/feed/feed-layout.ts';

function eventRecord(id: string): EventRecord {
  return {
    id,
    venueId: 'venue-1',
    name: `Event ${id}`,
    startsAt: 0,
    endsAt: 1,
    priceList: { currency: 'EUR', unitPriceCents: 800, bundles: [] },
    feedSeed: id.repeat(64).slice(0, 64),
    blobsKey: `blobs-${id}`,
    catalogKey: `catalog-${id}`,
    feedHead: { blobsLength: 0, catalogLength: 0 },
    createdAt: 0,
  };
}

/** A store holding `events`, counting its reads; feeds that derive a descriptor from the record. */
function fixture(events: EventRecord[]) {
  const reads: string[] = [];
  const byId = new Map(events.map((e) => [e.id, e]));
  const store = {
    async getEvent(id: string) {
      reads.push(id);
      return byId.get(id) ?? null;
    },
  };
  const feeds = {
    descriptorFor(event: EventRecord): EventFeedDescriptor {
      return {
        eventId: event.id,
        blobsKey: event.blobsKey,
        catalogKey: event.catalogKey,
        encryptionKey: event.feedSeed,
      };
    },
  };
  return { reads, byId, store, feeds };
}

test('event feed cache: each event is read from the store once, and answers its own descriptor', async (t) => {
  const f = fixture([eventRecord('a'), eventRecord('b')]);
  const cache = new EventFeedCache(f.store, f.feeds);
  const first = await cache.descriptor('a');
  t.is(first.eventId, 'a');
  t.is(first.blobsKey, 'blobs-a');
  t.is((await cache.descriptor('b')).catalogKey, 'catalog-b');
  t.deepEqual(await cache.descriptor('a'), first);
  t.deepEqual(f.reads, ['a', 'b']);
  t.true(Object.isFrozen(first), 'callers share the cached descriptor, so nobody may change it');
});

test('event feed cache: an unknown event is event_missing every time, and found once it exists', async (t) => {
  const f = fixture([]);
  const cache = new EventFeedCache(f.store, f.feeds);
  for (let i = 0; i < 2; i++) {
    const err = await t.throwsAsync(cache.descriptor('late'));
    t.true(isAppError(err, 'event_missing'));
  }
  f.byId.set('late', eventRecord('late'));
  t.is((await cache.descriptor('late')).eventId, 'late');
  t.deepEqual(f.reads, ['late', 'late', 'late']);
});

test('event feed cache: past its bound the event cached first is forgotten and read again', async (t) => {
  const f = fixture([eventRecord('a'), eventRecord('b'), eventRecord('c')]);
  const cache = new EventFeedCache(f.store, f.feeds, 2);
  await cache.descriptor('a');
  await cache.descriptor('b');
  await cache.descriptor('c');
  await cache.descriptor('b');
  await cache.descriptor('a');
  t.deepEqual(f.reads, ['a', 'b', 'c', 'a']);
});
