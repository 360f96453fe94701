import { AppError } from '../errors.ts';

/**
 * The one configuration error of every daemon and CLI: a bad file, environment variable or flag.
 * Its message names the setting and is meant for the person starting the program; `runDaemon`
 * prints it without a stack and exits with EXIT_CONFIG.
 */
export class ConfigError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('config_invalid', message, details);
    this.name = 'ConfigError';
  }
}
