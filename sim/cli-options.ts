/** The flags several `npm run sim` sub-commands share, checked before anything runs (ConfigError: exit code 2). */
import { ConfigError } from '../shared/config/config-error.ts';
import type { StrategyName } from './results-schema.ts';
import { simFeeSettings } from './revenue/revenue-scenario.ts';
import type { Scenario } from './scenario.ts';

export const STRATEGIES: readonly StrategyName[] = ['star-periodic', 'on-demand', 'mesh'];
/** Enough seeds for a tight interval; more is a typo, not a study (each run is a full simulation). */
export const MAX_RUNS_PER_STRATEGY = 1000;

export function parseCount(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) throw new ConfigError(`--${name} must be a whole number, got "${text}".`);
  const value = Number(text);
  if (value < min || value > max) throw new ConfigError(`--${name} must be between ${min} and ${max}, got ${value}.`);
  return value;
}

export function parsePositive(name: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || value <= 0 || value > max) {
    throw new ConfigError(`--${name} must be a number > 0 and at most ${max}, got "${text}".`);
  }
  return value;
}

export function parseStrategies(text: string | undefined): StrategyName[] {
  if (text === undefined || text === 'all') return [...STRATEGIES];
  const found = STRATEGIES.find((s) => s === text);
  if (!found) throw new ConfigError(`--strategy must be one of ${STRATEGIES.join(', ')} or all, got "${text}".`);
  return [found];
}

/** `--fee-table`: one of the scenario's fee-rate tables, and only for a scenario that sells frames. */
export function parseFeeTable(text: string | undefined, scenario: Scenario): string | undefined {
  if (text === undefined) return undefined;
  if (!scenario.revenue) throw new ConfigError(`--fee-table needs a scenario with a revenue section.`);
  const ids = simFeeSettings(scenario.revenue).tables.map((t) => t.id);
  if (!ids.includes(text)) throw new ConfigError(`--fee-table must be one of ${ids.join(', ')}, got "${text}".`);
  return text;
}
