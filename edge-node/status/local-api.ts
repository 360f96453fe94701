import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import { z } from 'zod';
import { AppError, isAppError } from '../../shared/errors.ts';
import type { RedemptionProgress } from '../jobs/redemption-service.ts';

export interface LocalApiDeps {
  status(): Promise<Record<string, unknown>>;
  metrics(): Promise<{ contentType: string; body: string }>;
  redeem(code: string): Promise<RedemptionProgress>;
  progress(orderId: string): RedemptionProgress | null;
}

const redeemInput = z.object({ code: z.string().min(1).max(400) }).strict();

/**
 * The node's local HTTP endpoint (loopback by default): status and metrics for the operator and
 * monitoring, and redemption for the kiosk screen, the `redeem` CLI and keyboard-wedge scanners.
 */
export function createLocalApi(deps: LocalApiDeps): Koa {
  const app = new Koa();
  app.silent = true;
  const router = new Router();
  app.use(async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new AppError(404, 'route_not_found', 'No such route.');
    } catch (err) {
      const e = isAppError(err)
        ? err
        : typeof (err as { status?: unknown }).status === 'number' && (err as { status: number }).status < 500
          ? new AppError((err as { status: number }).status, 'bad_request', 'Bad request.')
          : new AppError(500, 'internal_error', (err as Error).message);
      ctx.status = e.status;
      ctx.body = { error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } };
    }
  });
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '16kb' }));
  router.get('/status', async (ctx) => {
    ctx.body = await deps.status();
  });
  router.get('/metrics', async (ctx) => {
    const m = await deps.metrics();
    ctx.type = m.contentType;
    ctx.body = m.body;
  });
  router.post('/api/redeem', async (ctx) => {
    const input = redeemInput.safeParse(ctx.request.body ?? {});
    if (!input.success) throw new AppError(400, 'invalid_input', 'Send {"code": "<the scanned or typed code>"}.');
    ctx.body = await deps.redeem(input.data.code);
  });
  router.get('/api/redemptions/:orderId', async (ctx) => {
    const p = deps.progress(ctx.params.orderId!);
    if (!p) throw new AppError(404, 'order_not_found', 'No redemption of this order here.');
    ctx.body = p;
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
