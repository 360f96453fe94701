import type Router from '@koa/router';
import { z } from 'zod';
import { AppError, conflict, notFound } from '../../shared/errors.ts';
import { expandPrintUnits } from '../../shared/policy/order-state.ts';
import { verifyRedemptionToken } from '../../shared/token/redemption-token.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { publishOrder } from '../feed/order-publication.ts';
import { requirePrinter, requireStaff } from '../http/auth.ts';
import { parseInput } from '../http/validate.ts';
import type { OrderRecord, PrinterRecord } from '../store/records.ts';
import { orderView } from '../views.ts';

const redeemInput = z.object({ token: z.string().min(1).max(400) }).strict();
const unitParam = z.coerce.number().int().min(0).max(10_000);

/**
 * The management unit: a printer presents a fan's code, the coordinator claims the order for that
 * printer exactly once, and tells it what to print, where each image sits in the feed, and which
 * images it is recorded as lacking. Printers confirm each print; the order is fulfilled when all are.
 */
export function redemptionRoutes(router: Router, deps: CoordinatorDeps): void {
  const { store, feeds, clock, tokenKeys, settings, metrics } = deps;
  const printer = requirePrinter(store, clock);

  async function printJob(order: OrderRecord, me: PrinterRecord) {
    const event = await store.getEvent(order.eventId);
    if (!event) throw new AppError(500, 'event_missing', 'The order’s event is missing.');
    const holdings = await store.getHoldings(me.id, event.id);
    const held = new Set(holdings?.imageIds ?? []);
    const images = new Map(
      await Promise.all(order.items.map(async (i) => [i.imageId, await store.getImage(i.imageId)] as const)),
    );
    const units = expandPrintUnits(order.items).map((u) => {
      const image = images.get(u.imageId);
      return {
        ...u,
        printed: order.printed[String(u.unit)] !== undefined,
        lacking: !held.has(u.imageId),
        image: image
          ? {
              sha256: image.sha256,
              byteLength: image.byteLength,
              width: image.width,
              height: image.height,
              mime: image.mime,
              feed: image.feed,
              seq: image.seq,
            }
          : null,
      };
    });
    return { order: orderView(order), feed: feeds.descriptorFor(event), units };
  }

  router.post('/api/printer/redeem', printer, async (ctx) => {
    const me = ctx.state.printer as PrinterRecord;
    const { token } = parseInput(redeemInput, ctx.request.body);
    const verified = verifyRedemptionToken(token, tokenKeys.publicKeys, clock.now());
    if (!verified.ok) {
      metrics.redemptions.inc({ outcome: `token_${verified.reason}` });
      throw new AppError(verified.reason === 'expired' ? 410 : 400, `token_${verified.reason}`, verified.message);
    }
    const order = await store.getOrderByCode(verified.claims.orderCode);
    if (!order) {
      metrics.redemptions.inc({ outcome: 'unknown_order' });
      throw notFound('order_not_found', 'The code is genuine but its order is unknown here.');
    }
    if (order.venueId !== me.venueId) {
      metrics.redemptions.inc({ outcome: 'other_venue' });
      throw new AppError(403, 'order_other_venue', 'This order is for another venue; it cannot be printed here.');
    }
    const claim = await store.claimOrder(order.id, me.id, clock.now(), settings.claimTtlMs);
    switch (claim.outcome) {
      case 'claimed':
        metrics.redemptions.inc({ outcome: 'claimed' });
        await publishOrder(deps, claim.order);
        ctx.body = await printJob(claim.order, me);
        return;
      case 'held_by_other': {
        metrics.redemptions.inc({ outcome: 'held_by_other' });
        const holder = claim.order.claim ? await store.getPrinter(claim.order.claim.printerId) : null;
        throw conflict(
          'order_claimed_elsewhere',
          `This order is being printed at ${holder?.name ?? 'another printer'}.`,
          {
            printerId: claim.order.claim?.printerId,
            printerName: holder?.name ?? null,
            claimedAt: claim.order.claim?.claimedAt,
            expiresAt: claim.order.claim?.expiresAt,
          },
        );
      }
      case 'not_claimable': {
        metrics.redemptions.inc({ outcome: `state_${claim.order.state}` });
        if (claim.order.state === 'fulfilled') {
          const by = Object.values(claim.order.printed)[0]?.printerId;
          const holder = by ? await store.getPrinter(by) : null;
          throw conflict(
            'order_already_printed',
            `This order was already printed${holder ? ` at ${holder.name}` : ''}.`,
            {
              printerId: by ?? null,
              printerName: holder?.name ?? null,
              fulfilledAt: claim.order.fulfilledAt,
            },
          );
        }
        throw conflict('order_not_paid', 'This order has not been paid.', { state: claim.order.state });
      }
      case 'not_found':
        throw notFound('order_not_found', 'This order does not exist.');
    }
  });

  router.post('/api/printer/orders/:orderId/units/:unit/printed', printer, async (ctx) => {
    const me = ctx.state.printer as PrinterRecord;
    const unit = parseInput(unitParam, ctx.params.unit, 'print unit');
    const result = await store.confirmPrinted(ctx.params.orderId!, me.id, unit, clock.now(), settings.claimTtlMs);
    switch (result.outcome) {
      case 'confirmed':
        if (result.order.state === 'fulfilled') await publishOrder(deps, result.order);
        ctx.body = { order: orderView(result.order) };
        return;
      case 'not_holder':
        throw conflict('claim_not_held', 'This printer does not hold the claim on this order; redeem it again.');
      case 'bad_unit':
        throw new AppError(
          422,
          'unit_out_of_range',
          `The order has ${result.order.unitCount} prints; unit ${unit} does not exist.`,
        );
      case 'not_found':
        throw notFound('order_not_found', 'This order does not exist.');
    }
  });

  // An operator frees an order whose printer went silent, so another printer can finish it.
  router.post('/api/orders/:orderId/release', requireStaff(store, ['operator']), async (ctx) => {
    const released = await store.releaseClaim(ctx.params.orderId!, null);
    if (!released) throw conflict('nothing_to_release', 'The order is not being printed anywhere.');
    await publishOrder(deps, released);
    ctx.body = { order: orderView(released) };
  });
}
