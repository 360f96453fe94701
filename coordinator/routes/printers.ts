import type Router from '@koa/router';
import { z } from 'zod';
import { AppError, conflict, notFound } from '../../shared/errors.ts';
import { deriveVenueTopic } from '../../shared/feed/feed-layout.ts';
import { stationReportSchema } from '../../shared/protocol/station-report.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { requirePrinter, requireStaff } from '../http/auth.ts';
import { parseInput } from '../http/validate.ts';
import { StoreConflictError } from '../store/port.ts';
import type { PrinterRecord } from '../store/records.ts';
import { publicKeysJson } from '../tokens/token-keys.ts';
import { printerView } from '../views.ts';

const MAX_HOLDINGS_PER_REPORT = 100_000;

const pairInput = z
  .object({
    publicKey: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[0-9a-f]{64}$/, "the printer's 64-character pairing key"),
    name: z.string().trim().min(1).max(100),
  })
  .strict();

/** Coordinator instances that heartbeated this recently are offered to printers as cloud peers. */
export const CLOUD_PEER_FRESHNESS_MS = 60_000;
const MAX_STATUS_REPORT_BYTES = 64 * 1024;

const eventStatus = z
  .object({
    eventId: z.string().min(1).max(64),
    imagesHeld: z.number().int().min(0),
    imagesTotal: z.number().int().min(0),
    bytesNeeded: z.number().int().min(0),
    oldestMissingAgeMs: z.number().int().min(0).nullable(),
  })
  .strict();

/** What an edge node reports about itself (issue #3 item 7); the dashboard shows it per printer. */
export const printerStatusReport = z
  .object({
    version: z.string().max(40),
    uptimeMs: z.number().int().min(0),
    events: z.array(eventStatus).max(1000),
    bytesFromLan: z.number().int().min(0),
    bytesFromCloud: z.number().int().min(0),
    bytesToLan: z.number().int().min(0),
    lanPeers: z.number().int().min(0),
    blockedPeers: z.number().int().min(0).default(0),
    cloudConnected: z.boolean(),
    queue: z.number().int().min(0),
    printer: z.object({ state: z.string().max(40), detail: z.string().max(500) }).strict(),
    lastError: z.string().max(1000).nullable(),
    /** Where this printer's DHT node listens: its venue peers bootstrap from it when the cloud is gone. */
    dht: z
      .object({ host: z.string().min(1).max(255), port: z.number().int().min(1).max(65_535) })
      .strict()
      .nullable()
      .optional(),
    /** Offline redemption (issue #6): what the printer knows and still has to report. */
    offline: z
      .object({
        ordersKnown: z.number().int().min(0),
        unreconciled: z.number().int().min(0),
        claimLogs: z.number().int().min(0),
        maxClaimPropagationMs: z.number().min(0).nullable(),
      })
      .strict()
      .optional(),
    /** A photo station's printers (issue #12): health, prints left, print time. */
    station: stationReportSchema.optional(),
  })
  .strict();

/** The DHT address a printer last reported, if any. */
function reportedDht(report: Record<string, unknown> | undefined): { host: string; port: number } | null {
  const dht = report?.dht as { host?: unknown; port?: unknown } | null | undefined;
  return dht && typeof dht.host === 'string' && typeof dht.port === 'number'
    ? { host: dht.host, port: dht.port }
    : null;
}

const holdingsInput = z
  .object({
    eventId: z.string().min(1).max(64),
    imageIds: z.array(z.string().min(1).max(64)).max(MAX_HOLDINGS_PER_REPORT),
  })
  .strict();

