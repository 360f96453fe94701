import type { Logger } from 'pino';
import { NoPaymentGateway } from './no-gateway.ts';
import type { PaymentGateway } from './port.ts';
import { type TestGatewayOptions, TestPaymentGateway } from './test-gateway.ts';

export type PaymentGatewayKind = 'none' | 'test';

/**
 * The configured payment gateway. Nothing configured means no checkout at all, said once at start
 * so an operator sees why the shop refuses orders (never a silent fallback to the free test page).
 */
export function choosePaymentGateway(
  kind: PaymentGatewayKind,
  testOptions: () => TestGatewayOptions,
  logger: Pick<Logger, 'warn'>,
): PaymentGateway {
  if (kind === 'test') {
    logger.warn(
      { payments: 'test' },
      'the TEST payment gateway is on: anyone can mark an order paid on its page; never use it at a real venue',
    );
    return new TestPaymentGateway(testOptions());
  }
  logger.warn(
    { payments: 'none', setting: 'VPM_PAYMENT_GATEWAY' },
    'no payment provider is configured: the shop refuses checkout (payments_not_configured); set VPM_PAYMENT_GATEWAY=test for a demo',
  );
  return new NoPaymentGateway();
}
