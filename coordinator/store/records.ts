import type { BlobCoordinates } from '../../shared/feed/feed-layout.ts';
import type { OrderItem, OrderState } from '../../shared/policy/order-state.ts';
import type { PriceList } from '../../shared/policy/pricing.ts';

/** Times are milliseconds since the Unix epoch everywhere in the store. */

export interface VenueRecord {
  id: string;
  name: string;
  /** Hex, 32 bytes. Secret: the swarm topic is derived from it. */
  topicSecret: string;
  createdAt: number;
}

export interface EventRecord {
  id: string;
  venueId: string;
  name: string;
  startsAt: number;
  endsAt: number;
  priceList: PriceList;
  /** Hex, 32 bytes. Secret: the feed writer key pairs and encryption key are derived from it. */
  feedSeed: string;
  /** Public keys (hex) of the event's blobs and catalog cores. */
  blobsKey: string;
  catalogKey: string;
  /**
   * Lengths the feed lease holder has committed. A coordinator that takes the lease over waits
   * until its replica reaches this head before appending, so the feed never forks.
   */
  feedHead: FeedHead;
  createdAt: number;
}

export interface FeedHead {
  blobsLength: number;
  catalogLength: number;
}

export type ImageFeedState = 'pending' | 'appended';

export interface ImageRecord {
  id: string;
  eventId: string;
  photographer: string | null;
  /** Hex sha256 of the print master: an event holds each master once. */
  sha256: string;
  mime: 'image/jpeg' | 'image/png';
  width: number;
  height: number;
  byteLength: number;
  /** Original file name as uploaded (for operators; never trusted for type). */
  originalName: string | null;
  createdAt: number;
  feedState: ImageFeedState;
  /** Where the master sits in the event's blobs core, once appended. */
  feed: BlobCoordinates | null;
  /** Append order within the event, once appended. */
  seq: number | null;
}

export interface ClaimRecord {
  printerId: string;
  claimedAt: number;
  /** After this moment another printer may take the claim over (the holder went silent). */
  expiresAt: number;
}

export interface PrintedRecord {
  printerId: string;
  at: number;
}

export interface OrderRecord {
  id: string;
  /** Short code signed into the redemption token (unique). */
  code: string;
  eventId: string;
  venueId: string;
  items: OrderItem[];
  /** Number of physical prints (sum of copies). */
  unitCount: number;
  totalCents: number;
  currency: string;
  state: OrderState;
  paymentSessionId: string | null;
  createdAt: number;
  paidAt: number | null;
  claim: ClaimRecord | null;
  /** Print unit index (as a decimal string) → who printed it. */
  printed: Record<string, PrintedRecord>;
  printedCount: number;
  fulfilledAt: number | null;
}

export interface PrinterRecord {
  /** The printer's Ed25519 public key, hex. */
  id: string;
  venueId: string;
  name: string;
  pairedAt: number;
  revokedAt: number | null;
  lastSeenAt: number | null;
  /**
   * The card reader an operator assigned to this printer's station (the provider's reader id), the
   * only one its kiosk may take card payments on. Absent or null: none (phone payment only). A
   * reader belongs to at most one printer; revoking the printer frees it.
   */
  cardReaderId?: string | null;
}

/** What a printer holds whole of one event, as it last reported (coordinator/services/held-images.ts reads it). */
export interface HoldingsRecord {
  printerId: string;
  eventId: string;
  /** Catalog positions, sorted disjoint `[start, end)` ranges (shared/feed/seq-ranges.ts). */
  seqRanges?: Array<[number, number]>;
  /** Image ids, from printers older than seq ranges (and records they stored). */
  imageIds?: string[];
  updatedAt: number;
}

/**
 * The last status an edge node reported: what the operator dashboard shows per printer. The body
 * is the edge node's report as sent (validated by the route); the store treats it as opaque.
 */
export interface PrinterReportRecord {
  printerId: string;
  venueId: string;
  receivedAt: number;
  report: Record<string, unknown>;
}

export type CredentialRole = 'operator' | 'photographer';

export interface CredentialRecord {
  /** sha256 hex of the bearer token; the token itself is never stored. */
  tokenHash: string;
  role: CredentialRole;
  name: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface PaymentEventRecord {
  /** The gateway's event id: processing is idempotent on it. */
  id: string;
  orderId: string;
  type: string;
  receivedAt: number;
}

export interface MediaObject {
  bytes: Buffer;
  contentType: string;
}

/** A running coordinator instance, so instances can admit each other on the swarm. */
export interface CoordinatorNodeRecord {
  /** The instance's swarm public key, hex. */
  id: string;
  url: string | null;
  lastSeenAt: number;
}
