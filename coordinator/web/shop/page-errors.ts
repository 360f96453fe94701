import type { Context, Next } from 'koa';
import { isAppError } from '../../../shared/errors.ts';
import type { AssetTable } from './assets.ts';
import { errorPage, setPageHeaders } from './layout.ts';

/**
 * Page routes (the shop and the after-event reorder pages) answer failures with a page a person can
 * read, not the API's JSON. Server faults (5xx) and anything that is not an AppError go on to the
 * app's error handler.
 */
export function htmlErrors(assets: AssetTable) {
  return async function pageErrors(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
    } catch (err) {
      if (!isAppError(err) || err.status >= 500) throw err;
      ctx.status = err.status;
      setPageHeaders(ctx, 'no-store');
      ctx.type = 'html';
      ctx.body = errorPage(assets, err.status, err.message);
    }
  };
}
