import { type OwnPhotoJobRecord, ownPhotoPrintCount } from '../../shared/policy/own-photo-job.ts';
import { priceOwnPhotoJobs } from '../../shared/policy/own-photo-pricing.ts';
import type { PriceList } from '../../shared/policy/pricing.ts';
import type { OwnPhotoFee, OwnPhotoJobView } from '../../shared/protocol/own-photo-api.ts';

/**
 * What a kiosk is told about a job: never its PIN hash, owner or payment sessions. An unpaid job
 * shows the fee at this printer now; a paid one what was paid.
 */
export function ownPhotoJobView(job: OwnPhotoJobRecord, priceList: PriceList | null): OwnPhotoJobView {
  const printCount = ownPhotoPrintCount(job);
  const unpaid = job.state === 'uploaded' || job.state === 'awaiting_payment';
  let fee: OwnPhotoFee | null = job.quote;
  if (unpaid && priceList) {
    const q = priceOwnPhotoJobs(priceList, [printCount]);
    fee = { currency: q.currency, totalCents: q.totalCents, printCount: q.printCount };
  }
  return {
    id: job.id,
    code: job.code,
    state: job.state,
    imageCount: job.images.length,
    printCount,
    createdAt: job.createdAt,
    expiresAt: job.expiresAt,
    fee,
    heldBy: job.state === 'released' ? (job.release?.printerId ?? null) : null,
  };
}
