import { z } from 'zod';
import { KIOSK_SALE_STATES } from '../policy/kiosk-sale-state.ts';
import { CARD_FAILURES } from './kiosk-sale.ts';

/**
 * Wire shapes of an own-photo job paid by card at the kiosk (issue #13 item 3 with 2b): edge node
 * ↔ coordinator (printer API, signed) and kiosk screen ↔ edge node. The sale is one of the
 * coordinator's kiosk sales (channel `own-photo-card`); its print side is the job itself.
 */
const id = z.string().min(1).max(64);

/** The edge node → the coordinator: authorise the job's fee on this station's reader. */
export const ownPhotoCardSaleRequestSchema = z
  .object({
    readerId: z.string().min(1).max(100),
    /** The kiosk screen's key for this payment: a double tap or a retry finds the same sale. */
    idempotencyKey: z.string().min(8).max(64),
  })
  .strict();
export type OwnPhotoCardSaleRequest = z.infer<typeof ownPhotoCardSaleRequestSchema>;

/** The kiosk screen → its edge node (the edge adds its configured reader). */
export const kioskOwnPhotoCardSchema = ownPhotoCardSaleRequestSchema.omit({ readerId: true }).strict();

export const ownPhotoCardSaleViewSchema = z.object({
  id,
  jobId: id,
  state: z.enum(KIOSK_SALE_STATES),
  totalCents: z.number().int().min(0),
  currency: z.string().length(3),
  taxCents: z.number().int().min(0),
  taxRatePercent: z.number().min(0).max(100),
  printCount: z.number().int().min(1),
  attempts: z.number().int().min(0),
  lastFailure: z.enum(CARD_FAILURES).nullable(),
  card: z.object({ brand: z.string(), last4: z.string().regex(/^\d{4}$/) }).nullable(),
  authorisationCode: z.string().nullable(),
});
export type OwnPhotoCardSaleView = z.infer<typeof ownPhotoCardSaleViewSchema>;

export const ownPhotoCardSaleAnswerSchema = z.object({ sale: ownPhotoCardSaleViewSchema });

export const OWN_PHOTO_CARD_API = {
  create: { method: 'POST', path: '/api/printer/own-photos/jobs/:jobId/card-sale' },
  get: { method: 'GET', path: '/api/printer/own-photos/card-sales/:saleId' },
  cancel: { method: 'POST', path: '/api/printer/own-photos/card-sales/:saleId/cancel' },
  retry: { method: 'POST', path: '/api/printer/own-photos/card-sales/:saleId/retry' },
} as const;
