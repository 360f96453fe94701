/**
 * Retry delays (pure): doubling from `baseMs`, capped at `maxMs`, with up to `jitter` (0..1) of the
 * delay taken off by the caller's random draw in [0, 1), so many retries do not fire in lockstep.
 */
export function retryDelayMs(
  attempt: number,
  opts: { baseMs: number; maxMs: number; jitter: number },
  draw = 0,
): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(1, Math.round(exp * (1 - opts.jitter * Math.min(Math.max(draw, 0), 0.999_999))));
}
