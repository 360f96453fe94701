import type { Logger } from 'pino';
import { ConfigError } from '../../shared/config/config-error.ts';
import type { CardTerminal } from './card-terminal-port.ts';
import { NoPaymentGateway } from './no-gateway.ts';
import type { PaymentGateway } from './port.ts';
import { StripeCardTerminal, type StripeCardTerminalOptions } from './stripe-card-terminal.ts';
import { type StripeGatewayOptions, StripePaymentGateway } from './stripe-gateway.ts';
import { type TestGatewayOptions, TestPaymentGateway } from './test-gateway.ts';

export type PaymentGatewayKind = 'none' | 'test' | 'stripe';

/**
 * The configured payment gateway. Nothing configured means no checkout at all, said once at start
 * so an operator sees why the shop refuses orders (never a silent fallback to the free test page).
 */
export function choosePaymentGateway(
  kind: PaymentGatewayKind,
  testOptions: () => TestGatewayOptions,
  logger: Pick<Logger, 'warn'>,
  stripeOptions?: () => StripeGatewayOptions,
): PaymentGateway {
  if (kind === 'stripe') {
    if (!stripeOptions) throw new ConfigError('VPM_PAYMENT_GATEWAY=stripe, but the Stripe settings were not loaded.');
    return new StripePaymentGateway(stripeOptions());
  }
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

/** Which card terminal the stations' readers are driven through (the provider's, or none). */
export type CardTerminalKind = 'none' | 'stripe';

/**
 * The configured card terminal, or null: no card-present payments (the kiosk offers phone payment
 * only and says why). Stripe Terminal comes with the Stripe gateway: same account, same SDK client.
 */
export function chooseCardTerminal(
  kind: CardTerminalKind,
  options: { stripe?: () => StripeCardTerminalOptions },
): CardTerminal | null {
  if (kind === 'stripe') {
    if (!options.stripe)
      throw new ConfigError('The Stripe card terminal needs VPM_PAYMENT_GATEWAY=stripe and its settings.');
    return new StripeCardTerminal(options.stripe());
  }
  return null;
}
