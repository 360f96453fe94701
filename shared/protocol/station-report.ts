/**
 * What an edge node driving a photo station reports per printer (issue #12): health, prints left,
 * prints today, failures, the low-roll alert and the measured print time. Part of the status report
 * (`station`, optional: thermal-only nodes leave it out).
 */
import { z } from 'zod';

export const stationPrinterReport = z
  .object({
    name: z.string().max(60),
    uri: z.string().max(500),
    model: z.string().max(200),
    media: z.string().max(100),
    tray: z.string().max(60),
    state: z.string().max(40),
    detail: z.string().max(500),
    canPrint: z.boolean(),
    busy: z.boolean(),
    printsLeft: z.number().int().min(0).nullable(),
    lowRoll: z.boolean(),
    printsToday: z.number().int().min(0),
    failures: z.number().int().min(0),
    secondsPerPrint: z.number().min(0),
    measuredSecondsPerPrint: z.number().min(0).nullable(),
  })
  .strict();

export const stationReportSchema = z
  .object({
    printers: z.array(stationPrinterReport).max(16),
    counters: z
      .object({
        unitsCompleted: z.number().int().min(0),
        failoverMoved: z.number().int().min(0),
        recoveredCompleted: z.number().int().min(0),
      })
      .strict(),
    canTakeCodes: z.boolean(),
    /** Units waiting for a free printer, and the kiosk's "ready in about N s" for a code handed in now. */
    unitsWaiting: z.number().int().min(0).optional(),
    estimatedWaitSeconds: z.number().int().min(0).nullable().optional(),
  })
  .strict();

export type StationReport = z.infer<typeof stationReportSchema>;
