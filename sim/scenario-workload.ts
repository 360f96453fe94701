/**
 * The scenario's workload: the event's photo uploads (`event`), what fans buy (`orders`) and how
 * they redeem it (`redemption`).
 */
import { z } from 'zod';
import { count, distSchema, nonNegative, positive } from './scenario-fields.ts';

const uploadsSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('periodic'),
      images: count(1),
      startS: nonNegative(),
      endS: positive(),
      batchIntervalS: positive(),
    }),
    z.strictObject({
      kind: z.literal('explicit'),
      batches: z
        .array(z.strictObject({ atS: nonNegative(), images: count(1) }))
        .min(1, { error: 'expected at least one batch' }),
    }),
  ],
  { error: 'expected kind "periodic" or "explicit"' },
);

export const eventSchema = z.strictObject({
  uploads: uploadsSchema,
  imageSizeBytes: distSchema,
  /**
   * How fast a batch's photos reach the feed, one after the other (the photographer's upload and
   * the coordinator's ingest together), Mbit/s. Absent: a whole batch is on the feed at its time.
   */
  publishMbps: positive().optional(),
});

export const ordersSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('generated'),
      count: count(0),
      purchase: z.strictObject({ startS: nonNegative(), endS: positive() }),
      itemsPerOrder: distSchema,
      copiesPerItem: distSchema,
      popularity: z
        .discriminatedUnion(
          'kind',
          [
            z.strictObject({ kind: z.literal('uniform') }),
            z.strictObject({ kind: z.literal('recency'), halfLifeS: positive() }),
          ],
          { error: 'expected kind "uniform" or "recency"' },
        )
        .default({ kind: 'uniform' }),
    }),
    z.strictObject({
      kind: z.literal('explicit'),
      list: z.array(
        z.strictObject({
          purchaseAtS: nonNegative(),
          /** 0-based indices in upload order. */
          images: z.array(count(0)).min(1, { error: 'expected at least one image' }),
          copies: count(1).default(1),
          redeemAtS: nonNegative().optional(),
          printer: count(0).optional(),
        }),
      ),
    }),
  ],
  { error: 'expected kind "generated" or "explicit"' },
);

export const redemptionSchema = z.strictObject({
  delayS: distSchema,
  notBeforeS: nonNegative().optional(),
  choice: z.enum(['nearest', 'random', 'shortest-queue'], {
    error: 'expected "nearest", "random" or "shortest-queue"',
  }),
  hotspotSkew: nonNegative().default(0),
  /**
   * The kiosk's "shorter queue" suggestion (shared/policy/queue-routing.ts suggestShorterQueue): a
   * fan at a station with a long queue is shown a station where they would be done clearly sooner,
   * and `follow` of them (0–1) walk there, `walkS` seconds away, before handing in the code. Absent:
   * fans stay where they are (what the model did before kiosks suggested anything). Refused with
   * `shortest-queue` (its fans are at the best station already); orders sent to a fixed printer
   * are never sent on.
   */
  kioskSuggestion: z
    .strictObject({
      follow: nonNegative().max(1, { error: 'expected a share from 0 to 1' }),
      walkS: nonNegative(),
    })
    .optional(),
  fetchTimeoutS: positive().default(60),
  retryAfterS: positive().default(600),
  maxAttempts: count(1).default(2),
});
