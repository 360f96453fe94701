/**
 * A printer asking another for a detour (issue #16): a link for one event's photos outside the
 * photo overlay, held open while one of its fans waits for a photo only that printer holds
 * (edge-node/mesh/photo-detours.ts). Sent over a Hypercore extension on the event's catalog core,
 * which every printer replicates with every other; the catalog names the event.
 */
import { z } from 'zod';

export const PHOTO_DETOUR_EXTENSION = 'vpm/detour/v1';

export const photoDetourMessageSchema = z
  .object({
    /** true: open the event's photo channel with the sender; false: the sender has what it needed. */
    open: z.boolean(),
  })
  .strict();

export type PhotoDetourMessage = z.infer<typeof photoDetourMessageSchema>;
