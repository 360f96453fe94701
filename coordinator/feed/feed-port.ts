import type { BlobCoordinates, EventFeedDescriptor } from '../../shared/feed/feed-layout.ts';
import type { OrdersFeedDescriptor } from '../../shared/feed/orders-feed-layout.ts';
import type { EventRecord, VenueRecord } from '../store/records.ts';

/** What the HTTP app needs of the Hypercore side (FeedService implements it). */
export interface FeedPort {
  venueCreated(venue: VenueRecord): Promise<void>;
  eventCreated(event: EventRecord): Promise<void>;
  /** Wakes the appender: the event has images waiting for the feed. */
  notifyImagesPending(eventId: string): void;
  /** Pairing or revocation changed who may connect. */
  refreshPeers(): Promise<void>;
  descriptorFor(event: EventRecord): EventFeedDescriptor;
  /** Wakes the orders-feed appender: the venue has orders queued for its orders feed (store outbox). */
  notifyOrdersQueued(venueId: string): void;
  /** What a paired printer needs to read its venue's orders feed and its peers' claims (issue #6). */
  ordersFeedFor(venue: VenueRecord): OrdersFeedDescriptor;
  /** Retention (issue #15): drops these blobs' blocks from the event's feed on this disk; returns blocks cleared. */
  reclaimBlobs?(event: EventRecord, blobs: readonly BlobCoordinates[]): Promise<number>;
  stats(): Promise<Array<{ eventId: string; blobsLength: number; blobsBytes: number; catalogLength: number }>>;
}
