import { isAppError } from '../../shared/errors.ts';
import type { OwnPhotoJobRecord } from '../../shared/policy/own-photo-job.ts';
import type { CoordinatorDeps } from '../deps.ts';
import type { PaymentWebhookEvent } from './port.ts';

/**
 * Money for an own-photo job that was paid already (an older checkout paid too) or that expired
 * first goes back through the gateway, once per job and session however often the webhook comes.
 * A refusal by the gateway is logged for staff to refund by hand; the payment is never dropped.
 */
export async function refundExtraOwnPhotoPayment(
  deps: Pick<CoordinatorDeps, 'payments' | 'logger'>,
  job: OwnPhotoJobRecord,
  event: PaymentWebhookEvent,
): Promise<void> {
  try {
    await deps.payments.refund({
      sessionId: event.sessionId,
      orderId: event.orderId,
      amountCents: event.amountCents,
      currency: event.currency,
      reason: job.state === 'expired' ? 'paid after the print job expired' : 'print job paid twice',
      idempotencyKey: `own-photo-extra-payment:${job.id}:${event.sessionId}`,
    });
  } catch (err) {
    if (!isAppError(err)) throw err;
    deps.logger.error({ err, jobId: job.id }, 'refund of an extra own-photo payment failed; refund it by hand');
  }
}
