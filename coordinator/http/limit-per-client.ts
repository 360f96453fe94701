import type { Context } from 'koa';
import { AppError, type ErrorCode } from '../../shared/errors.ts';
import type { ClientRateLimiter } from './client-rate-limiter.ts';

/** Counts this request against its client; past the budget 429 `code` with Retry-After. */
export function limitPerClient(ctx: Context, limiter: ClientRateLimiter, now: number, code: ErrorCode): void {
  const wait = limiter.retryAfterMs(ctx.ip, now);
  if (wait > 0) {
    const seconds = Math.ceil(wait / 1000);
    ctx.set('retry-after', String(seconds));
    throw new AppError(code, undefined, { retryAfterSeconds: seconds });
  }
  limiter.take(ctx.ip, now);
}
