import type { AfterEventPriceList, QuotedLine } from '../../shared/policy/after-event-pricing.ts';
import type { ReorderState } from '../../shared/policy/order-state.ts';
import type { ShippingAddress } from '../../shared/policy/shipping-address.ts';

/**
 * Reorders have their own id space: the payment webhook hands an event whose id has this prefix to the
 * reorders, unless a venue order has that id and session (a random venue id can start with it too).
 */
export const REORDER_ID_PREFIX = 'r-';

/** A fan's order after the event: prints and canvas for the lab, digital files for download. */
export interface ReorderRecord {
  id: string;
  eventId: string;
  venueId: string;
  /** The venue order it was reordered from (its page links here); null when started from the gallery. */
  sourceOrderId: string | null;
  lines: QuotedLine[];
  bundle: { imageIds: string[]; priceCents: number } | null;
  currency: string;
  goodsCents: number;
  shippingCents: number;
  taxCents: number;
  totalCents: number;
  /** What a rejected lab job gives back: prints, shipping and their tax. */
  labPartCents: number;
  needsShipping: boolean;
  shippingMethod: { methodId: string; label: string } | null;
  /** Null when nothing ships, or once erased (after shipping + retention, or at the fan's request). */
  address: ShippingAddress | null;
  state: ReorderState;
  paymentSessionId: string | null;
  /** The provider's payment page, for a fan who comes back before paying. */
  checkoutUrl: string | null;
  createdAt: number;
  paidAt: number | null;
  sentToLabAt: number | null;
  inProductionAt: number | null;
  printedAt: number | null;
  shippedAt: number | null;
  deliveredAt: number | null;
  carrier: string | null;
  trackingNumber: string | null;
  rejectedAt: number | null;
  rejectReason: string | null;
  refundedAt: number | null;
  refundId: string | null;
  refundCents: number | null;
  addressErasedAt: number | null;
  /** The fan asked for their data to be erased: address and download links are gone. */
  erasedAt: number | null;
}

export type LabJobState = 'pending' | 'handed_off' | 'failed' | 'cancelled';

/**
 * One hand-off of a paid reorder to the lab, kept in the outbox. Written in the same transaction as
 * the payment, so a crash cannot lose it; handed off under a lease and marked done in the same
 * transaction as the order's move to sent_to_lab, and the lab port's submit is idempotent on the job
 * id, so a crash in between resends the same job, never a second one.
 */
export interface LabJobRecord {
  /** `${reorderId}.${generation}`: a resend by an operator is a new generation. */
  id: string;
  reorderId: string;
  generation: number;
  state: LabJobState;
  attempts: number;
  nextAttemptAt: number;
  leaseUntil: number;
  lastError: string | null;
  labRef: string | null;
  createdAt: number;
  handedOffAt: number | null;
}

/** A signed, expiring, limited-use download of one master. */
export interface DownloadGrantRecord {
  id: string;
  reorderId: string;
  imageId: string;
  /** Name the file is saved as (Content-Disposition). */
  fileName: string;
  maxUses: number;
  usesLeft: number;
  expiresAt: number;
  createdAt: number;
  revokedAt: number | null;
}

/** An event's after-event settings: how long reorders stay open, what they cost, what was cleaned up. */
export interface AfterEventSettings {
  eventId: string;
  reorderWindowDays: number;
  priceList: AfterEventPriceList;
  /** When unsold masters were deleted (retention); null while they are kept. */
  mastersPurgedAt: number | null;
}

export interface ReorderEventSummary {
  eventId: string;
  currency: string;
  byState: Partial<Record<ReorderState, number>>;
  /** Paid reorders (any state after payment, refunded excluded). */
  paidReorders: number;
  revenueCents: number;
  downloadRevenueCents: number;
}
