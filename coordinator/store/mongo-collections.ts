import type { Collection, Db } from 'mongodb';
import type { LeaseDoc, OrderDoc, StoredDoc } from './mongo-queries.ts';
import type {
  CoordinatorNodeRecord,
  CredentialRecord,
  EventRecord,
  HoldingsRecord,
  ImageRecord,
  PaymentEventRecord,
  PrinterRecord,
  PrinterReportRecord,
  VenueRecord,
} from './records.ts';

/** The MongoDB adapter's collections (media lives in GridFS, see mongo-media.ts). */
export interface Collections {
  venues: Collection<StoredDoc<VenueRecord>>;
  events: Collection<StoredDoc<EventRecord>>;
  images: Collection<StoredDoc<ImageRecord>>;
  orders: Collection<OrderDoc>;
  paymentEvents: Collection<StoredDoc<PaymentEventRecord>>;
  printers: Collection<StoredDoc<PrinterRecord>>;
  holdings: Collection<StoredDoc<HoldingsRecord>>;
  credentials: Collection<StoredDoc<CredentialRecord>>;
  leases: Collection<LeaseDoc>;
  coordinatorNodes: Collection<StoredDoc<CoordinatorNodeRecord>>;
  printerReports: Collection<StoredDoc<PrinterReportRecord>>;
}

export function collections(db: Db): Collections {
  return {
    venues: db.collection('venues'),
    events: db.collection('events'),
    images: db.collection('images'),
    orders: db.collection('orders'),
    paymentEvents: db.collection('paymentEvents'),
    printers: db.collection('printers'),
    holdings: db.collection('holdings'),
    credentials: db.collection('credentials'),
    leases: db.collection('leases'),
    coordinatorNodes: db.collection('coordinatorNodes'),
    printerReports: db.collection('printerReports'),
  };
}

/** Unique keys first: the uniqueness rules of the port live in these indexes, not in process memory. */
export async function createIndexes(c: Collections): Promise<void> {
  await c.images.createIndex({ eventId: 1, sha256: 1 }, { unique: true });
  await c.orders.createIndex({ code: 1 }, { unique: true });
  // One card reader on at most one printer; printers without one (absent or null) are not indexed.
  await c.printers.createIndex(
    { cardReaderId: 1 },
    { unique: true, partialFilterExpression: { cardReaderId: { $type: 'string' } } },
  );
  await c.images.createIndex({ eventId: 1, feedState: 1, seq: 1 });
  await c.images.createIndex({ eventId: 1, feedState: 1, createdAt: 1 });
  await c.images.createIndex({ feedState: 1, eventId: 1 });
  await c.orders.createIndex({ state: 1 });
  await c.orders.createIndex({ eventId: 1 });
  await c.orders.createIndex({ eventId: 1, state: 1, createdAt: 1 });
  await c.events.createIndex({ venueId: 1, createdAt: -1 });
  await c.events.createIndex({ createdAt: -1 });
  await c.venues.createIndex({ createdAt: 1 });
  await c.printers.createIndex({ venueId: 1, pairedAt: 1 });
  await c.holdings.createIndex({ eventId: 1, printerId: 1 });
  await c.coordinatorNodes.createIndex({ lastSeenAt: 1 });
  await c.printerReports.createIndex({ venueId: 1 });
}
