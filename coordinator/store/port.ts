import { AppError, isAppError } from '../../shared/errors.ts';
import type { BlobCoordinates } from '../../shared/feed/feed-layout.ts';
import type { OrderEvent, OrderState } from '../../shared/policy/order-state.ts';
import type { PriceList } from '../../shared/policy/pricing.ts';
import type { OfflineStore } from './offline-port.ts';
import type { OwnPhotoJobStore } from './own-photo-port.ts';
import type {
  CoordinatorNodeRecord,
  CredentialRecord,
  EventRecord,
  FeedHead,
  HoldingsRecord,
  ImageRecord,
  MediaObject,
  OrderRecord,
  PaymentEventRecord,
  PrinterRecord,
  PrinterReportRecord,
  VenueRecord,
} from './records.ts';

/**
 * The store port. Every state transition is a single atomic conditional update in the backing
 * database (never read-check-write in process memory), so several coordinator processes can share
 * one store. Every adapter must pass test/store-contract.ts.
 *
 * Methods return copies: mutating a returned record never changes the store.
 */
export interface Store extends OfflineStore {
  ready(): Promise<void>;
  close(): Promise<void>;

  insertVenue(venue: VenueRecord): Promise<void>;
  getVenue(id: string): Promise<VenueRecord | null>;
  listVenues(): Promise<VenueRecord[]>;

  insertEvent(event: EventRecord): Promise<void>;
  getEvent(id: string): Promise<EventRecord | null>;
  /** Newest first. */
  listEvents(filter?: { venueId?: string }): Promise<EventRecord[]>;
  /** Raises the committed feed head; never lowers it (a smaller head changes nothing). */
  raiseFeedHead(eventId: string, head: FeedHead): Promise<void>;
  /** Replaces the event's price list (orders already placed keep their price); null: no such event. */
  setEventPriceList(eventId: string, priceList: PriceList): Promise<EventRecord | null>;

  /** Unique on (eventId, sha256): a second upload of the same master returns the first. */
  insertImage(image: ImageRecord): Promise<{ inserted: true } | { inserted: false; existing: ImageRecord }>;
  getImage(id: string): Promise<ImageRecord | null>;
  /** In append order (seq), then pending ones by createdAt. */
  listImages(eventId: string): Promise<ImageRecord[]>;
  /** Oldest first, at most `limit`. */
  listPendingImages(eventId: string, limit: number): Promise<ImageRecord[]>;
  /** Event ids that have images waiting to be appended. */
  listEventsWithPendingImages(): Promise<string[]>;
  /** pending → appended; returns false (changes nothing) when the image was not pending. */
  markImageAppended(id: string, feed: BlobCoordinates, seq: number): Promise<boolean>;

  /** Bytes kept by the coordinator: print masters, previews, thumbnails. Overwrites. */
  putMedia(key: string, media: MediaObject): Promise<void>;
  getMedia(key: string): Promise<MediaObject | null>;
  /** Removes media (e.g. the renditions of an upload that turned out to be a duplicate). Idempotent. */
  deleteMedia(key: string): Promise<void>;
  /** Media keys starting with `prefix`, after `afterKey` (exclusive), in key order, at most `limit`. */
  listMediaKeys(prefix: string, afterKey: string | null, limit: number): Promise<string[]>;

  /** Throws a `store_conflict` AppError when the id or code exists. */
  insertOrder(order: OrderRecord): Promise<void>;
  getOrder(id: string): Promise<OrderRecord | null>;
  getOrderByCode(code: string): Promise<OrderRecord | null>;
  /**
   * Applies an order-state event atomically: only when the order's state is one the event is
   * allowed from (shared/policy/order-state.ts). Returns the updated order, or null when the
   * order does not exist or is in another state.
   */
  transitionOrder(
    id: string,
    event: OrderEvent,
    patch?: Partial<Pick<OrderRecord, 'paidAt' | 'paymentSessionId'>>,
  ): Promise<OrderRecord | null>;
  /**
   * Claims a paid order for a printer, exactly once across all processes: succeeds when the order
   * is paid and unclaimed, already claimed by this printer (idempotent retry: the claim is renewed),
   * or claimed by a printer whose claim expired before `now`.
   */
  claimOrder(id: string, printerId: string, now: number, claimTtlMs: number): Promise<ClaimOutcome>;
  /**
   * A printer's redemption of a scanned code as one store step (issue #16: one call where a
   * redemption made five): claimOrder on the order with `code`, except that an order of another
   * venue than `venueId` is left alone ('other_venue'); with the claim, what its print job needs,
   * read in the same step: the printer's holdings for the order's event and the order's images (one
   * per item, null where missing). `renewed`: `printerId` held the claim already (claimedAt kept);
   * an adapter may answer false for a renewal that raced with the claim itself (the orders feed
   * then records the same holder again, which is harmless). With `feedEntry`, a claim that is new
   * (not a renewal) of a paid order is also queued for the venue's orders feed in the same step
   * (order-rules.ts `claimQueuesFeed`): one durable write per redemption instead of two.
   */
  redeemOrderByCode(
    code: string,
    printerId: string,
    venueId: string,
    now: number,
    claimTtlMs: number,
    feedEntry?: ClaimFeedEntry,
  ): Promise<RedemptionClaim>;
  /**
   * Records that `printerId`, which holds the claim, printed `unit`. Idempotent. The order becomes
   * fulfilled when every unit is printed. Renews the claim.
   */
  confirmPrinted(id: string, printerId: string, unit: number, now: number, claimTtlMs: number): Promise<ConfirmOutcome>;
  /** Drops the claim (operator action or timeout sweep); unprinted units can be claimed again. */
  releaseClaim(id: string, expectedPrinterId: string | null): Promise<OrderRecord | null>;
  countOrdersByState(): Promise<Record<OrderState, number>>;
  /** Orders paid at or after `since` (any later state), per currency: the dashboard's sales summary. */
  salesSince(since: number): Promise<SalesLine[]>;
  /** One event's orders in any of `states`, oldest first, at most `limit` (operators' in-flight list). */
  listOrders(filter: { eventId: string; states: readonly OrderState[] }, limit: number): Promise<OrderRecord[]>;

