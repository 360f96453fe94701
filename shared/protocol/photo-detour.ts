/**
 * Detours between venue printers (issue #16, edge-node/mesh/photo-detours.ts): a link for one
 * event's photos outside the photo overlay, held open while fans at the asking printer wait for
 * photos that only the other printer holds. Sent over a Hypercore extension on the event's catalog
 * core, which every printer replicates with every other; the catalog names the event.
 */
import { z } from 'zod';

export const PHOTO_DETOUR_EXTENSION = 'vpm/detour/v1';

/** Numbers one opening of a pair's link, so an answer to an earlier one is told apart. */
const openingSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const photoDetourMessageSchema = z.union([
  /** Asker → holder: open the event's photo channel with me (opening `n`). */
  z.object({ ask: z.literal(true), n: openingSchema }).strict(),
  /** Asker → holder: I no longer need it. */
  z.object({ ask: z.literal(false) }).strict(),
  /**
   * Holder → asker: I do not serve opening `n`: `declined` (at my limit; ask someone else) or
   * `lease` (its time is up; ask again if you still need it).
   */
  z.object({ served: z.literal(false), n: openingSchema, why: z.enum(['declined', 'lease']) }).strict(),
]);

export type PhotoDetourMessage = z.infer<typeof photoDetourMessageSchema>;

const count = z.number().int().min(0);

/** What a printer reports of its detours (the status report's `photoDetours`). */
export const photoDetourStatsSchema = z
  .object({
    /** Detours this printer asked for (one per holder and fetch). */
    asked: count,
    /** Detours it opened for others. */
    served: count,
    /** Requests it turned down at its limit. */
    declined: count,
    /** Detours it serves now. */
    serving: count,
    /** Malformed requests ignored. */
    rejectedMessages: count,
  })
  .strict();

export type DetourStats = z.infer<typeof photoDetourStatsSchema>;
