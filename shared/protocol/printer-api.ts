import { z } from 'zod';
import { isCanonicalSeqRanges } from '../feed/seq-ranges.ts';
import { ORDER_STATES } from '../policy/order-state.ts';
import { MAX_PHOTO_OVERLAY_RINGS } from '../policy/photo-overlay.ts';
import { normalizeOrderCode } from '../token/order-code.ts';
import { photoDetourStatsSchema } from './photo-detour.ts';
import { stationQueueSchema } from './station-queue.ts';
import { stationReportSchema } from './station-report.ts';

/**
 * The printer API (`/api/printer/*`): every request an edge node sends and every answer the
 * coordinator gives, as zod schemas with their inferred types. The only definition: the coordinator
 * builds its answers from these types (a test checks every route's answer against its schema), the
 * edge node parses every answer with them.
 *
 * Answers are parsed leniently (unknown fields are dropped, not refused): a newer coordinator may
 * add a field without breaking an older printer. Requests are strict: the coordinator names a field
 * it does not know.
 */

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const id = z.string().min(1).max(128);
const count = z.number().int().min(0);
const epochMs = z.number().int().min(0);

export const MAX_HOLDINGS_PER_REPORT = 100_000;
export const MAX_OFFLINE_ORDERS_PER_REPORT = 200;
export const MAX_STATUS_REPORT_BYTES = 64 * 1024;

export const hostPortSchema = z.object({ host: z.string().min(1).max(255), port: z.number().int().min(1).max(65_535) });

export const eventFeedDescriptorSchema = z.object({
  eventId: id,
  blobsKey: hex64,
  catalogKey: hex64,
  encryptionKey: hex64,
});

export const ordersFeedDescriptorSchema = z.object({
  venueId: id,
  key: hex64,
  encryptionKey: hex64,
  claimsEncryptionKey: hex64,
});

/** A printer as the coordinator shows it to the printer itself (the coordinator sends more: pairedAt, …). */
export const printerViewSchema = z.object({ id, venueId: id, name: z.string() });
export type PrinterView = z.infer<typeof printerViewSchema>;

// --- GET /api/printer/me -------------------------------------------------------------------------

export const profileFeedSchema = eventFeedDescriptorSchema.extend({
  name: z.string(),
  startsAt: epochMs,
  endsAt: epochMs,
  /** How long the feed is, committed; a printer behind it knows there is more to fetch. */
  head: z.object({ blobsLength: count, catalogLength: count }),
  /** The event's prices, so the kiosk totals a basket with the shop's pricing even offline; absent from older coordinators. */
  priceList: z
    .object({
      currency: z.string().length(3),
      unitPriceCents: z.number().int().min(0),
      bundles: z.array(z.object({ copies: z.number().int().min(2), priceCents: z.number().int().min(0) })),
    })
    .optional(),
});

export const printerProfileSchema = z.object({
  printer: printerViewSchema,
  venue: z.object({
    id,
    name: z.string(),
    topic: hex64,
    /**
     * The venue's photo overlay (shared/policy/photo-overlay.ts): every printer of a venue must use
     * the same, so the coordinator states it. Absent from older coordinators: the printer's own setting.
     * No upper bound here: a later coordinator may allow more, and a printer takes at most
     * MAX_PHOTO_OVERLAY_RINGS rather than refuse its whole profile.
     */
    photoOverlayRings: z
      .number()
      .int()
      .min(1)
      .transform((rings) => Math.min(rings, MAX_PHOTO_OVERLAY_RINGS))
      .optional(),
  }),
  tokenKeys: z.array(z.object({ keyId: z.number().int().min(0), publicKey: hex64 })),
  feeds: z.array(profileFeedSchema),
  peers: z.object({
    printers: z.array(
      z.object({
        id,
        name: z.string(),
        lastSeenAt: epochMs.nullable(),
        /** Where the peer's DHT node listens (it is a bootstrap node for the venue when the cloud is gone). */
        dht: hostPortSchema.optional(),
      }),
    ),
    coordinators: z.array(hex64),
  }),
  /** The venue's paid orders and the printers' claims (offline redemption); absent from older coordinators. */
  ordersFeed: ordersFeedDescriptorSchema.extend({ length: count }).optional(),
  /**
   * Events whose printing at the venue is over (ended, and their codes expired): the printer closes
   * their feeds and frees the disk space (issue #15). Absent from older coordinators.
   */
  endedFeeds: z.array(eventFeedDescriptorSchema).optional(),
});
export type PrinterProfile = z.infer<typeof printerProfileSchema>;
export type ProfileFeed = z.infer<typeof profileFeedSchema>;

