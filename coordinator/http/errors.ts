import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { AppError, type ErrorBody, toAppError } from '../../shared/errors.ts';
import type { StoreHealth } from '../store/store-health.ts';

/**
 * The one error path (koa's own model): every failure becomes a JSON body with a stable code.
 * Unexpected errors are logged with the request and answered 500 without internals.
 */
export function errorHandler(logger: Logger, storeHealth?: StoreHealth, now: () => number = () => 0) {
  return async function handleErrors(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new AppError('route_not_found', `No route for ${ctx.method} ${ctx.path}.`);
      }
      // The router answers a wrong method with a bare 405, and a method it does not know (TRACE,
      // PROPFIND…) with 501; both are the client's mistake, so both become a coded 405 (the router's
      // Allow header stays set).
      if ((ctx.status === 405 || ctx.status === 501) && ctx.body === undefined) {
        const allow = ctx.response.get('allow');
        throw new AppError(
          'method_not_allowed',
          `${ctx.method} is not accepted on ${ctx.path}${allow ? `; use ${allow}` : ''}.`,
        );
      }
    } catch (err) {
      const appError = toAppError(err);
      storeHealth?.noteError(err, now());
      if (appError.status >= 500) {
        logger.error({ err, method: ctx.method, path: ctx.path }, 'request failed');
      }
      ctx.status = appError.status;
      const body: ErrorBody = { error: { code: appError.code, message: appError.message } };
      if (appError.details) body.error.details = { ...appError.details };
      ctx.body = body;
      if (appError.status === 401) ctx.set('www-authenticate', 'Bearer');
    }
  };
}
