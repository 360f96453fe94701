/** Which of an order's units goes to the printer next, while their photos are still arriving. */
import type { Clock } from '../../shared/ports/clock.ts';
import { firstSettled } from './redemption-progress.ts';
import { IN_ORDER_GRACE_MS } from './redemption-timing.ts';

/**
 * The index of the unit to print next, given each pending unit's photo in print order: the first
 * when its photo is ready or nearly so (IN_ORDER_GRACE_MS); otherwise whichever photo is ready first.
 */
export async function nextToPrint(clock: Clock, photos: Array<Promise<unknown>>): Promise<number> {
  const grace = new AbortController();
  const inOrder = await Promise.race([
    photos[0]!.then(
      () => true,
      () => true,
    ),
    clock.sleep(IN_ORDER_GRACE_MS, grace.signal).then(
      () => false,
      () => true,
    ),
  ]);
  grace.abort();
  return inOrder ? 0 : (await firstSettled(photos)).index;
}
