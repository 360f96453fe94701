import { createInterface } from 'node:readline';
import pino from 'pino';
import { EdgeConfigError, loadEdgeConfig } from './config.ts';
import { EdgeNode } from './edge-node.ts';

/**
 * `npm run edge -- --config printer.json [--wedge]`: the printer daemon. With --wedge, each line on
 * standard input is a code (a USB scanner in keyboard mode types the QR content and Enter).
 */
async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const wedge = argv.includes('--wedge');
  let config: ReturnType<typeof loadEdgeConfig>;
  try {
    config = loadEdgeConfig(
      process.env,
      argv.filter((a) => a !== '--wedge'),
    );
  } catch (err) {
    if (err instanceof EdgeConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = pino({ level: config.logLevel, base: { service: 'edge-node', name: config.name } });
  const node = new EdgeNode(config, logger, {
    // The operator pairs this printer by its code: show it as text and, on a terminal, as a QR code.
    onPairingCode: (code, qrText) => {
      process.stderr.write(`\nPairing code of this printer:\n${code}\n`);
      if (process.stderr.isTTY) process.stderr.write(`${qrText}\n`);
    },
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
      await node.close();
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  try {
    await node.ready();
  } catch (err) {
    logger.fatal({ err }, 'edge node failed to start');
    await node.close().catch(() => {});
    process.exit(1);
  }
  if (wedge) {
    const lines = createInterface({ input: process.stdin });
    lines.on('line', (line) => {
      // Not trimmed here: a genuine code can start with a space (a Base45 character); the redemption
      // service strips only the blanks around a code.
      if (!line.trim()) return;
      node.redeem(line).then(
        (p) =>
          logger.info(
            { orderId: p.orderId, printed: p.units.filter((u) => u.state === 'printed').length, error: p.error },
            'redeemed',
          ),
        (err: Error & { code?: string }) => logger.warn({ code: err.code, reason: err.message }, 'code refused'),
      );
    });
  }
}

void main();
