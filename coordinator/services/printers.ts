import { AppError } from '../../shared/errors.ts';
import { deriveVenueTopic } from '../../shared/feed/feed-layout.ts';
import { PHOTO_OVERLAY_RINGS } from '../../shared/policy/photo-overlay.ts';
import type {
  HoldingsReport,
  PrinterProfile,
  ParsedPrinterStatusReport as PrinterStatusReport,
} from '../../shared/protocol/printer-api.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { isStoreConflict } from '../store/port.ts';
import type { EventRecord, PrinterRecord, VenueRecord } from '../store/records.ts';
import { publicKeysJson } from '../tokens/token-keys.ts';
import { holdingsRecordOf } from './held-images.ts';
import { assignCardReader, readerTakenError } from './printer-card-readers.ts';
import { printerView } from './projections.ts';

/** Coordinator instances that heartbeated this recently are offered to printers as cloud peers. */
export const CLOUD_PEER_FRESHNESS_MS = 60_000;

type PrinterDeps = Pick<CoordinatorDeps, 'store' | 'feeds' | 'clock' | 'tokenKeys' | 'settings'>;

/** The DHT address a printer last reported, if any. */
function reportedDht(report: Record<string, unknown> | undefined): { host: string; port: number } | null {
  const dht = report?.dht as { host?: unknown; port?: unknown } | null | undefined;
  return dht && typeof dht.host === 'string' && typeof dht.port === 'number'
    ? { host: dht.host, port: dht.port }
    : null;
}

/** Pairing and revocation (operators), and what a paired printer learns about its venue and reports back. */
export class PrinterService {
  readonly #deps: PrinterDeps;

  constructor(deps: PrinterDeps) {
    this.#deps = deps;
  }

  /** The venue printers are paired to; checked before the pairing input is read. */
  async venue(venueId: string): Promise<VenueRecord> {
    const venue = await this.#deps.store.getVenue(venueId);
    if (!venue) throw new AppError('venue_not_found', 'This venue does not exist.');
    return venue;
  }

  async pair(venue: VenueRecord, input: { publicKey: string; name: string; cardReaderId?: string | null | undefined }) {
    const { store, feeds, clock } = this.#deps;
    const record: PrinterRecord = {
      id: input.publicKey,
      venueId: venue.id,
      name: input.name,
      pairedAt: clock.now(),
      revokedAt: null,
      lastSeenAt: null,
      cardReaderId: input.cardReaderId ?? null,
    };
    try {
      await store.insertPrinter(record);
    } catch (err) {
      if (isStoreConflict(err) && record.cardReaderId && !(await store.getPrinter(record.id))) {
        throw await readerTakenError(store, record.cardReaderId, record.id);
      }
      if (isStoreConflict(err)) {
        throw new AppError('printer_already_paired', 'A printer with this key is paired already; revoke it first.');
      }
      throw err;
    }
    await feeds.refreshPeers();
    return { printer: printerView(record) };
  }

  async list(venueId: string | undefined) {
    return { printers: (await this.#deps.store.listPrinters(venueId ? { venueId } : {})).map(printerView) };
  }

  /** Operators: the card reader of this printer's station (null: none, phone payment only). */
  async setCardReader(printerId: string, cardReaderId: string | null) {
    return { printer: printerView(await assignCardReader(this.#deps.store, printerId, cardReaderId)) };
  }

  async revoke(printerId: string) {
    const { store, feeds, clock } = this.#deps;
    const revoked = await store.revokePrinter(printerId, clock.now());
    if (!revoked) throw new AppError('printer_not_found', 'No printer with this key.');
    await feeds.refreshPeers();
    return { printer: printerView(revoked) };
  }

  /** What a paired printer needs to join its venue's mesh. Keys reach printers only here. */
  async profile(me: PrinterRecord): Promise<PrinterProfile> {
    const { store, feeds, clock, tokenKeys } = this.#deps;
    const venue = await store.getVenue(me.venueId);
    if (!venue) throw new AppError('venue_missing', 'The venue of this printer is missing.');
    const events = await store.listEvents({ venueId: venue.id });
    const now = clock.now();
    // Codes stop redeeming a window after the event (a later-paid order brings its feed in its job).
    const printingOver = (e: EventRecord) => now >= e.endsAt + this.#deps.settings.redemptionWindowMs;
    const active = events.filter((e) => !printingOver(e));
    const [venuePrinters, coordinators, reports, ordersHead] = await Promise.all([
      store.listPrinters({ venueId: venue.id }),
      store.listCoordinatorNodes(now - CLOUD_PEER_FRESHNESS_MS),
      store.listPrinterReports({ venueId: venue.id }),
      store.getOrdersFeedHead(venue.id),
    ]);
    const reportOf = new Map(reports.map((r) => [r.printerId, r.report]));
    return {
      printer: printerView(me),
      // Who may connect on the venue mesh: the other paired printers (LAN) and the coordinator
      // instances (cloud seeders, dialled only when needed).
      peers: {
        printers: venuePrinters
          .filter((p) => p.revokedAt === null && p.id !== me.id)
          .map((p) => {
            const dht = reportedDht(reportOf.get(p.id));
            return { id: p.id, name: p.name, lastSeenAt: p.lastSeenAt, ...(dht ? { dht } : {}) };
          }),
        coordinators: coordinators.map((c) => c.id),
      },
      venue: {
        id: venue.id,
        name: venue.name,
        topic: deriveVenueTopic(Buffer.from(venue.topicSecret, 'hex')).toString('hex'),
        photoOverlayRings: this.#deps.settings.photoOverlayRings ?? PHOTO_OVERLAY_RINGS,
      },
      tokenKeys: publicKeysJson(tokenKeys),
      // The venue's paid orders and its printers' claims, so a printer can redeem with no cloud.
      ordersFeed: { ...feeds.ordersFeedFor(venue), length: ordersHead },
      // `head`: how long the feed is, committed; a printer behind it knows there is more to fetch.
      feeds: active.map((e) => ({
        ...feeds.descriptorFor(e),
        name: e.name,
        startsAt: e.startsAt,
        endsAt: e.endsAt,
        head: e.feedHead,
        priceList: e.priceList,
      })),
      // Printing is over for these: printers close their feeds and free the space (issue #15).
      endedFeeds: events.filter(printingOver).map((e) => feeds.descriptorFor(e)),
    };
  }

  async recordStatus(me: PrinterRecord, report: PrinterStatusReport): Promise<void> {
    const { store, clock } = this.#deps;
    await store.putPrinterReport({ printerId: me.id, venueId: me.venueId, receivedAt: clock.now(), report });
  }

  async statuses(venueId: string | undefined) {
    const { store } = this.#deps;
    const filter = venueId ? { venueId } : {};
    const [printers, reports] = await Promise.all([store.listPrinters(filter), store.listPrinterReports(filter)]);
    const byId = new Map(reports.map((r) => [r.printerId, r]));
    return {
      printers: printers.map((p) => ({
        printer: printerView(p),
        reportedAt: byId.get(p.id)?.receivedAt ?? null,
        report: byId.get(p.id)?.report ?? null,
      })),
    };
  }

  /** Delivery status (the patent's distribution status): which images this printer holds. */
  async recordHoldings(me: PrinterRecord, input: HoldingsReport): Promise<void> {
    const { store, clock } = this.#deps;
    const event = await store.getEvent(input.eventId);
    if (!event || event.venueId !== me.venueId) {
      throw new AppError('event_not_found', 'No such event at this printer’s venue.');
    }
    await store.putHoldings(holdingsRecordOf(me.id, event.id, input, clock.now()));
  }
}
