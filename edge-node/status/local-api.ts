import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import { AppError, toAppError } from '../../shared/errors.ts';
import type { StructuredLogger } from '../../shared/ports/logger.ts';
import { type PhotoArrivalsAnswer, photoArrivalsQuerySchema } from '../../shared/protocol/photo-arrivals.ts';
import type { PrinterStatusReport } from '../../shared/protocol/printer-api.ts';
import type { RedemptionProgress } from '../jobs/redemption-service.ts';
import { type KioskDeps, kioskRoutes, redeemCodeInput } from '../kiosk/kiosk-routes.ts';
import { type KioskOwnPhotoDeps, ownPhotoKioskRoutes } from '../kiosk/own-photo-routes.ts';
import { hostGuard } from './host-guard.ts';

export interface LocalApiDeps {
  /** The node's status report (a PrinterStatusReport; tests of the other routes answer anything). */
  status(): Promise<PrinterStatusReport | Record<string, never>>;
  metrics(): Promise<{ contentType: string; body: string }>;
  redeem(code: string): Promise<RedemptionProgress>;
  progress(orderId: string): RedemptionProgress | null;
  /** When photos of an event became printable here (null: the node does not follow that event). */
  arrivals?(eventId: string, afterSeq: number, limit: number): PhotoArrivalsAnswer | null;
  /**
   * An operator loaded a new roll into a photo printer of this station: prints left count from a full
   * roll again, and a queue stopped for lack of paper is resumed now. Answers the printer's report.
   */
  rollLoaded?(printerName: string): Promise<unknown>;
  /** The kiosk screen's routes; a node without a display (or a test of the other routes) leaves it out. */
  kiosk?: KioskDeps;
  /** The kiosk's "Print your own photos" screens (issue #13 item 3); left out without a kiosk. */
  ownPhotos?: KioskOwnPhotoDeps;
  /** Where unexpected failures are logged (their message is never sent to the client). */
  logger?: StructuredLogger;
  /** Host names besides loopback this API answers to (its listen address, names set for the kiosk). */
  hostNames?: readonly string[];
}

/**
 * The node's local HTTP endpoint (loopback by default): status and metrics for the operator and
 * monitoring, redemption for the `redeem` CLI and keyboard-wedge scanners, and the kiosk screen
 * (GET / and /kiosk, edge-node/kiosk/) for the printer's touch display.
 */
export function createLocalApi(deps: LocalApiDeps): Koa {
  const app = new Koa();
  app.silent = true;
  const router = new Router();
  app.use(async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) throw new AppError('route_not_found', 'No such route.');
    } catch (err) {
      const e = toAppError(err);
      if (e.code === 'internal_error') deps.logger?.error({ err, path: ctx.path }, 'local API request failed');
      ctx.status = e.status;
      ctx.body = { error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } };
    }
  });
  app.use(hostGuard(deps.hostNames));
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '16kb' }));
  router.get('/status', async (ctx) => {
    ctx.body = await deps.status();
  });
  router.get('/metrics', async (ctx) => {
    const m = await deps.metrics();
    ctx.type = m.contentType;
    ctx.body = m.body;
  });
  router.get('/api/events/:eventId/arrivals', (ctx) => {
    const query = photoArrivalsQuerySchema.safeParse(ctx.query);
    if (!query.success)
      throw new AppError('invalid_input', 'afterSeq must be a whole number ≥ -1 and limit one from 1 to 1000.');
    const answer = deps.arrivals?.(ctx.params.eventId!, query.data.afterSeq, query.data.limit) ?? null;
    if (!answer) throw new AppError('event_not_found', 'This printer does not follow that event.');
    ctx.body = answer;
  });
  router.post('/api/redeem', async (ctx) => {
    const input = redeemCodeInput.safeParse(ctx.request.body ?? {});
    if (!input.success) throw new AppError('invalid_input', 'Send {"code": "<the scanned or typed code>"}.');
    ctx.body = await deps.redeem(input.data.code);
  });
  router.post('/api/printers/:name/roll-loaded', async (ctx) => {
    if (!deps.rollLoaded) throw new AppError('station_printer_unknown', 'This node drives no IPP photo printers.');
    ctx.body = await deps.rollLoaded(ctx.params.name!);
  });
  router.get('/api/redemptions/:orderId', async (ctx) => {
    const p = deps.progress(ctx.params.orderId!);
    if (!p) throw new AppError('order_not_found', 'No redemption of this order here.');
    ctx.body = p;
  });
  if (deps.kiosk) kioskRoutes(router, deps.kiosk);
  if (deps.ownPhotos) ownPhotoKioskRoutes(router, deps.ownPhotos);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
