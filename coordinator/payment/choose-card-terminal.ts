import type { Logger } from 'pino';
import type { CardTerminal } from './card-terminal-port.ts';
import { TestCardTerminal, type TestCardTerminalOptions } from './test-card-terminal.ts';

/** VPM_CARD_TERMINAL: `test` puts the simulated readers in place of the provider's (demo, tests). */
export type TestCardTerminalSetting = 'none' | 'test';

/**
 * The test card terminal when VPM_CARD_TERMINAL=test, as the deps field it fills; otherwise nothing
 * here (the provider's terminal, e.g. Stripe Terminal with VPM_PAYMENT_GATEWAY=stripe, or none: the
 * kiosk then offers phone payment only). The test terminal is loud about itself.
 */
export function chooseTestCardTerminal(
  kind: TestCardTerminalSetting,
  testOptions: TestCardTerminalOptions,
  logger: Pick<Logger, 'warn'>,
): { cardTerminal?: CardTerminal } {
  if (kind === 'test') {
    logger.warn(
      { cardTerminal: 'test', page: '/terminal/test' },
      'the TEST card terminal is on: simulated readers approve whatever is tapped on /terminal/test; never use it at a real venue',
    );
    return { cardTerminal: new TestCardTerminal(testOptions) };
  }
  return {};
}
