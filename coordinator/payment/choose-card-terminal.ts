import type { Logger } from 'pino';
import type { CardTerminal } from './card-terminal-port.ts';
import { TestCardTerminal, type TestCardTerminalOptions } from './test-card-terminal.ts';

export type CardTerminalKind = 'none' | 'test';

/**
 * The configured card terminal, as the deps field it fills: none means no card-present payment
 * (the kiosk offers phone payment only), said once at start. The test terminal is loud about itself.
 */
export function chooseCardTerminal(
  kind: CardTerminalKind,
  testOptions: TestCardTerminalOptions,
  logger: Pick<Logger, 'warn' | 'info'>,
): { cardTerminal?: CardTerminal } {
  if (kind === 'test') {
    logger.warn(
      { cardTerminal: 'test', page: '/terminal/test' },
      'the TEST card terminal is on: simulated readers approve whatever is tapped on /terminal/test; never use it at a real venue',
    );
    return { cardTerminal: new TestCardTerminal(testOptions) };
  }
  logger.info(
    { cardTerminal: 'none', setting: 'VPM_CARD_TERMINAL' },
    'no card terminal: kiosks take phone payment only',
  );
  return {};
}
