/**
 * `npm run sim -- scenarios` (the built-in scenarios, each with its description) and
 * `npm run sim -- validate <path>` (checks a scenario file, naming every field that is wrong).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../shared/config/config-error.ts';
import { builtInNames, loadScenario, SCENARIO_DIR } from './scenario-files.ts';

export async function commandScenarios(args: string[]): Promise<number> {
  parseArgs({ args, options: {}, strict: true });
  const names = await builtInNames();
  const width = Math.max(0, ...names.map((n) => n.length));
  for (const name of names) {
    const scenario = await loadScenario(join(SCENARIO_DIR, `${name}.json`));
    process.stdout.write(`${name.padEnd(width)}  ${scenario.description ?? ''}\n`);
  }
  return 0;
}

export async function commandValidate(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new ConfigError('validate needs exactly one file: validate <path>.');
  const path = positionals[0] ?? '';
  await loadScenario(path);
  process.stdout.write(`OK ${path}\n`);
  return 0;
}
