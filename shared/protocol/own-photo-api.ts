import { z } from 'zod';
import { OWN_PHOTO_JOB_STATES } from '../policy/own-photo-job.ts';

/**
 * Wire shapes of own-photo print jobs (issue #13 item 3) between a printer (edge node) and the
 * coordinator, and between the kiosk screen and its edge node. Every route under
 * /api/printer/own-photos is signed with the printer key (printer-auth.ts).
 */
export const ownPhotoLookupRequestSchema = z
  .object({ code: z.string().min(1).max(16), pin: z.string().min(1).max(8) })
  .strict();
export type OwnPhotoLookupRequest = z.infer<typeof ownPhotoLookupRequestSchema>;

export const ownPhotoFeeSchema = z.object({
  currency: z.string().length(3),
  totalCents: z.number().int().min(0),
  printCount: z.number().int().min(1),
});
export type OwnPhotoFee = z.infer<typeof ownPhotoFeeSchema>;

export const ownPhotoJobViewSchema = z.object({
  id: z.string().min(1).max(64),
  code: z.string(),
  state: z.enum(OWN_PHOTO_JOB_STATES),
  imageCount: z.number().int().min(0),
  printCount: z.number().int().min(0),
  createdAt: z.number().int(),
  expiresAt: z.number().int(),
  /** What printing it costs here and now (null: no price set); for a paid job, what was paid. */
  fee: ownPhotoFeeSchema.nullable(),
  /** Released to a printer: which one, until when. */
  heldBy: z.string().nullable(),
});
export type OwnPhotoJobView = z.infer<typeof ownPhotoJobViewSchema>;

export const ownPhotoLookupAnswerSchema = z.object({ jobs: z.array(ownPhotoJobViewSchema) });
export type OwnPhotoLookupAnswer = z.infer<typeof ownPhotoLookupAnswerSchema>;

export const ownPhotoJobAnswerSchema = z.object({ job: ownPhotoJobViewSchema });

export const ownPhotoCheckoutAnswerSchema = z.object({
  job: ownPhotoJobViewSchema,
  checkoutUrl: z.url(),
  sessionId: z.string().min(1),
});
export type OwnPhotoCheckoutAnswer = z.infer<typeof ownPhotoCheckoutAnswerSchema>;

export const ownPhotoReleaseAnswerSchema = z.object({
  job: ownPhotoJobViewSchema,
  attempt: z.number().int().min(1),
  images: z.array(
    z.object({
      n: z.number().int().min(0),
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      byteLength: z.number().int().min(1),
      copies: z.number().int().min(1),
    }),
  ),
});
export type OwnPhotoReleaseAnswer = z.infer<typeof ownPhotoReleaseAnswerSchema>;

export const ownPhotoFailedRequestSchema = z.object({ reason: z.string().min(1).max(300) }).strict();

/** The kiosk screen → its edge node. */
export const kioskOwnPhotoLookupSchema = z
  .object({
    /** A scanned job QR code's text, or a typed code (with `pin`). */
    code: z.string().min(1).max(64),
    pin: z.string().max(8).optional(),
  })
  .strict();
