import { createHash } from 'node:crypto';
import Hypercore from 'hypercore';
import crypto from 'hypercore-crypto';

/**
 * How an event's photos are laid out on Hypercore, shared by the coordinator (writer) and the edge
 * node (reader). Each event has two cores, as Hyperdrive does it:
 *  - a blobs core (Hyperblobs): the print masters' bytes in FEED_BLOCK_BYTES blocks;
 *  - a catalog core (Hyperbee): `catalogKey(imageId)` → CatalogEntry (block range, sha256, size).
 * Both are block-encrypted with the event's encryption key, and found on the DHT only through a
 * topic derived from the venue's secret.
 */
export { FEED_BLOCK_BYTES } from './feed-block.ts';
export const CATALOG_IMAGE_PREFIX = 'image/';

export interface BlobCoordinates {
  blockOffset: number;
  blockLength: number;
  byteOffset: number;
  byteLength: number;
}

export interface CatalogEntry {
  imageId: string;
  /** Position of the image in the event's append order, 0-based. */
  seq: number;
  blob: BlobCoordinates;
  byteLength: number;
  sha256: string;
  width: number;
  height: number;
  mime: 'image/jpeg' | 'image/png';
  /** When the coordinator registered the image (ms since epoch): printers measure replication lag by it. */
  registeredAt: number;
}

/** What a paired printer receives (over the authenticated API) to find and read an event's feed. */
export interface EventFeedDescriptor {
  eventId: string;
  blobsKey: string;
  catalogKey: string;
  encryptionKey: string;
}

export interface KeyPair {
  publicKey: Buffer;
  secretKey: Buffer;
}

export function catalogKey(imageId: string): string {
  return CATALOG_IMAGE_PREFIX + imageId;
}

function derive(label: string, secret: Uint8Array): Buffer {
  return createHash('sha256').update(`venue-print-mesh/${label}/v1\n`).update(secret).digest();
}

/** The venue's swarm topic. Knowing it reveals peers' addresses, so it comes from a secret. */
export function deriveVenueTopic(venueSecret: Uint8Array): Buffer {
  return derive('venue-topic', venueSecret);
}

/**
 * The event's writer key pairs, derived from the event's secret feed seed, so that any coordinator
 * instance holding the feed lease (and the seed, from the store) can append.
 */
export function deriveEventFeedKeyPairs(feedSeed: Uint8Array): { blobs: KeyPair; catalog: KeyPair } {
  return {
    blobs: crypto.keyPair(derive('event-blobs', feedSeed)),
    catalog: crypto.keyPair(derive('event-catalog', feedSeed)),
  };
}

export function deriveEventEncryptionKey(feedSeed: Uint8Array): Buffer {
  return derive('event-encryption', feedSeed);
}

/**
 * The Hypercore keys of an event's cores. Corestore gives a key-pair core a version-1 manifest, so
 * the core key is the manifest hash, not the signer's public key: readers must open these keys.
 */
export function deriveEventFeedKeys(feedSeed: Uint8Array): { blobsKey: Buffer; catalogKey: Buffer } {
  const pairs = deriveEventFeedKeyPairs(feedSeed);
  return {
    blobsKey: Hypercore.key(pairs.blobs.publicKey, { version: 1 }),
    catalogKey: Hypercore.key(pairs.catalog.publicKey, { version: 1 }),
  };
}
