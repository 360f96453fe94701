/**
 * The bytes of one unit's photo at redemption: its catalog entry (waiting up to CATALOG_WAIT_MS for
 * a photo just uploaded, or taken from the coordinator's job when the catalog lags), checked against
 * the coordinator's hash, then fetched local, LAN or cloud by the image fetcher.
 */
import { AppError } from '../../shared/errors.ts';
import type { CatalogEntry } from '../../shared/feed/feed-layout.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { PrintUnitJob } from '../../shared/protocol/printer-api.ts';
import type { EventReplica } from '../mesh/event-replica.ts';
import type { FetchSource, ImageFetcher } from '../mesh/image-fetcher.ts';
import { CATALOG_POLL_MS, CATALOG_READ_TIMEOUT_MS, CATALOG_WAIT_MS } from './redemption-timing.ts';

export interface UnitImageDeps {
  clock: Clock;
  fetcher: ImageFetcher;
  signal: AbortSignal;
  /** The redemption service is closing: stop waiting for the catalog. */
  closed: () => boolean;
}

export async function loadUnitImage(
  deps: UnitImageDeps,
  replica: EventReplica,
  imageId: string,
  fromJob: PrintUnitJob['image'],
  onSource: (s: FetchSource) => void,
): Promise<Buffer> {
  const deadline = deps.clock.now() + CATALOG_WAIT_MS;
  let entry: CatalogEntry | null = null;
  while (!entry) {
    entry = await replica.entry(imageId, CATALOG_READ_TIMEOUT_MS);
    if (!entry && fromJob?.feed && fromJob.seq !== null) {
      entry = {
        imageId,
        seq: fromJob.seq,
        blob: fromJob.feed,
        byteLength: fromJob.byteLength,
        sha256: fromJob.sha256,
        width: fromJob.width,
        height: fromJob.height,
        mime: fromJob.mime as CatalogEntry['mime'],
        registeredAt: 0,
      };
    }
    if (!entry) {
      if (deps.clock.now() > deadline || deps.closed()) {
        throw new AppError('image_not_in_feed', 'The photo is not on the event feed yet; try again in a minute.');
      }
      // The same clock as the deadline: under a manual clock the deadline passes as time is moved.
      await deps.clock.sleep(CATALOG_POLL_MS, deps.signal).catch(() => {});
    }
  }
  if (fromJob && fromJob.sha256 !== entry.sha256) {
    throw new AppError('image_mismatch', 'The feed and the coordinator disagree about this photo; it was not printed.');
  }
  const { bytes } = await deps.fetcher.fetch(replica, entry, { signal: deps.signal, onSource });
  return bytes;
}
