/**
 * What every edge node publishes about its queue (issue #16 item 2), to its LAN peers (a Hypercore
 * extension, edge-node/routing/queue-board.ts) and to the coordinator (the status report's
 * `routing`): the fan's order page and every kiosk rank stations from it with
 * shared/policy/queue-routing.ts.
 */
import { z } from 'zod';

/** Bounds a peer's claims: no station has more than this much work or this many printers. */
const MAX_QUEUE_WORK_SECONDS = 7 * 24 * 3600;
const MAX_PRINTERS = 64;

export const stationPositionSchema = z
  .object({ x: z.number().min(-100_000).max(100_000), y: z.number().min(-100_000).max(100_000) })
  .strict();

export const stationQueueSchema = z
  .object({
    /** The station's printer id (its Ed25519 public key, hex) and name, as the coordinator knows them. */
    id: z.string().min(1).max(128),
    name: z.string().max(100),
    /** Printer-seconds of work waiting: units waiting × measured print time, plus what is left of prints in progress. */
    queueWorkSeconds: z.number().min(0).max(MAX_QUEUE_WORK_SECONDS),
    unitsWaiting: z.number().int().min(0).max(1_000_000),
    secondsPerPrint: z.number().min(0).max(3600),
    workingPrinters: z.number().int().min(0).max(MAX_PRINTERS),
    canPrint: z.boolean(),
    position: stationPositionSchema.nullable(),
    /** When the station measured it (epoch ms, its own clock): stale figures are dropped. */
    at: z.number().int().min(0),
  })
  .strict();

export type StationQueueReport = z.infer<typeof stationQueueSchema>;
