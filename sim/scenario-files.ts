/**
 * Scenario files for the CLI: the built-in ones (sim/scenarios/*.json), a name or path resolved to
 * a file, and a file loaded with every problem on its own line.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../shared/config/config-error.ts';
import { AppError, isAppError } from '../shared/errors.ts';
import { parseScenario, type Scenario } from './scenario.ts';

export const SCENARIO_DIR = fileURLToPath(new URL('./scenarios/', import.meta.url));

export async function builtInNames(): Promise<string[]> {
  const files = await readdir(SCENARIO_DIR).catch(() => [] as string[]);
  return files
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

async function exists(path: string): Promise<boolean> {
  return readFile(path).then(
    () => true,
    () => false,
  );
}

/** A bare name is a built-in scenario; anything else (or a name with no built-in) is a file path. */
export async function scenarioPath(ref: string): Promise<string> {
  if (/^[\w-]+$/.test(ref)) {
    const builtIn = join(SCENARIO_DIR, `${ref}.json`);
    if (await exists(builtIn)) return builtIn;
  }
  if (await exists(ref)) return resolve(ref);
  const names = (await builtInNames()).join(', ');
  throw new ConfigError(`No scenario "${ref}": not a built-in (${names}) and no such file.`);
}

export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One problem per line ("venue.wan.bandwidthMbps: expected a number > 0") reads better than one long line. */
function describeScenarioError(path: string, err: unknown): string {
  const problems = isAppError(err) ? err.details?.problems : undefined;
  if (!Array.isArray(problems) || problems.length === 0) return describeError(err);
  return `Invalid scenario ${path}:\n${problems.map((p) => `  ${String(p)}`).join('\n')}`;
}

export async function loadScenario(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AppError('invalid_scenario', `Cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return parseScenario(text, basename(path));
  } catch (err) {
    throw new AppError('invalid_scenario', describeScenarioError(path, err));
  }
}
