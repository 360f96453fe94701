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

/** Own-photo jobs paid at or after `since`, per currency: the "own photos" sales channel. */
export interface OwnPhotoSalesLine {
  currency: string;
  jobs: number;
  prints: number;
  revenueCents: number;
}

export function ownPhotoSales(jobs: readonly OwnPhotoJobRecord[], since: number): OwnPhotoSalesLine[] {
  const lines = new Map<string, OwnPhotoSalesLine>();
  for (const job of jobs) {
    if (job.paidAt === null || job.paidAt < since || !job.quote) continue;
    const line = lines.get(job.quote.currency) ?? { currency: job.quote.currency, jobs: 0, prints: 0, revenueCents: 0 };
    line.jobs++;
    line.prints += job.quote.printCount;
    line.revenueCents += job.quote.totalCents;
    lines.set(line.currency, line);
  }
  return [...lines.values()].sort((a, b) => a.currency.localeCompare(b.currency));
}
