/**
 * Fan waits of an emulation run, in simulated seconds, from what the printers measured in wall time.
 *
 * Time compression F shrinks the scenario's timeline (uploads, purchases, sync intervals) and, with
 * link shaping, the transfers (links run F times faster). It cannot shrink the printer's own work:
 * checking the code, the claim, the job log, decoding and dithering the photo take the same wall
 * time at any F. So a redemption's wall latency L is split: its processing time P counts once, the
 * rest (fetching photos over the network) F times. P is estimated as the median latency of the
 * run's redemptions whose photos were all local (nothing moved over the network); a redemption that
 * fetched counts min(L, P) + max(0, L − P) · F. Without any all-local redemption P is 0 and fetches
 * count L · F whole (an overestimate by (F − 1) · P, documented in sim/README.md).
 *
 * Printers serve one fan at a time in arrival order; print time (the scenario's seconds per
 * printed copy) runs on each printer's virtual clock, since the file printer prints instantly.
 */

export interface Service {
  printer: number;
  /** When the fan scanned, simulated seconds. */
  redeemAtS: number;
  /** The redeem call's wall latency, seconds. */
  wallS: number;
  printedUnits: number;
  /** Every unit's photo was local at the scan. */
  allLocal: boolean;
  ok: boolean;
}

/** Median wall latency of the all-local successful services, seconds; 0 if there are none. */
export function processingEstimateS(services: readonly Pick<Service, 'wallS' | 'allLocal' | 'ok'>[]): number {
  const local = services
    .filter((s) => s.ok && s.allLocal)
    .map((s) => s.wallS)
    .sort((a, b) => a - b);
  if (local.length === 0) return 0;
  const mid = Math.floor(local.length / 2);
  return local.length % 2 === 1 ? local[mid]! : (local[mid - 1]! + local[mid]!) / 2;
}

/** A service's duration at the printer in simulated seconds, before print time. */
export function simulatedLatencyS(
  service: Pick<Service, 'wallS' | 'allLocal'>,
  f: number,
  processingS: number,
): number {
  if (service.allLocal) return service.wallS;
  return Math.min(service.wallS, processingS) + Math.max(0, service.wallS - processingS) * f;
}

/**
 * Each service's wait (scan to last print out), in the order given, which must be the order in
 * which each printer served them.
 */
export function simulatedWaits(
  services: readonly Service[],
  f: number,
  printSeconds: ArrayLike<number>,
  processingS: number = processingEstimateS(services),
): number[] {
  const freeAtS = new Map<number, number>();
  return services.map((s) => {
    const start = Math.max(s.redeemAtS, freeAtS.get(s.printer) ?? 0);
    const done = start + simulatedLatencyS(s, f, processingS) + s.printedUnits * (printSeconds[s.printer] ?? 0);
    freeAtS.set(s.printer, done);
    return done - s.redeemAtS;
  });
}
