import { z } from 'zod';

/*
 * The printer's status report as the coordinator accepts it. Wire shapes of the printer API belong
 * in shared/protocol/printer-api.ts (issue #9 §1); until that file lands this is the one definition,
 * kept out of the route file so the dashboard rows do not import a route.
 */

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
  })
  .strict();

export type PrinterStatusReport = z.infer<typeof printerStatusReport>;