/** Pairing and revocation (operators) and what a paired printer learns about its venue. */
export function printerRoutes(router: Router, deps: CoordinatorDeps): void {
  const { store, feeds, clock, tokenKeys } = deps;
  const operator = requireStaff(store, ['operator']);
  const printer = requirePrinter(store, clock);

  router.post('/api/venues/:venueId/printers', operator, async (ctx) => {
    const venue = await store.getVenue(ctx.params.venueId!);
    if (!venue) throw notFound('venue_not_found', 'This venue does not exist.');
    const input = parseInput(pairInput, ctx.request.body);
    const record: PrinterRecord = {
      id: input.publicKey,
      venueId: venue.id,
      name: input.name,
      pairedAt: clock.now(),
      revokedAt: null,
      lastSeenAt: null,
    };
    try {
      await store.insertPrinter(record);
    } catch (err) {
      if (err instanceof StoreConflictError) {
        throw conflict('printer_already_paired', 'A printer with this key is paired already; revoke it first.');
      }
      throw err;
    }
    await feeds.refreshPeers();
    ctx.status = 201;
    ctx.body = { printer: printerView(record) };
  });

  router.get('/api/printers', operator, async (ctx) => {
    const venueId = typeof ctx.query.venueId === 'string' ? ctx.query.venueId : undefined;
    ctx.body = { printers: (await store.listPrinters(venueId ? { venueId } : {})).map(printerView) };
  });

  router.post('/api/printers/:printerId/revoke', operator, async (ctx) => {
    const revoked = await store.revokePrinter(ctx.params.printerId!, clock.now());
    if (!revoked) throw notFound('printer_not_found', 'No printer with this key.');
    await feeds.refreshPeers();
    ctx.body = { printer: printerView(revoked) };
  });

  // What a paired printer needs to join its venue's mesh. Keys reach printers only here.
  router.get('/api/printer/me', printer, async (ctx) => {
    const me = ctx.state.printer as PrinterRecord;
    const venue = await store.getVenue(me.venueId);
    if (!venue) throw new AppError(500, 'venue_missing', 'The venue of this printer is missing.');
    const events = await store.listEvents({ venueId: venue.id });
    const now = clock.now();
    const [venuePrinters, coordinators, reports, ordersHead] = await Promise.all([
      store.listPrinters({ venueId: venue.id }),
      store.listCoordinatorNodes(now - CLOUD_PEER_FRESHNESS_MS),
      store.listPrinterReports({ venueId: venue.id }),
      store.getOrdersFeedHead(venue.id),
    ]);
    const reportOf = new Map(reports.map((r) => [r.printerId, r.report]));
    ctx.set('cache-control', 'no-store');
    ctx.body = {
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
      },
      tokenKeys: publicKeysJson(tokenKeys),
      // The venue's paid orders and its printers' claims, so a printer can redeem with no cloud.
      ordersFeed: { ...feeds.ordersFeedFor(venue), length: ordersHead },
      // `head`: how long the feed is, committed; a printer behind it knows there is more to fetch.
      feeds: events.map((e) => ({
        ...feeds.descriptorFor(e),
        name: e.name,
        startsAt: e.startsAt,
        endsAt: e.endsAt,
        head: e.feedHead,
      })),
    };
  });

  router.put('/api/printer/status', printer, async (ctx) => {
    const me = ctx.state.printer as PrinterRecord;
    const raw = (ctx.request as { rawBody?: string }).rawBody ?? '';
    if (raw.length > MAX_STATUS_REPORT_BYTES)
      throw new AppError(413, 'report_too_large', 'Status reports are at most 64 KiB.');
    const report = parseInput(printerStatusReport, ctx.request.body, 'status report');
    await store.putPrinterReport({ printerId: me.id, venueId: me.venueId, receivedAt: clock.now(), report });
    ctx.status = 204;
  });

  router.get('/api/printers/status', operator, async (ctx) => {
    const venueId = typeof ctx.query.venueId === 'string' ? ctx.query.venueId : undefined;
    const filter = venueId ? { venueId } : {};
    const [printers, reports] = await Promise.all([store.listPrinters(filter), store.listPrinterReports(filter)]);
    const byId = new Map(reports.map((r) => [r.printerId, r]));
    ctx.body = {
      printers: printers.map((p) => ({
        printer: printerView(p),
        reportedAt: byId.get(p.id)?.receivedAt ?? null,
        report: byId.get(p.id)?.report ?? null,
      })),
    };
  });

  // Delivery status (the patent's distribution status), reported by each printer.
  router.put('/api/printer/holdings', printer, async (ctx) => {
    const me = ctx.state.printer as PrinterRecord;
    const input = parseInput(holdingsInput, ctx.request.body);
    const event = await store.getEvent(input.eventId);
    if (!event || event.venueId !== me.venueId) {
      throw notFound('event_not_found', 'No such event at this printer’s venue.');
    }
    await store.putHoldings({
      printerId: me.id,
      eventId: event.id,
      imageIds: [...new Set(input.imageIds)],
      updatedAt: clock.now(),
    });
    ctx.status = 204;
  });
}
