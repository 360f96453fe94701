import { createInterface } from 'node:readline';
import pino from 'pino';
import { runDaemon } from '../shared/process/run-daemon.ts';
import { loadEdgeConfig } from './config.ts';
import { EdgeNode } from './edge-node.ts';

/**
 * `npm run edge -- --config printer.json [--wedge]`: the printer daemon. With --wedge, each line on
 * standard input is a code (a USB scanner in keyboard mode types the QR content and Enter).
 */
const argv = process.argv.slice(2);
const wedge = argv.includes('--wedge');

void runDaemon({
  name: 'edge node',
  create() {
    const config = loadEdgeConfig(
      process.env,
      argv.filter((a) => a !== '--wedge'),
    );
    const logger = pino({ level: config.logLevel, base: { service: 'edge-node', name: config.name } });
    const node = new EdgeNode(config, logger, {
      // The operator pairs this printer by its code: show it as text and, on a terminal, as a QR code.
      onPairingCode: (code, qrText) => {
        process.stderr.write(`\nPairing code of this printer:\n${code}\n`);
        if (process.stderr.isTTY) process.stderr.write(`${qrText}\n`);
      },
    });
    return { daemon: node, logger };
  },
  started(node) {
    if (!wedge) return;
    const lines = createInterface({ input: process.stdin });
    lines.on('line', (line) => {
      // Not trimmed here: a genuine code can start with a space (a Base45 character); the redemption
      // service strips only the blanks around a code.
      if (!line.trim()) return;
      node.redeem(line).then(
        (p) =>
          node.logger.info(
            { orderId: p.orderId, printed: p.units.filter((u) => u.state === 'printed').length, error: p.error },
            'redeemed',
          ),
        (err: Error & { code?: string }) => node.logger.warn({ code: err.code, reason: err.message }, 'code refused'),
      );
    });
  },
});
