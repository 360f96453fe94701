import type { BlobCoordinates } from '../../shared/feed/feed-layout.ts';
import { Resource } from '../../shared/lifecycle/resource.ts';
import { defaultAfterEventPriceList } from '../../shared/policy/after-event-pricing.ts';
import type { ReorderState } from '../../shared/policy/order-state.ts';
import type { Timer } from '../../shared/ports/clock.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { mediaKey } from '../media/media-keys.ts';
import type { EventRecord } from '../store/records.ts';
import { type AfterEventDeps, DAY_MS } from './deps.ts';
import type { AfterEventSettings, ReorderRecord } from './records.ts';

export const RETENTION_SWEEP_MS = 60 * 60_000;
/** Reorders whose address is looked at per sweep; the rest wait for the next sweep. */
const ADDRESS_SWEEP_LIMIT = 5_000;
/** Prints the lab may still need: their masters stay whatever the calendar says. */
const LAB_NEEDS_MASTER: readonly ReorderState[] = ['paid', 'sent_to_lab', 'in_production'];
/** When the address has done its job, counted from the moment in `addressClock`. */
const ADDRESS_DONE: readonly ReorderState[] = [
  'shipped',
  'delivered',
  'refunded',
  'cancelled',
  'payment_failed',
  'awaiting_payment',
];

type Deps = Pick<CoordinatorDeps, 'store' | 'feeds' | 'clock' | 'logger'> & { afterEvent: AfterEventDeps };

export interface SweepReport {
  mastersDeleted: string[];
  eventsPurged: string[];
  addressesErased: string[];
  feedBlocksCleared: number;
}

function addressClock(r: ReorderRecord): number {
  return r.shippedAt ?? r.deliveredAt ?? r.refundedAt ?? r.createdAt;
}

/**
 * Retention (docs/after-event.md): an event's unsold masters (and their renditions) are deleted
 * `unsoldRetentionMs` after its reorder window closes; a photo bought as a digital file stays until
 * its last download link expires, a photo a lab job still needs stays until the job is done; shipping
 * addresses are deleted `addressRetentionMs` after the parcel shipped (or the order ended otherwise).
 */
export class RetentionSweeper extends Resource {
  readonly #d: Deps;
  #timer: Timer | null = null;

  constructor(deps: Deps) {
    super();
    this.#d = deps;
  }

  protected async _open(): Promise<void> {
    this.#timer = this.#d.clock.setInterval(() => {
      void this.sweep().catch((err) => this.#d.logger.error({ err }, 'retention sweep failed; retried next hour'));
    }, RETENTION_SWEEP_MS);
    this.#timer.unref();
    this.defer(() => this.#timer?.cancel());
  }

  async #settings(event: EventRecord): Promise<AfterEventSettings> {
    return (
      (await this.#d.afterEvent.reorders.getSettings(event.id)) ?? {
        eventId: event.id,
        reorderWindowDays: this.#d.afterEvent.config.defaultReorderWindowDays,
        priceList: defaultAfterEventPriceList(event.priceList.currency),
        mastersPurgedAt: null,
      }
    );
  }

  async sweep(): Promise<SweepReport> {
    const { store, clock, logger, afterEvent, feeds } = this.#d;
    const now = clock.now();
    const report: SweepReport = { mastersDeleted: [], eventsPurged: [], addressesErased: [], feedBlocksCleared: 0 };
    for (const event of await store.listEvents()) {
      const settings = await this.#settings(event);
      const purgeAt = event.endsAt + settings.reorderWindowDays * DAY_MS + afterEvent.config.unsoldRetentionMs;
      if (now < purgeAt) continue;
      const keep = new Set(await afterEvent.reorders.liveGrantImageIds(event.id, now));
      for (const r of await afterEvent.reorders.listReorders(
        { eventId: event.id, states: LAB_NEEDS_MASTER },
        ADDRESS_SWEEP_LIMIT,
      )) {
        for (const l of r.lines) if (l.physical) keep.add(l.imageId);
      }
      const blobs: BlobCoordinates[] = [];
      for (const image of await store.listImages(event.id)) {
        if (keep.has(image.id)) continue;
        if (!(await store.getMedia(mediaKey.master(image.id)))) continue;
        if (image.feed) blobs.push(image.feed);
        // Renditions first, master last: the start-up orphan scan keys on masters (orphan-media.ts).
        await store.deleteMedia(mediaKey.thumbnail(image.id));
        await store.deleteMedia(mediaKey.preview(image.id));
        await store.deleteMedia(mediaKey.master(image.id));
        report.mastersDeleted.push(image.id);
      }
      // The same photos' blocks in the event feed on this coordinator's disk.
      if (blobs.length > 0 && feeds.reclaimBlobs) report.feedBlocksCleared += await feeds.reclaimBlobs(event, blobs);
      if (settings.mastersPurgedAt === null) {
        await afterEvent.reorders.putSettings({ ...settings, mastersPurgedAt: now });
        report.eventsPurged.push(event.id);
      }
    }
    for (const r of await afterEvent.reorders.listReorders({ states: ADDRESS_DONE }, ADDRESS_SWEEP_LIMIT)) {
      if (r.address && now >= addressClock(r) + afterEvent.config.addressRetentionMs) {
        await afterEvent.reorders.patchReorder(r.id, { address: null, addressErasedAt: now });
        report.addressesErased.push(r.id);
      }
    }
    if (report.mastersDeleted.length + report.addressesErased.length > 0) {
      logger.info(
        {
          masters: report.mastersDeleted.length,
          events: report.eventsPurged,
          addresses: report.addressesErased.length,
        },
        'retention: deleted what is past its time',
      );
    }
    return report;
  }
}
