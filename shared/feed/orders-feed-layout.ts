import { createHash } from 'node:crypto';
import Hypercore from 'hypercore';
import crypto from 'hypercore-crypto';
import type { OrderItem, OrderState } from '../policy/order-state.ts';
import type { KeyPair } from './feed-layout.ts';

/**
 * How a venue's paid orders and its printers' claims are laid out on Hypercore, shared by the
 * coordinator (writer of the orders feed) and the edge nodes (readers; writers of their own claims).
 *
 *  - The venue's orders feed: one Hyperbee, `ordersFeedKey(code)` → OrdersFeedEntry, written by the
 *    coordinator instance holding the venue's orders-feed lease. It lets a printer serve a valid
 *    code with no cloud at all. It carries no personal data: no names, e-mails or payment details.
 *  - One claims core per printer, signed by the printer's own key (its pairing key), so any printer
 *    of the venue knows every peer's claims core from the peer's pairing key alone.
 * Both are block-encrypted with keys derived from the venue's secret.
 */
export const ORDERS_FEED_PREFIX = 'order/';

/** What a printer knows of a paid order ahead of time. */
export interface OrdersFeedEntry {
  orderId: string;
  code: string;
  eventId: string;
  items: OrderItem[];
  unitCount: number;
  paidAt: number;
  /** The coordinator's state when this version was written (paid, redeeming, fulfilled, …). */
  state: OrderState;
  /** The printer holding the claim or, once fulfilled, the one that printed the first unit. */
  claimedBy: string | null;
  printedCount: number;
}

/** What a paired printer receives (over the authenticated API) to read its venue's orders feed. */
export interface OrdersFeedDescriptor {
  venueId: string;
  key: string;
  encryptionKey: string;
  /** The encryption key of every printer's claims core at this venue. */
  claimsEncryptionKey: string;
}

export function ordersFeedKey(code: string): string {
  return ORDERS_FEED_PREFIX + code.toUpperCase();
}

function derive(label: string, secret: Uint8Array): Buffer {
  return createHash('sha256').update(`venue-print-mesh/${label}/v1\n`).update(secret).digest();
}

/** The orders feed's writer key pair: any coordinator instance holding the venue secret can append. */
export function deriveOrdersFeedKeyPair(venueSecret: Uint8Array): KeyPair {
  return crypto.keyPair(derive('venue-orders', venueSecret));
}

export function deriveOrdersFeedDescriptor(venueId: string, venueSecret: Uint8Array): OrdersFeedDescriptor {
  return {
    venueId,
    // Corestore gives a key-pair core a version-1 manifest: readers open the manifest hash.
    key: Hypercore.key(deriveOrdersFeedKeyPair(venueSecret).publicKey, { version: 1 }).toString('hex'),
    encryptionKey: derive('venue-orders-encryption', venueSecret).toString('hex'),
    claimsEncryptionKey: derive('venue-claims-encryption', venueSecret).toString('hex'),
  };
}

/** The key of the claims core a printer writes with its pairing key pair. */
export function claimsCoreKey(printerPublicKey: Uint8Array): Buffer {
  return Hypercore.key(printerPublicKey, { version: 1 });
}