// --- POST /api/printer/redeem --------------------------------------------------------------------

/**
 * What a printer presents: the scanned token (signed, checked offline by the printer too), or the
 * 8-character order code a fan typed from under the QR code (unsigned: looked up, rate-limited).
 */
export const redeemRequestSchema = z
  .object({
    token: z.string().min(1).max(400).optional(),
    code: z
      .string()
      .max(40)
      .transform((typed, ctx) => {
        const code = normalizeOrderCode(typed);
        if (code) return code;
        ctx.addIssue({ code: 'custom', message: 'must be the 8-character code printed under the QR code' });
        return z.NEVER;
      })
      .optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    if (input.token !== undefined && input.code !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['code'], message: 'send either "token" or "code", not both' });
    } else if (input.token === undefined && input.code === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['token'],
        message: 'send "token" (the scanned QR code) or "code" (the 8-character code under it)',
      });
    }
  });
export type RedeemRequest = z.input<typeof redeemRequestSchema>;

/** Issue #14: which template frames a print and which photos fill its windows 2…n. */
export const unitTemplateSchema = z.object({
  templateId: id,
  moreImageIds: z.array(id).max(16),
  caption: z.string().max(200).nullable(),
});

export const orderItemSchema = z.object({
  imageId: id,
  copies: z.number().int().min(1),
  template: unitTemplateSchema.extend({ name: z.string(), feeLine: z.string() }).optional(),
});

/**
 * An order as a printer reads it. The coordinator sends its whole order view (totals, claim, …);
 * these are the fields a printer relies on, so only they are part of the contract.
 */
export const orderViewSchema = z.object({
  id,
  code: z.string().min(1),
  eventId: id,
  state: z.enum(ORDER_STATES),
  items: z.array(orderItemSchema),
  /** What the fan paid (the receipt prints it); absent from older coordinators. */
  totalCents: z.number().int().min(0).optional(),
  currency: z.string().min(3).max(3).optional(),
});
export type OrderView = z.infer<typeof orderViewSchema>;

export const blobCoordinatesSchema = z.object({
  blockOffset: count,
  blockLength: count,
  byteOffset: count,
  byteLength: count,
});

export const printUnitJobSchema = z.object({
  unit: count,
  imageId: id,
  copy: count,
  /** Printed before (by any printer): not printed again. */
  printed: z.boolean(),
  /** This printer's last have-list did not include the photo. */
  lacking: z.boolean(),
  /** Issue #14: printed framed with this template (absent from older coordinators and plain prints). */
  template: unitTemplateSchema.optional(),
  image: z
    .object({
      sha256: hex64,
      byteLength: count,
      width: count,
      height: count,
      mime: z.enum(['image/jpeg', 'image/png']),
      feed: blobCoordinatesSchema.nullable(),
      seq: count.nullable(),
    })
    .nullable(),
});
export type PrintUnitJob = z.infer<typeof printUnitJobSchema>;

export const redeemJobSchema = z.object({
  order: orderViewSchema,
  feed: eventFeedDescriptorSchema,
  units: z.array(printUnitJobSchema),
  /** The order's redemption token (absent from older coordinators): a typed code's job resumes with it. */
  token: z.string().min(1).optional(),
});
export type RedeemJob = z.infer<typeof redeemJobSchema>;

