/** What the receipt that ends an order says. */
import type { RedeemJob } from '../../shared/protocol/printer-api.ts';
import type { ReceiptInfo, ReceiptPayment } from '../printing/port.ts';
import { receiptItems } from './framed-units.ts';
import { type RedemptionProgress, summarize } from './redemption-progress.ts';

/** Where the receipt's names and payment lines come from (the redemption service's options). */
export interface ReceiptSources {
  venueName: () => string;
  eventName?: (eventId: string) => string | null;
  printerName: () => string;
  receiptPayment?: (orderId: string) => ReceiptPayment | null;
}

/**
 * The receipt of an order. Without the coordinator's job (an offline claim resumed from the job log)
 * the event, the price and the items' labels are not known here: the items are counted from the prints.
 */
export function orderReceipt(
  sources: ReceiptSources,
  progress: RedemptionProgress,
  job: RedeemJob | null,
  printedAt: number,
): ReceiptInfo {
  return {
    orderId: progress.orderId,
    orderCode: progress.code,
    venue: sources.venueName(),
    eventName: job ? (sources.eventName?.(job.order.eventId) ?? null) : null,
    totalCents: job?.order.totalCents ?? null,
    currency: job?.order.currency ?? null,
    printer: sources.printerName(),
    printedAt,
    items: job ? receiptItems(job.order.items) : summarize(progress.units),
    payment: sources.receiptPayment?.(progress.orderId) ?? null,
  };
}
