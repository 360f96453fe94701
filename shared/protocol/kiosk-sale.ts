import { z } from 'zod';
import { KIOSK_BASKET_CHANNELS, KIOSK_SALE_CHANNELS, KIOSK_SALE_STATES } from '../policy/kiosk-sale-state.ts';
import { MAX_COPIES_PER_IMAGE } from '../policy/pricing.ts';

/**
 * Wire shapes of kiosk sales (issue #13): kiosk page ↔ edge node (local API) and edge node ↔
 * coordinator (printer API, signed). The coordinator is the intermediary: it prices the basket with
 * the shop's pricing, talks to the payment provider and the card terminal, and tells the kiosk when
 * the basket may print.
 */
export const MAX_KIOSK_BASKET_LINES = 50;
const id = z.string().min(1).max(64);

export const CARD_FAILURES = [
  'declined',
  'insufficient_funds',
  'card_removed',
  'timeout',
  'reader_offline',
  'cancelled',
] as const;

/**
 * Issue #14 at the kiosk: the frame a fan chose for a basket line. Only the template's id: the
 * coordinator prices it (never a fee sent by the kiosk) and the kiosk offers one-photo frames only.
 */
export const kioskTemplateChoiceSchema = z.object({ templateId: id }).strict();

export const kioskBasketItemSchema = z
  .object({
    imageId: id,
    copies: z.number().int().min(1).max(MAX_COPIES_PER_IMAGE),
    template: kioskTemplateChoiceSchema.optional(),
  })
  .strict();

/** A sale's line as the kiosk sees it: a framed line names its template and its frozen fee per print. */
export const kioskSaleItemSchema = z.object({
  imageId: id,
  copies: z.number().int().min(1).max(MAX_COPIES_PER_IMAGE),
  template: z
    .object({ templateId: id, name: z.string(), feeCents: z.number().int().min(0), feeLine: z.string() })
    .optional(),
});

/** The kiosk page → its edge node: a basket to pay for. */
export const kioskBasketSchema = z
  .object({
    eventId: id,
    items: z.array(kioskBasketItemSchema).min(1).max(MAX_KIOSK_BASKET_LINES),
    channel: z.enum(KIOSK_BASKET_CHANNELS),
    /** The page's key for this basket and payment: a double tap or a retry finds the same sale. */
    idempotencyKey: z.string().min(8).max(64),
    /** The total the kiosk showed (frame fees follow usage): a sale priced differently is refused, 409 price_changed. */
    expectedTotalCents: z.number().int().min(0).optional(),
  })
  .strict();
export type KioskBasket = z.infer<typeof kioskBasketSchema>;

/** The edge node → the coordinator: the basket plus the station's card reader (from its config). */
export const kioskSaleRequestSchema = kioskBasketSchema
  .extend({ readerId: z.string().min(1).max(100).optional() })
  .strict();
export type KioskSaleRequest = z.infer<typeof kioskSaleRequestSchema>;

export const kioskSaleViewSchema = z.object({
  id,
  state: z.enum(KIOSK_SALE_STATES),
  channel: z.enum(KIOSK_SALE_CHANNELS),
  eventId: id,
  items: z.array(kioskSaleItemSchema),
  unitCount: z.number().int().min(1),
  totalCents: z.number().int().min(0),
  currency: z.string().length(3),
  taxCents: z.number().int().min(0),
  taxRatePercent: z.number().min(0).max(100),
  orderId: id,
  orderCode: z.string(),
  /** Phone: the provider's hosted checkout the QR code opens. */
  checkoutUrl: z.string().nullable(),
  /** Once paid or authorised: the signed redemption token this printer redeems to print the basket. */
  token: z.string().nullable(),
  attempts: z.number().int().min(0),
  lastFailure: z.enum(CARD_FAILURES).nullable(),
  card: z.object({ brand: z.string(), last4: z.string().regex(/^\d{4}$/) }).nullable(),
  authorisationCode: z.string().nullable(),
});
export type KioskSaleView = z.infer<typeof kioskSaleViewSchema>;

export const kioskPrintFailedSchema = z.object({ reason: z.string().max(200) }).strict();

/** What the kiosk may offer right now (the coordinator's answer; the edge adds "uplink down"). */
export const kioskPaymentsSchema = z.object({
  phone: z.boolean(),
  card: z.object({ readerId: z.string(), status: z.enum(['online', 'busy', 'offline']) }).nullable(),
  taxRatePercent: z.number().min(0).max(100),
});
export type KioskPayments = z.infer<typeof kioskPaymentsSchema>;

/** Who took which photo of an event: the kiosk gallery's photographer filter (cached at the printer). */
export const MAX_PHOTOGRAPHER_NAME_CHARS = 100;
export const eventPhotographersSchema = z.object({
  eventId: id,
  /** Image id → photographer name, for the photos that have one. */
  byImage: z.record(z.string(), z.string().max(MAX_PHOTOGRAPHER_NAME_CHARS)),
});
export type EventPhotographers = z.infer<typeof eventPhotographersSchema>;

/** Issue #14: the event's frames offered now and their fee per print for a new customer (the kiosk has no customer id). */
export const kioskTemplateFeesSchema = z.object({
  eventId: id,
  currency: z.string().length(3),
  templates: z.array(
    z.object({
      templateId: id,
      name: z.string(),
      version: z.number().int().min(0),
      photoCount: z.number().int().min(1),
      feeCents: z.number().int().min(0),
      feeLine: z.string(),
    }),
  ),
});
export type KioskTemplateFees = z.infer<typeof kioskTemplateFeesSchema>;

export const KIOSK_SALE_API = {
  create: {
    method: 'POST',
    path: '/api/printer/kiosk-sales',
    request: kioskSaleRequestSchema,
    answer: kioskSaleViewSchema,
  },
  get: { method: 'GET', path: '/api/printer/kiosk-sales/:saleId', answer: kioskSaleViewSchema },
  cancel: { method: 'POST', path: '/api/printer/kiosk-sales/:saleId/cancel', answer: kioskSaleViewSchema },
  retry: { method: 'POST', path: '/api/printer/kiosk-sales/:saleId/retry', answer: kioskSaleViewSchema },
  printFailed: {
    method: 'POST',
    path: '/api/printer/kiosk-sales/:saleId/print-failed',
    request: kioskPrintFailedSchema,
    answer: kioskSaleViewSchema,
  },
  payments: { method: 'GET', path: '/api/printer/kiosk-payments', answer: kioskPaymentsSchema },
  photographers: {
    method: 'GET',
    path: '/api/printer/events/:eventId/photographers',
    answer: eventPhotographersSchema,
  },
  templateFees: {
    method: 'GET',
    path: '/api/printer/events/:eventId/template-fees',
    answer: kioskTemplateFeesSchema,
  },
} as const;
