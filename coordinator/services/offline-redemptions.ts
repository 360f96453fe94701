import { AppError } from '../../shared/errors.ts';
import type {
  OfflineReportAnswer,
  OfflineReportOrder,
  OfflineReportResult,
} from '../../shared/protocol/printer-api.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { publishOrder } from '../feed/order-publication.ts';
import type { ConflictRecord, OfflineRedemptionOutcome } from '../store/offline-records.ts';
import { CLAIMABLE_STATES } from '../store/order-rules.ts';
import type { OrderRecord, PrinterRecord } from '../store/records.ts';
import { recordPrintedUnits } from '../templates/template-pricing.ts';
import type { TemplateService } from '../templates/template-service.ts';

export const MAX_CONFLICTS_LISTED = 500;

/** What the service needs of one order in a printer's offline report. */
/** One reported order and its result, as the printer API defines them. */
export type ReportedOfflineOrder = OfflineReportOrder;
export type OfflineOrderResult = OfflineReportResult;
/** The conflicts an offline report can raise (a late payment is raised by the payment webhook). */
type OfflineConflictKind = OfflineReportResult['conflicts'][number]['kind'];

/**
 * Offline redemption, coordinator side (issue #6). When its uplink returns, a printer reports every
 * order it claimed and printed without the cloud; each is applied through the store's atomic claim
 * and confirmation, so every unit is counted once however often the report is retried, and what
 * cannot be applied (printed here and elsewhere, not redeemable, unknown) becomes a conflict that
 * operators list at GET /api/conflicts (and see on the dashboard until they acknowledge it): never dropped.
 */
export class OfflineRedemptionService {
  readonly #deps: CoordinatorDeps;
  readonly #templates: TemplateService | null;

  constructor(deps: CoordinatorDeps, templates: TemplateService | null = null) {
    this.#deps = deps;
    this.#templates = templates;
  }

  /** In the order the printer sent them: its claims are applied in the order it made them. */
  async applyReport(me: PrinterRecord, orders: readonly ReportedOfflineOrder[]): Promise<OfflineReportAnswer> {
    const results: OfflineOrderResult[] = [];
    for (const reported of orders) results.push(await this.#apply(me, reported));
    return { results };
  }

  async listConflicts(venueId: string | undefined) {
    return {
      conflicts: await this.#deps.store.listConflicts(venueId ? { venueId } : {}, MAX_CONFLICTS_LISTED),
    };
  }

  /** The operator has dealt with it (refund, fan contacted): it leaves the dashboard's alerts, stays listed. */
  async acknowledge(conflictId: string, by: { credentialId: string; name: string }) {
    const conflict = await this.#deps.store.acknowledgeConflict(conflictId, {
      at: this.#deps.clock.now(),
      byCredentialId: by.credentialId,
      byName: by.name,
    });
    if (!conflict) throw new AppError('conflict_not_found', 'There is no conflict with this id: reload the list.');
    return { conflict };
  }

  async listReports(venueId: string | undefined) {
    return { offlineRedemptions: await this.#deps.store.listOfflineRedemptions(venueId ? { venueId } : {}) };
  }

  /** Applies one reported order through the store's atomic claim and confirmation. */
  async #apply(me: PrinterRecord, reported: ReportedOfflineOrder): Promise<OfflineOrderResult> {
    const deps = this.#deps;
    const { store, clock, settings } = deps;
    const now = clock.now();
    const units = [...new Set(reported.units)].sort((a, b) => a - b);
    const conflicts: OfflineOrderResult['conflicts'] = [];
    const counted: number[] = [];
    const raise = async (
      kind: OfflineConflictKind,
      order: OrderRecord | null,
      conflictUnits: number[],
      detail: string,
    ) => {
      const others = order
        ? [...new Set([...Object.values(order.printed).map((p) => p.printerId), order.claim?.printerId ?? ''])]
        : [];
      const record: ConflictRecord = {
        id: `${kind}:${reported.orderId}:${me.id}`,
        kind,
        venueId: me.venueId,
        orderId: reported.orderId,
        printerId: me.id,
        otherPrinterIds: others.filter((p) => p !== '' && p !== me.id),
        units: conflictUnits,
        detail,
        detectedAt: now,
      };
      await store.insertConflict(record);
      conflicts.push({ id: record.id, kind, units: conflictUnits });
    };

    let order = await store.getOrder(reported.orderId);
    if (order === null || order.venueId !== me.venueId) {
      if (units.length > 0)
        await raise('unknown_order', null, units, 'Printed offline for an order unknown at this venue.');
      order = null;
    } else {
      const printed = order.printed;
      const mine = units.filter((u) => printed[String(u)]?.printerId === me.id);
      const elsewhere = units.filter(
        (u) => printed[String(u)] !== undefined && printed[String(u)]!.printerId !== me.id,
      );
      const fresh = units.filter((u) => printed[String(u)] === undefined);
      counted.push(...mine);
      const notCounted = [...elsewhere];
      if (fresh.length > 0) {
        const claim = CLAIMABLE_STATES.includes(order.state)
          ? await store.claimOrder(order.id, me.id, now, settings.claimTtlMs)
          : ({ outcome: 'not_claimable', order } as const);
        if (claim.outcome === 'claimed') {
          order = claim.order;
          for (const unit of fresh) {
            const result = await store.confirmPrinted(order.id, me.id, unit, now, settings.claimTtlMs);
            if (result.outcome === 'confirmed') {
              order = result.order;
              counted.push(unit);
            } else if (result.outcome !== 'bad_unit') notCounted.push(unit);
          }
          await publishOrder(deps, order);
        } else if (claim.outcome === 'not_found') {
          await raise('unknown_order', null, fresh, 'The order disappeared while it was being reconciled.');
        } else if (claim.order.state === 'redeeming' || claim.order.state === 'fulfilled') {
          order = claim.order;
          notCounted.push(...fresh);
        } else {
          order = claim.order;
          await raise(
            'not_redeemable',
            order,
            fresh,
            `Printed offline while the order was ${order.state}; it cannot be redeemed.`,
          );
        }
      }
      if (notCounted.length > 0) {
        await raise(
          'double_print',
          order,
          notCounted.sort((a, b) => a - b),
          'Printed offline at this printer and also counted for another printer: the order was printed twice.',
        );
      }
    }
    const outcome: OfflineRedemptionOutcome =
      conflicts.length > 0 ? 'conflict' : units.length > 0 ? 'applied' : 'nothing_printed';
    const first = await store.recordOfflineRedemption({
      id: `${me.id}:${reported.orderId}`,
      printerId: me.id,
      venueId: me.venueId,
      orderId: reported.orderId,
      claimedAt: reported.claimedAt,
      units,
      receivedAt: now,
      outcome,
    });
    counted.sort((a, b) => a - b);
    // Issue #14: offline prints count as template uses now, once per unit (a repeated report too).
    if (order && this.#templates) await recordPrintedUnits(this.#templates, order, counted, me.id, now);
    return { orderId: reported.orderId, outcome, repeated: !first, counted, conflicts };
  }
}
