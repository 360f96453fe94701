/**
 * Detours between venue printers (issue #16, edge-node/mesh/photo-detours.ts): a link for one
 * event's photos outside the photo overlay, held open while a fan at the asking printer waits for a
 * photo that only the other printer holds. Sent over a Hypercore extension on the event's catalog
 * core, which every printer replicates with every other; the catalog names the event.
 */
import { z } from 'zod';

export const PHOTO_DETOUR_EXTENSION = 'vpm/detour/v1';

export const photoDetourMessageSchema = z.union([
  /** Asker → holder: open the event's photo channel with me (`true`), or I no longer need it (`false`). */
  z.object({ ask: z.boolean() }).strict(),
  /** Holder → asker: I do not serve you (declined at my limit, or the detour's time is up). */
  z.object({ served: z.literal(false) }).strict(),
]);

export type PhotoDetourMessage = z.infer<typeof photoDetourMessageSchema>;
