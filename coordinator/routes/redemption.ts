import type Router from '@koa/router';
import { z } from 'zod';
import { isAppError } from '../../shared/errors.ts';
import { normalizeOrderCode } from '../../shared/token/order-code.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { requirePrinter, requireStaff } from '../http/auth.ts';
import { parseInput } from '../http/validate.ts';
import type { Services } from '../services/index.ts';
import type { RedeemRequest } from '../services/redemption.ts';
import type { PrinterRecord } from '../store/records.ts';

/**
 * What a printer presents: the scanned token (signed, checked offline by the printer too), or the
 * 8-character order code a fan typed from under the QR code (unsigned: looked up, rate-limited).
 */
const redeemInput = z
  .object({
    token: z.string().min(1).max(400).optional(),
    code: z
      .string()
      .max(40)
      .transform((typed, ctx) => {
        const code = normalizeOrderCode(typed);
        if (code) return code;
        ctx.addIssue({ code: 'custom', message: 'must be the 8-character code printed under the QR code' });
        return z.NEVER;
      })
      .optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    if (input.token !== undefined && input.code !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['code'], message: 'send either "token" or "code", not both' });
    } else if (input.token === undefined && input.code === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['token'],
        message: 'send "token" (the scanned QR code) or "code" (the 8-character code under it)',
      });
    }
  });
const unitParam = z.coerce.number().int().min(0).max(10_000);

/** The printer API's redemption and print confirmation, and the operator's release of a claim. */
export function redemptionRoutes(router: Router, deps: CoordinatorDeps, { redemption }: Services): void {
  const printer = requirePrinter(deps.store, deps.clock);

  router.post('/api/printer/redeem', printer, async (ctx) => {
    const input = parseInput(redeemInput, ctx.request.body);
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
    const unit = parseInput(unitParam, ctx.params.unit, 'print unit');
    ctx.body = await redemption.confirmPrinted(ctx.state.printer as PrinterRecord, ctx.params.orderId!, unit);
  });

  router.post('/api/orders/:orderId/release', requireStaff(deps.store, ['operator']), async (ctx) => {
    ctx.body = await redemption.release(ctx.params.orderId!);
  });
}
