/**
 * The logging port: the slice of pino's API the code uses (structured fields first, message
 * second). Production passes a pino logger; tests pass a recorder or a silent one.
 */
export interface StructuredLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  /** Diagnostics too frequent for info (a line per sync cycle); pino's, when the level allows it. */
  debug?(obj: object, msg?: string): void;
}