  /** Idempotency for payment webhooks: true the first time an event id is seen, false after. */
  recordPaymentEvent(event: PaymentEventRecord): Promise<boolean>;

  /**
   * Throws a `store_conflict` AppError when a printer with this key is paired already, or when its
   * `cardReaderId` is assigned to another printer.
   */
  insertPrinter(printer: PrinterRecord): Promise<void>;
  getPrinter(id: string): Promise<PrinterRecord | null>;
  listPrinters(filter?: { venueId?: string }): Promise<PrinterRecord[]>;
  /** Also frees the printer's card reader (a replacement printer can be given it). */
  revokePrinter(id: string, at: number): Promise<PrinterRecord | null>;
  /**
   * Assigns a card reader to the printer (null: none). A reader belongs to at most one printer,
   * atomically across processes: a reader assigned to another printer throws `store_conflict` and
   * changes nothing. Null: no such printer.
   */
  setPrinterCardReader(id: string, cardReaderId: string | null): Promise<PrinterRecord | null>;
  touchPrinter(id: string, at: number): Promise<void>;

  /** Replaces what a printer holds of one event. */
  putHoldings(holdings: HoldingsRecord): Promise<void>;
  getHoldings(printerId: string, eventId: string): Promise<HoldingsRecord | null>;
  listHoldings(eventId: string): Promise<HoldingsRecord[]>;

  /** Replaces the printer's last status report. */
  putPrinterReport(report: PrinterReportRecord): Promise<void>;
  listPrinterReports(filter?: { venueId?: string }): Promise<PrinterReportRecord[]>;

  insertCredential(credential: CredentialRecord): Promise<void>;
  getCredential(tokenHash: string): Promise<CredentialRecord | null>;
  /** Every credential, revoked ones included, oldest first. */
  listCredentials(): Promise<CredentialRecord[]>;
  /** The first revocation time stands (revoking twice changes nothing); null: no such credential. */
  revokeCredential(tokenHash: string, at: number): Promise<CredentialRecord | null>;

  /**
   * Takes or renews a named lease for `holder` until now + ttlMs. Succeeds when the lease is free,
   * expired, or already held by `holder`. Atomic across processes.
   */
  acquireLease(name: string, holder: string, now: number, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;

  /** Fans' own-photo print jobs (issue #13 item 3); throws `store_not_ready` before ready(). */
  ownPhotoJobs(): OwnPhotoJobStore;

  /** Heartbeat of a coordinator instance (upsert). */
  touchCoordinatorNode(node: CoordinatorNodeRecord): Promise<void>;
  /** Instances seen at or after `since`. */
  listCoordinatorNodes(since: number): Promise<CoordinatorNodeRecord[]>;
}

export type ClaimOutcome =
  | { outcome: 'claimed'; order: OrderRecord }
  | { outcome: 'held_by_other'; order: OrderRecord }
  | { outcome: 'not_claimable'; order: OrderRecord }
  | { outcome: 'not_found' };

export type RedemptionClaim =
  | {
      outcome: 'claimed';
      order: OrderRecord;
      renewed: boolean;
      holdings: HoldingsRecord | null;
      images: Array<ImageRecord | null>;
    }
  | { outcome: 'held_by_other' | 'not_claimable' | 'other_venue'; order: OrderRecord }
  | { outcome: 'not_found' };

/** What a redemption's claim queues for the orders feed (OrderFeedQueueEntry without the order's own ids). */
export interface ClaimFeedEntry {
  queuedAt: number;
  token: string;
}

export type ConfirmOutcome =
  | { outcome: 'confirmed'; order: OrderRecord }
  | { outcome: 'not_holder'; order: OrderRecord }
  | { outcome: 'bad_unit'; order: OrderRecord }
  | { outcome: 'not_found' };

/** The store's refusal of a duplicate key: an AppError `store_conflict` (409) whose message names the record. */
export function storeConflict(what: string): AppError {
  return new AppError('store_conflict', `${what} exists already.`);
}

export function isStoreConflict(err: unknown): boolean {
  return isAppError(err, 'store_conflict');
}

/** Paid orders of one currency: how many, how many prints, how much money. */
export interface SalesLine {
  currency: string;
  orders: number;
  prints: number;
  revenueCents: number;
}
