import type { Clock } from '../../shared/ports/clock.ts';
import type { StructuredLogger } from '../../shared/ports/logger.ts';
import type { OfflineReportOrder } from '../../shared/protocol/printer-api.ts';
import type { CoordinatorClient } from '../coordinator-client.ts';
import type { JobLog, OrderProgress } from '../jobs/job-log.ts';
import type { ClaimsLog } from './claims-log.ts';

/** Orders per report (the coordinator takes up to 200). */
export const RECONCILE_BATCH_ORDERS = 100;

/**
 * When the uplink returns: reports every order this printer claimed with no cloud, with the units
 * it printed, in claim order, then marks them confirmed and reconciled in the job log and 'synced'
 * on its claims log (from then on the coordinator decides about the order). The coordinator applies
 * each report once however often it arrives, so a report lost half-way is simply sent again.
 * Orders still printing wait for the next run: their units go together with the claim.
 */
export class OfflineReconciler {
  readonly #log: JobLog;
  readonly #claims: ClaimsLog;
  readonly #isPrinting: (orderId: string) => boolean;
  readonly #logger: StructuredLogger;
  readonly #clock: Clock;
  #running: Promise<number> | null = null;

  constructor(opts: {
    log: JobLog;
    claims: ClaimsLog;
    isPrinting: (orderId: string) => boolean;
    logger: StructuredLogger;
    clock: Clock;
  }) {
    this.#clock = opts.clock;
    this.#log = opts.log;
    this.#claims = opts.claims;
    this.#isPrinting = opts.isPrinting;
    this.#logger = opts.logger;
  }

  /** Reports what is outstanding; resolves with how many offline orders are still unreported. */
  run(client: CoordinatorClient): Promise<number> {
    this.#running ??= this.#run(client).finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #run(client: CoordinatorClient): Promise<number> {
    const ready = this.#log.unreconciled().filter((o) => !this.#isPrinting(o.orderId));
    for (let i = 0; i < ready.length; i += RECONCILE_BATCH_ORDERS) {
      const batch = ready.slice(i, i + RECONCILE_BATCH_ORDERS);
      const results = await client.reportOfflineRedemptions(batch.map(report));
      for (const result of results) {
        const order = batch.find((o) => o.orderId === result.orderId);
        if (order) await this.#settle(order);
        if (result.conflicts.length > 0)
          this.#logger.warn(
            { orderId: result.orderId, conflicts: result.conflicts },
            'an order printed with no cloud conflicts with the coordinator: reported to operators',
          );
      }
      this.#logger.info({ orders: batch.length }, 'reported offline redemptions to the coordinator');
    }
    return this.#log.unreconciled().length;
  }

  /** Every unit reported is settled: counted, or held by the coordinator as a conflict. */
  async #settle(order: OrderProgress): Promise<void> {
    const at = this.#clock.now();
    for (const unit of order.printed) {
      if (!order.confirmed.has(unit)) await this.#log.append({ t: 'confirmed', orderId: order.orderId, unit, at });
    }
    await this.#log.append({ t: 'reconciled', orderId: order.orderId, at });
    await this.#claims.append({ t: 'synced', orderId: order.orderId });
  }
}

function report(order: OrderProgress): OfflineReportOrder {
  return {
    orderId: order.orderId,
    claimedAt: order.offline!.hlc.wall,
    mode: order.offline!.mode,
    units: [...order.printed].sort((a, b) => a - b),
  };
}
