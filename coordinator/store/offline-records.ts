/**
 * Records of the offline side of the store (issue #6): the venue orders feed's outbox and committed
 * head, the offline redemptions printers report when their uplink returns, and the conflicts found
 * while applying them. Times are milliseconds since the Unix epoch.
 */

/** An order whose current state must (again) be written to its venue's orders feed. */
export interface OrderFeedQueueEntry {
  orderId: string;
  venueId: string;
  queuedAt: number;
  /** Changes with every queueing: the appender removes the entry only if nobody queued it again since it read it. */
  token: string;
}

/** An offline redemption a printer reported, as first received: applied at most once. */
export interface OfflineRedemptionRecord {
  /** `${printerId}:${orderId}`: one offline claim of an order per printer. */
  id: string;
  printerId: string;
  venueId: string;
  orderId: string;
  /** When the printer claimed the order (its clock). */
  claimedAt: number;
  /** Units the printer reported printed offline. */
  units: number[];
  receivedAt: number;
  outcome: OfflineRedemptionOutcome;
}

/** applied: counted at the coordinator; conflict: see the conflict list; nothing_printed: a claim only. */
export type OfflineRedemptionOutcome = 'applied' | 'conflict' | 'nothing_printed';

export type ConflictKind =
  /** Printed offline here and also elsewhere (another printer offline, or online): a double print. */
  | 'double_print'
  /** Printed offline for an order that was not (or no longer) redeemable, e.g. cancelled. */
  | 'not_redeemable'
  /** Printed offline for an order this coordinator does not know at this printer's venue. */
  | 'unknown_order'
  /** A payment arrived after its order was cancelled: refunded through the gateway (or to refund by hand). */
  | 'paid_after_cancel';

/** The printerId of a conflict no printer was part of (a payment conflict). */
export const NO_PRINTER_ID = '';

/** A problem operators must look at: never dropped silently. */
export interface ConflictRecord {
  /** Deterministic (`${kind}:${orderId}:${printerId}`), so reporting it again records it once. */
  id: string;
  kind: ConflictKind;
  venueId: string;
  orderId: string;
  /** The printer whose report revealed it. */
  printerId: string;
  /** Printers that printed the order according to the coordinator (the counted ones). */
  otherPrinterIds: string[];
  /** Units the reporting printer printed that were not counted. */
  units: number[];
  detail: string;
  detectedAt: number;
  /** paid_after_cancel only: the gateway's refund id, or null when the automatic refund failed. */
  refundId?: string | null;
  /** Absent until an operator has dealt with it (refunded, contacted the fan); the first one stands. */
  acknowledged?: ConflictAcknowledgement;
}

/** Who took care of a conflict, and when. */
export interface ConflictAcknowledgement {
  at: number;
  /** The staff credential's public id (coordinator/http/auth.ts credentialIdOf). */
  byCredentialId: string;
  /** The name shown to people: the credential's name, with what they typed at sign-in. */
  byName: string;
}
