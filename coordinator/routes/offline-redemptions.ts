import type Router from '@koa/router';
import { AppError } from '../../shared/errors.ts';
import {
  MAX_OFFLINE_ORDERS_PER_REPORT,
  type OfflineReportAnswer,
  type OfflineReportOrder,
  type OfflineReportResult,
  offlineReportSchema,
} from '../../shared/protocol/printer-api.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { publishOrder } from '../feed/order-publication.ts';
import { requirePrinter, requireStaff, type StaffIdentity } from '../http/auth.ts';
import { parseInput } from '../http/validate.ts';
import type { ConflictKind, ConflictRecord, OfflineRedemptionOutcome } from '../store/offline-records.ts';
import { CLAIMABLE_STATES } from '../store/order-rules.ts';
import type { OrderRecord, PrinterRecord } from '../store/records.ts';

/** Orders per reconciliation request; a printer with more sends several (in order). */
export { MAX_OFFLINE_ORDERS_PER_REPORT };
export const MAX_CONFLICTS_LISTED = 500;

type ReportedOrder = OfflineReportOrder;

/** One order's result, as the printer API defines it. */
export type OfflineOrderResult = OfflineReportResult;

/**
 * Offline redemption, coordinator side (issue #6). When its uplink returns, a printer reports every
 * order it claimed and printed without the cloud; each is applied through the store's atomic claim
 * and confirmation, so every unit is counted once however often the report is retried, and what
 * cannot be applied (printed here and elsewhere, not redeemable, unknown) becomes a conflict that
 * operators list at GET /api/conflicts (and see on the dashboard until they acknowledge it): never dropped.
 */
export function offlineRedemptionRoutes(router: Router, deps: CoordinatorDeps): void {
  const { store, clock } = deps;
  const printer = requirePrinter(store, clock);
  const operator = requireStaff(store, ['operator']);

  router.post('/api/printer/offline-redemptions', printer, async (ctx) => {
    const me = ctx.state.printer as PrinterRecord;
    const { orders } = parseInput(offlineReportSchema, ctx.request.body, 'offline redemption report');
    const results: OfflineOrderResult[] = [];
    // In the order the printer sent them: its claims are applied in the order it made them.
    for (const reported of orders) results.push(await applyOfflineOrder(deps, me, reported));
    ctx.body = { results } satisfies OfflineReportAnswer;
  });

  router.get('/api/conflicts', operator, async (ctx) => {
    const venueId = typeof ctx.query.venueId === 'string' ? ctx.query.venueId : undefined;
    ctx.set('cache-control', 'no-store');
    ctx.body = { conflicts: await store.listConflicts(venueId ? { venueId } : {}, MAX_CONFLICTS_LISTED) };
  });

  // The operator has dealt with it (refund, fan contacted): it leaves the dashboard's alerts, stays listed.
  router.post('/api/conflicts/:conflictId/acknowledge', operator, async (ctx) => {
    const staff = ctx.state.staff as StaffIdentity;
    const conflict = await store.acknowledgeConflict(String(ctx.params.conflictId), {
      at: clock.now(),
      byCredentialId: staff.credentialId,
      byName: staff.label ? `${staff.label} (${staff.name})` : staff.name,
    });
    if (!conflict) throw new AppError('conflict_not_found', 'There is no conflict with this id: reload the list.');
    ctx.set('cache-control', 'no-store');
    ctx.body = { conflict };
  });

  router.get('/api/offline-redemptions', operator, async (ctx) => {
    const venueId = typeof ctx.query.venueId === 'string' ? ctx.query.venueId : undefined;
    ctx.set('cache-control', 'no-store');
    ctx.body = { offlineRedemptions: await store.listOfflineRedemptions(venueId ? { venueId } : {}) };
  });
}

async function applyOfflineOrder(
  deps: CoordinatorDeps,
  me: PrinterRecord,
  reported: ReportedOrder,
): Promise<OfflineOrderResult> {
  const { store, clock, settings } = deps;
  const now = clock.now();
  const units = [...new Set(reported.units)].sort((a, b) => a - b);
  const conflicts: OfflineOrderResult['conflicts'] = [];
  const counted: number[] = [];
  const raise = async (kind: ConflictKind, order: OrderRecord | null, conflictUnits: number[], detail: string) => {
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
    const elsewhere = units.filter((u) => printed[String(u)] !== undefined && printed[String(u)]!.printerId !== me.id);
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
  return { orderId: reported.orderId, outcome, repeated: !first, counted, conflicts };
}