// --- POST /api/printer/orders/:orderId/units/:unit/printed ---------------------------------------

export const printedUnitParamSchema = z.coerce.number().int().min(0).max(10_000);
export const confirmPrintedAnswerSchema = z.object({
  order: z.object({ state: z.enum(ORDER_STATES), printedCount: count }),
});
export type ConfirmPrintedAnswer = z.infer<typeof confirmPrintedAnswerSchema>;

// --- POST /api/printer/offline-redemptions -------------------------------------------------------

export const offlineReportOrderSchema = z
  .object({
    orderId: z.string().min(1).max(64),
    claimedAt: epochMs,
    mode: z.enum(['offline', 'isolated']),
    /** Units printed offline. */
    units: z.array(z.number().int().min(0).max(10_000)).max(10_000),
  })
  .strict();
export type OfflineReportOrder = z.infer<typeof offlineReportOrderSchema>;

export const offlineReportSchema = z
  .object({ orders: z.array(offlineReportOrderSchema).min(1).max(MAX_OFFLINE_ORDERS_PER_REPORT) })
  .strict();
export type OfflineReport = z.infer<typeof offlineReportSchema>;

export const OFFLINE_REDEMPTION_OUTCOMES = ['applied', 'conflict', 'nothing_printed'] as const;
export const CONFLICT_KINDS = ['double_print', 'not_redeemable', 'unknown_order'] as const;

export const offlineReportResultSchema = z.object({
  orderId: z.string().min(1),
  /** applied: counted at the coordinator; conflict: see the conflict list; nothing_printed: a claim only. */
  outcome: z.enum(OFFLINE_REDEMPTION_OUTCOMES),
  /** The coordinator had this report already (a retry): nothing was counted twice. */
  repeated: z.boolean(),
  /** Units counted as printed by this printer (now or by an earlier report). */
  counted: z.array(count),
  conflicts: z.array(z.object({ id: z.string().min(1), kind: z.enum(CONFLICT_KINDS), units: z.array(count) })),
});
export type OfflineReportResult = z.infer<typeof offlineReportResultSchema>;

export const offlineReportAnswerSchema = z.object({ results: z.array(offlineReportResultSchema) });
export type OfflineReportAnswer = z.infer<typeof offlineReportAnswerSchema>;

// --- PUT /api/printer/status ---------------------------------------------------------------------

export const eventStatusSchema = z
  .object({
    eventId: z.string().min(1).max(64),
    imagesHeld: count,
    imagesTotal: count,
    bytesNeeded: count,
    /** Replication lag: age of the oldest image not held yet; null when up to date. */
    oldestMissingAgeMs: count.nullable(),
    /** Issue #14: template frames held whole here, of those on the feed (absent: no templates). */
    templatesHeld: count.optional(),
    templatesTotal: count.optional(),
    /**
     * Issue #16: the LAN printers this one replicates the event's photos with: all of them at a small
     * venue, its overlay neighbours at a large one (shared/policy/photo-overlay.ts). Absent from older printers.
     */
    photoPeers: count.optional(),
  })
  .strict();
export type EventStatus = z.infer<typeof eventStatusSchema>;

export const offlineStatusSchema = z
  .object({
    ordersKnown: count,
    unreconciled: count,
    claimLogs: count,
    maxClaimPropagationMs: z.number().min(0).nullable(),
  })
  .strict();
export type OfflineStatus = z.infer<typeof offlineStatusSchema>;

