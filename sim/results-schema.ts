/**
 * The simulator's versioned results schema: model mode and emulation mode both produce it, the
 * reports (JSON, CSV, HTML) read only it. Bump RESULTS_SCHEMA_VERSION on any incompatible change.
 */
export const RESULTS_SCHEMA_VERSION = 1;

export type StrategyName = 'star-periodic' | 'on-demand' | 'mesh';
export type SimMode = 'model' | 'emulation';

export interface Quantiles {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
  count: number;
}

/** One strategy, one seed. Bytes are bytes; times are seconds of simulated time. */
export interface StrategyRun {
  strategy: StrategyName;
  seed: number;
  wanBytes: number;
  uniqueBytes: number;
  /** wanBytes ÷ uniqueBytes (ideal 1.0). */
  wanRatio: number;
  lanBytes: number;
  /** Seconds a fan waits at the printer from scan to last print out (queue + fetch + print). */
  fanWaitSeconds: Quantiles;
  /**
   * The pooled-queue ideal for the same arrivals and print times (every printer serving one shared
   * queue, M/G/c; sim/model/pooled-queue.ts): the floor any routing of fans could reach. Model mode.
   */
  pooledFanWaitSeconds?: Quantiles;
  /** Share of redemptions that found every image already local at the printer. */
  allLocalShare: number;
  /** Replication lag over time: at each sample, the mean over printers of the age of the oldest image not held. */
  lagSeries: Array<{ t: number; meanLagSeconds: number; maxLagSeconds: number }>;
  /**
   * Per upload batch: seconds from when it was whole on the feed until every printer held it, next
   * to the Kumar–Ross bound for the photos still to come then (metrics.ts), and how long after its
   * due time it was whole (`publishedAfterS`: the photographer's uploads; 0 when published at once).
   */
  batches: Array<{
    batch: number;
    bytes: number;
    completeSeconds: number | null;
    boundSeconds: number;
    publishedAfterS?: number;
  }>;
  redemptions: number;
  /** Redemptions that failed (e.g. WAN down and no LAN holder) and were retried or lost. */
  failedRedemptions: number;
  /** Model mode, when the scenario has `redemption.kioskSuggestion`: walks to a station a kiosk suggested (a fan sent on again on a retry counts twice). */
  kioskWalks?: number;
  events: number;
  wallSeconds: number;
  /** Model mode, when the scenario has a `revenue` section: what the run's orders paid (sim/revenue/). */
  revenue?: RevenueRun;
}

export interface MeanCi {
  mean: number;
  /** Half-width of the 95 % confidence interval (Student t); 0 for a single run. */
  ci95: number;
}

export interface StrategySummary {
  strategy: StrategyName;
  runs: number;
  wanBytes: MeanCi;
  wanRatio: MeanCi;
  lanBytes: MeanCi;
  fanWaitP50: MeanCi;
  fanWaitP95: MeanCi;
  fanWaitP99: MeanCi;
  /** p99 of the pooled-queue ideal (model runs). */
  pooledWaitP99?: MeanCi;
  allLocalShare: MeanCi;
  meanLagSeconds: MeanCi;
  /** Revenue runs only: photos + frames, and frames alone, in minor units at the selected fee table. */
  revenueCents?: MeanCi;
  framesCents?: MeanCi;
}

export interface SimResults {
  schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  mode: SimMode;
  scenario: { name: string; printers: number; images: number; orders: number; seed: number };
  /** Emulation mode only: simulated seconds per wall second. */
  timeCompression?: number;
  runs: StrategyRun[];
  summaries: StrategySummary[];
}

/** One template over a run: prints sold with it, uses counted when printed, and where it ended. */
export interface TemplateRevenue {
  id: string;
  name: string;
  basicFeeCents: number;
  /** Framed prints sold (each copy is one print and one fee). */
  prints: number;
  /** Printed units that used it: the count the next quote would see at the end. */
  uses: number;
  /** The fees its prints were sold at (each at the count when its order was priced). */
  revenueCents: number;
  /** The band of the selected table at the final use count, its rate and a new customer's fee there. */
  band: string;
  rate: number;
  priceNowCents: number;
  /** When the count reached each band of the selected table (the first band at 0 s). */
  bandHistory: Array<{ band: string; fromUses: number; atS: number }>;
}

/** A run's sales priced with the product's modules (shared/policy/pricing.ts, template-fees.ts). */
export interface RevenueRun {
  currency: string;
  /** The fee-rate table quotes used. */
  feeTable: string;
  orders: number;
  prints: number;
  framedPrints: number;
  /** Orders placed by a customer who had ordered before. */
  repeatCustomerOrders: number;
  photosCents: number;
  framesCents: number;
  totalCents: number;
  templates: TemplateRevenue[];
  /** The same run's orders priced with each of the event's fee-rate tables. */
  feeTables: Array<{ tableId: string; name: string; framesCents: number; totalCents: number }>;
}
