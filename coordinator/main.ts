import { runDaemon } from '../shared/process/run-daemon.ts';
import { loadConfig } from './config.ts';
import { Coordinator } from './coordinator.ts';

/** `npm start`: a coordinator on the embedded store, or on MongoDB when MONGODB_URI is set. */
void runDaemon({
  name: 'coordinator',
  create() {
    const config = loadConfig(process.env, process.argv.slice(2));
    const coordinator = new Coordinator(config);
    return { daemon: coordinator, logger: coordinator.logger };
  },
  started(coordinator) {
    if (coordinator.generatedOperatorToken) {
      coordinator.logger.info(
        { operatorToken: coordinator.generatedOperatorToken, file: `${coordinator.config.dataDir}/operator-token` },
        'generated an operator token (kept in the data dir); use it as "Authorization: Bearer <token>"',
      );
    }
  },
});
