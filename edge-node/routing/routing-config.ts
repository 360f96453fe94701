/**
 * The edge config's `routing` key (issue #16 item 2): where the station stands on the venue plan
 * (so kiosks can name the nearest station and weigh the walk) and, for a thermal-only node, how long
 * one print takes (photo stations measure theirs).
 */
import { z } from 'zod';
import { stationPositionSchema } from '../../shared/protocol/station-queue.ts';

/** A thermal receipt-paper print (dither + feed + cut), when the operator has not measured it. */
export const DEFAULT_THERMAL_SECONDS_PER_PRINT = 8;

export const routingConfigSchema = z
  .object({
    /** Metres on the venue plan, the same origin for every station of the venue. */
    position: stationPositionSchema.optional(),
    thermalSecondsPerPrint: z.number().positive().max(600).default(DEFAULT_THERMAL_SECONDS_PER_PRINT),
  })
  .strict()
  .default({ thermalSecondsPerPrint: DEFAULT_THERMAL_SECONDS_PER_PRINT });

export type RoutingConfig = z.infer<typeof routingConfigSchema>;
