import { AppError } from '../../shared/errors.ts';
import {
  deriveEventEncryptionKey,
  deriveEventFeedKeyPairs,
  deriveEventFeedKeys,
  type EventFeedDescriptor,
  type KeyPair,
} from '../../shared/feed/feed-layout.ts';
import type { EventRecord } from '../store/records.ts';

const FEED_SEED_BYTES = 32;

/** The secret every key of the event's feed derives from; refused unless it is 32 bytes of hex. */
function feedSeedOf(event: EventRecord): Buffer {
  const seed = Buffer.from(event.feedSeed, 'hex');
  if (seed.byteLength !== FEED_SEED_BYTES || seed.toString('hex') !== event.feedSeed.toLowerCase()) {
    throw new AppError('invalid_feed_seed', `Event ${event.id} has no valid 32-byte hex feed seed.`);
  }
  return seed;
}

/** Pure: what a paired printer needs to find and read the event's feed. */
export function eventFeedDescriptor(event: EventRecord): EventFeedDescriptor {
  const seed = feedSeedOf(event);
  const keys = deriveEventFeedKeys(seed);
  return {
    eventId: event.id,
    blobsKey: keys.blobsKey.toString('hex'),
    catalogKey: keys.catalogKey.toString('hex'),
    encryptionKey: deriveEventEncryptionKey(seed).toString('hex'),
  };
}

/** What opening the event's two cores takes, once the keys the event stores are checked against its seed. */
export function eventFeedKeys(event: EventRecord): {
  descriptor: EventFeedDescriptor;
  pairs: { blobs: KeyPair; catalog: KeyPair };
  encryptionKey: Buffer;
} {
  const seed = feedSeedOf(event);
  const descriptor = eventFeedDescriptor(event);
  const pairs = deriveEventFeedKeyPairs(seed);
  // The stored keys are what printers open; they must be the ones this seed's cores get.
  if (
    event.blobsKey.toLowerCase() !== descriptor.blobsKey ||
    event.catalogKey.toLowerCase() !== descriptor.catalogKey
  ) {
    throw new AppError(
      'feed_key_mismatch',
      `Event ${event.id} stores feed keys that do not come from its feed seed; derive them with deriveEventFeedKeys.`,
    );
  }
  return { descriptor, pairs, encryptionKey: deriveEventEncryptionKey(seed) };
}
