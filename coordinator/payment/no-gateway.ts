import { AppError } from '../../shared/errors.ts';
import type { CheckoutSession, PaymentGateway, PaymentWebhookEvent, RefundResult } from './port.ts';

/**
 * What a coordinator uses when no payment provider is configured: it refuses every checkout with a
 * coded error instead of falling back to the test gateway, whose page marks any order paid for free.
 */
export class NoPaymentGateway implements PaymentGateway {
  readonly name = 'none';

  async createCheckout(): Promise<CheckoutSession> {
    throw new AppError('payments_not_configured');
  }

  verifyWebhook(): PaymentWebhookEvent {
    throw new AppError('payments_not_configured');
  }

  async refund(): Promise<RefundResult> {
    throw new AppError('payments_not_configured');
  }
}
