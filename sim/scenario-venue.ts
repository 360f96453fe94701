/**
 * The scenario's `venue`: its printer models, the printers (groups of one model), the LAN that
 * joins them and the WAN to the cloud.
 */
import { z } from 'zod';
import { count, nonNegative, num, positive } from './scenario-fields.ts';

/**
 * A printer model: its print time and, optionally, what its station's CPU costs (issue #16 item 4;
 * measured by `npm run bench:mesh` and `npm run bench:print`, say where in `measured`). Without the
 * CPU figures a station is never CPU-bound (sim/model/station-cpu.ts has the arithmetic).
 */
const printerModelSchema = z.strictObject({
  /** Seconds per print (by the printer itself; bench:print's `measured s/print`). */
  printSeconds: positive(),
  /** CPU milliseconds per MB the edge node receives (verify, decrypt, store: bench:mesh cpuPerMbEdge × 1000). */
  cpuMsPerMb: positive().optional(),
  /** CPU milliseconds per MB it serves to its LAN peers (a swarm serves about what it receives). */
  cpuMsPerMbServed: nonNegative().optional(),
  /** CPU milliseconds to render one print from its master (decode, resize, colour; bench:print). */
  cpuMsPerPrint: nonNegative().optional(),
  /** Cores the edge node's replication can use (default 1: one Node.js event loop verifies). */
  cores: positive().optional(),
  /** Where the figures come from (command, machine, date): shown in reports, never read. */
  measured: z.string().optional(),
});
export type PrinterModel = z.infer<typeof printerModelSchema>;

const lanSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('switched'),
      portUpMbps: positive(),
      portDownMbps: positive(),
      rttMs: nonNegative().default(1),
    }),
    z.strictObject({
      kind: z.literal('shared'),
      capacityMbps: positive(),
      /** Air used per printer-to-printer byte: 2 when the access point relays it. */
      airtimeFactor: num('a number ≥ 1').min(1, { error: 'expected a number ≥ 1' }).default(2),
      stationMbps: positive().optional(),
      rttMs: nonNegative().default(3),
    }),
  ],
  { error: 'expected kind "switched" or "shared"' },
);

export const venueSchema = z.strictObject({
  printerModels: z.record(z.string(), printerModelSchema),
  printers: z
    .array(
      z.strictObject({
        count: count(1),
        model: z.string({ error: 'expected a printer model name' }),
        portUpMbps: positive().optional(),
        portDownMbps: positive().optional(),
      }),
    )
    .min(1, { error: 'expected at least one printer group' }),
  lan: lanSchema,
  wan: z.strictObject({ bandwidthMbps: positive(), rttMs: nonNegative() }),
});
