import type Router from '@koa/router';
import { isAppError } from '../../shared/errors.ts';
import { printedUnitParamSchema, redeemRequestSchema } from '../../shared/protocol/printer-api.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { requirePrinter, requireStaff } from '../http/auth.ts';
import { parseInput } from '../http/validate.ts';
import type { Services } from '../services/index.ts';
import type { RedeemRequest } from '../services/redemption.ts';
import type { PrinterRecord } from '../store/records.ts';

/** The printer API's redemption and print confirmation, and the operator's release of a claim. */
export function redemptionRoutes(router: Router, deps: CoordinatorDeps, { redemption }: Services): void {
  const printer = requirePrinter(deps.store, deps.clock);

  router.post('/api/printer/redeem', printer, async (ctx) => {
    const input = parseInput(redeemRequestSchema, ctx.request.body);
    const request: RedeemRequest = input.code !== undefined ? { code: input.code } : { token: input.token! };
    try {
      ctx.body = await redemption.redeem(ctx.state.printer as PrinterRecord, request);
    } catch (err) {
      const retryAfter = isAppError(err, 'too_many_code_attempts') ? err.details?.retryAfterSeconds : undefined;
      if (retryAfter !== undefined) ctx.set('retry-after', String(retryAfter));
      throw err;
    }
  });

  router.post('/api/printer/orders/:orderId/units/:unit/printed', printer, async (ctx) => {
    const unit = parseInput(printedUnitParamSchema, ctx.params.unit, 'print unit');
    ctx.body = await redemption.confirmPrinted(ctx.state.printer as PrinterRecord, ctx.params.orderId!, unit);
  });

  router.post('/api/orders/:orderId/release', requireStaff(deps.store, ['operator']), async (ctx) => {
    ctx.body = await redemption.release(ctx.params.orderId!);
  });
}
