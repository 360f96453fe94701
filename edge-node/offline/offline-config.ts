import { z } from 'zod';
import { OFFLINE_CLAIM_HOLD_MS } from '../../shared/policy/offline-claim-rule.ts';

/** Default per-outage allowance of an isolated printer whose operator chose 'allow'. */
export const DEFAULT_ISOLATED_LIMIT = 20;

/**
 * The operator's offline redemption settings (edge-node/OFFLINE.md, README "Offline operation").
 *  - isolated: what a printer that reaches neither the cloud nor any other printer of the venue does
 *    with a valid code: 'refuse' (no double print possible) or 'allow' at most `isolatedLimit`
 *    orders per outage (a double print is then possible and is reported when the uplink returns).
 *  - holdMs: how long an offline claim waits for competing claims; must exceed the LAN's claim
 *    propagation time (measured by `npm run bench:offline`).
 */
export const offlineConfigSchema = z
  .object({
    isolated: z.enum(['refuse', 'allow']).default('refuse'),
    isolatedLimit: z.number().int().min(0).max(10_000).default(DEFAULT_ISOLATED_LIMIT),
    holdMs: z.number().int().min(0).max(30_000).default(OFFLINE_CLAIM_HOLD_MS),
  })
  .strict()
  .default({ isolated: 'refuse', isolatedLimit: DEFAULT_ISOLATED_LIMIT, holdMs: OFFLINE_CLAIM_HOLD_MS });

export type OfflineConfig = z.infer<typeof offlineConfigSchema>;

/**
 * The UDP port of this printer's DHT node, a bootstrap node of the venue for the other printers.
 * 0: chosen once, then kept in the data directory.
 */
export const dhtPortSchema = z.coerce.number().int().min(0).max(65_535).default(0);
