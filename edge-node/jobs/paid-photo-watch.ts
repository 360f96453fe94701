import type { StructuredLogger } from '../../shared/ports/logger.ts';
import type { OfflineRedemption } from '../offline/offline-redemption.ts';
import type { PreRenderer } from './pre-renderer.ts';

/**
 * A payment reaches the printers on the venue's orders feed about a second after the fan paid
 * (`ORDERS_APPEND_COALESCE_MS`): the pre-renderer gets the paid photos then, not at the next holdings
 * scan (a status report, up to 10 s later), so the render is done before the fan has walked to a
 * printer. Another printer's offline claim re-ranks them too: its photos leave the queue before
 * they are rendered for nothing. Reads of the feed do not overlap: a change during one is read by
 * one more after it. Returns the unsubscribe.
 */
export function watchPaidPhotos(opts: {
  offline: Pick<OfflineRedemption, 'onOrdersGrew' | 'onOfflineClaim' | 'awaitingPrint'>;
  preRenderer: Pick<PreRenderer, 'reoffer'>;
  logger: StructuredLogger;
}): () => void {
  let reading = false;
  let again = false;
  let stopped = false;
  const read = async (): Promise<void> => {
    reading = true;
    try {
      do {
        again = false;
        const awaiting = await opts.offline.awaitingPrint();
        if (awaiting && !stopped) opts.preRenderer.reoffer(awaiting);
      } while (again && !stopped);
    } finally {
      reading = false;
    }
  };
  const changed = () => {
    if (reading) {
      again = true;
      return;
    }
    read().catch((err: unknown) => {
      // A read cut short by the node closing is expected; anything else leaves rendering to the next scan.
      if (!stopped) opts.logger.warn({ err }, 'could not read the paid photos from the orders feed');
    });
  };
  const unsubscribes = [opts.offline.onOrdersGrew(changed), opts.offline.onOfflineClaim(changed)];
  return () => {
    stopped = true;
    for (const unsubscribe of unsubscribes) unsubscribe();
  };
}