/** What an edge node reports about itself (issue #3 item 7); the dashboard shows it per printer. */
export const printerStatusReportSchema = z
  .object({
    version: z.string().max(40),
    uptimeMs: count,
    events: z.array(eventStatusSchema).max(1000),
    bytesFromLan: count,
    bytesFromCloud: count,
    bytesToLan: count,
    lanPeers: count,
    blockedPeers: count.default(0),
    cloudConnected: z.boolean(),
    queue: count,
    printer: z.object({ state: z.string().max(40), detail: z.string().max(500) }).strict(),
    lastError: z.string().max(1000).nullable(),
    /** Where this printer's DHT node listens: its venue peers bootstrap from it when the cloud is gone. */
    dht: hostPortSchema.strict().nullable().optional(),
    /** Offline redemption (issue #6): what the printer knows and still has to report. */
    offline: offlineStatusSchema.optional(),
    /**
     * Lines of the exactly-once job log that could not be read at the last start (absent from older
     * printers): each is a step of an order this printer no longer knows it took.
     */
    jobLogDamagedLines: count.optional(),
    /** A photo station's printers (issue #12): health, prints left, print time. */
    station: stationReportSchema.optional(),
    /** Its queue, for routing fans to the shortest one (issue #16); absent from older printers. */
    routing: stationQueueSchema.optional(),
    /**
     * Detours (issue #16): links outside the photo overlay for fans' photos that only other printers
     * held, asked and served since the start, declined at the limit, serving now, and malformed
     * requests ignored. Absent from older printers.
     */
    photoDetours: photoDetourStatsSchema.optional(),
  })
  .strict();
/** The report as sent (fields with defaults may be left out). */
export type PrinterStatusReport = z.input<typeof printerStatusReportSchema>;
/** The report as the coordinator stores and reads it. */
export type ParsedPrinterStatusReport = z.infer<typeof printerStatusReportSchema>;

// --- PUT /api/printer/holdings -------------------------------------------------------------------

/** Seq ranges in one report: enough for every other photo of MAX_HOLDINGS_PER_REPORT. */
export const MAX_HOLDINGS_RANGES = MAX_HOLDINGS_PER_REPORT / 2;

/**
 * What a printer holds whole of one event: `seqRanges`, catalog positions as sorted, disjoint
 * `[start, end)` ranges (shared/feed/seq-ranges.ts; a few ranges whatever the event's size), or, from
 * printers older than ranges, `imageIds`. Exactly one of the two.
 */
export const holdingsReportSchema = z
  .object({
    eventId: z.string().min(1).max(64),
    imageIds: z.array(z.string().min(1).max(64)).max(MAX_HOLDINGS_PER_REPORT).optional(),
    seqRanges: z
      .array(z.tuple([count, count]))
      .max(MAX_HOLDINGS_RANGES)
      .refine(isCanonicalSeqRanges, { message: 'must be sorted, disjoint ranges [start, end) with start < end' })
      .optional(),
  })
  .strict()
  .refine((r) => (r.imageIds === undefined) !== (r.seqRanges === undefined), {
    message: 'send exactly one of seqRanges and imageIds',
  });
export type HoldingsReport = z.infer<typeof holdingsReportSchema>;

// --- every refusal ---------------------------------------------------------------------------------

/** An error body as both HTTP services send it. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().min(1),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

/** The answer schema of each printer route, by method and path pattern (204 routes have none). */
export const PRINTER_API = {
  me: { method: 'GET', path: '/api/printer/me', answer: printerProfileSchema },
  redeem: { method: 'POST', path: '/api/printer/redeem', request: redeemRequestSchema, answer: redeemJobSchema },
  confirmPrinted: {
    method: 'POST',
    path: '/api/printer/orders/:orderId/units/:unit/printed',
    answer: confirmPrintedAnswerSchema,
  },
  offlineRedemptions: {
    method: 'POST',
    path: '/api/printer/offline-redemptions',
    request: offlineReportSchema,
    answer: offlineReportAnswerSchema,
  },
  status: { method: 'PUT', path: '/api/printer/status', request: printerStatusReportSchema, answer: null },
  holdings: { method: 'PUT', path: '/api/printer/holdings', request: holdingsReportSchema, answer: null },
} as const;
