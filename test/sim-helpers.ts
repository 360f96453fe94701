import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseScenario, type Scenario, type ScenarioInput, validateScenario } from '../sim/scenario.ts';

const SCENARIO_DIR = fileURLToPath(new URL('../sim/scenarios/', import.meta.url));

export function builtIn(name: string): Scenario {
  return parseScenario(readFileSync(`${SCENARIO_DIR}${name}.json`, 'utf8'), `${name}.json`);
}

export function builtInRaw(name: string): ScenarioInput {
  return JSON.parse(readFileSync(`${SCENARIO_DIR}${name}.json`, 'utf8')) as ScenarioInput;
}

/** A built-in scenario with some fields replaced (shallow per top-level key). */
export function variant(name: string, patch: (raw: ScenarioInput) => void): Scenario {
  const raw = builtInRaw(name);
  patch(raw);
  return validateScenario(raw, `${name} (variant)`);
}

export function near(actual: number, expected: number, tolerance = 1e-9): boolean {
  return Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected));
}
