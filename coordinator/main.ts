import { ConfigError, loadConfig } from './config.ts';
import { Coordinator } from './coordinator.ts';

/** `npm start`: a coordinator on the embedded store, or on MongoDB when MONGODB_URI is set. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env, process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const coordinator = new Coordinator(config);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    coordinator.logger.info({ signal }, 'shutting down');
    try {
      await coordinator.close();
      process.exit(0);
    } catch (err) {
      coordinator.logger.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  try {
    await coordinator.ready();
  } catch (err) {
    coordinator.logger.fatal({ err }, 'coordinator failed to start');
    if (/device file/i.test(err instanceof Error ? err.message : '')) {
      coordinator.logger.fatal(
        { file: `${config.dataDir}/corestore/CORESTORE` },
        'the feed storage was copied (a restored backup?): if this is the only copy that will run, delete this file and start again (README, "Backup and restore")',
      );
    }
    await coordinator.close().catch(() => {});
    process.exit(1);
  }
  if (coordinator.generatedOperatorToken) {
    coordinator.logger.info(
      { operatorToken: coordinator.generatedOperatorToken, file: `${config.dataDir}/operator-token` },
      'generated an operator token (kept in the data dir); use it as "Authorization: Bearer <token>"',
    );
  }
}

void main();
