/**
 * When photos became printable at one edge node (edge-node/mesh/photo-arrivals.ts): its local API's
 * `GET /api/events/:eventId/arrivals`, read by operators' tools and by the simulator's emulation
 * (batch completion measured where it happens, not by polling).
 */
import { z } from 'zod';

/** Arrivals per answer; page on with `afterSeq` = the last seq of the previous answer. */
export const PHOTO_ARRIVALS_PAGE_MAX = 1_000;

export const photoArrivalsQuerySchema = z
  .object({
    /** Only photos whose seq is above this (-1: from the first). */
    afterSeq: z.coerce.number().int().min(-1).default(-1),
    limit: z.coerce.number().int().min(1).max(PHOTO_ARRIVALS_PAGE_MAX).default(PHOTO_ARRIVALS_PAGE_MAX),
  })
  .strict();
export type PhotoArrivalsQuery = z.infer<typeof photoArrivalsQuerySchema>;

export const photoArrivalSchema = z
  .object({
    seq: z.number().int().min(0),
    imageId: z.string().min(1).max(128),
    /** When the coordinator registered the photo (its clock, ms since epoch). */
    registeredAt: z.number().int().min(0),
    /** When the photo's catalog entry and last block were both at this node (its clock, ms since epoch). */
    wholeAt: z.number().int().min(0),
  })
  .strict();
export type PhotoArrivalRecord = z.infer<typeof photoArrivalSchema>;

export const photoArrivalsAnswerSchema = z
  .object({
    eventId: z.string().min(1).max(64),
    /** Oldest first (by seq); photos already whole when the node started are not listed. */
    arrivals: z.array(photoArrivalSchema).max(PHOTO_ARRIVALS_PAGE_MAX),
    /** Another page follows (ask again with afterSeq = the last seq here). */
    more: z.boolean(),
  })
  .strict();
export type PhotoArrivalsAnswer = z.infer<typeof photoArrivalsAnswerSchema>;
