import type { Clock } from '../shared/ports/clock.ts';

/** Before the storage is reopened after a full disk, orders being printed get this long to finish. */
export const REOPEN_DRAIN_MS = 60_000;
/** How often the drain looks at the queue again. */
export const REOPEN_DRAIN_POLL_MS = 200;

/**
 * The first half of a storage reopen: orders printing now finish first (closing would cut a photo
 * mid-print), for at most REOPEN_DRAIN_MS, then the old runtime is closed. The caller opens the new one.
 */
export async function reopenAfterDrain(opts: {
  clock: Clock;
  queue: () => number;
  stopping: () => boolean;
  close: () => Promise<void>;
}): Promise<void> {
  const { clock } = opts;
  const drainUntil = clock.now() + REOPEN_DRAIN_MS;
  while (opts.queue() > 0 && clock.now() < drainUntil && !opts.stopping()) {
    await clock.sleep(REOPEN_DRAIN_POLL_MS);
  }
  await opts.close();
}
