import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../shared/config/config-error.ts';
import { isAppError } from '../shared/errors.ts';
import { type Clock, systemClock } from '../shared/ports/clock.ts';
import { commandCompare } from './compare-command.ts';
import { MAX_EMULATED_PRINTERS } from './emulation/emulation-options.ts';
import { commandRun } from './run-command.ts';
import { commandScenarios, commandValidate } from './scenario-commands.ts';
import { describeError, loadScenario, scenarioPath } from './scenario-files.ts';
import { commandStation } from './station-command.ts';

/**
 * `npm run sim -- <command>`: the researcher's entry point to the model-mode simulator.
 * Exit codes: 0 done, 1 the scenario or the run failed (the reason is printed), 2 usage.
 */
export const USAGE = `usage: npm run sim -- <command>
  run --scenario <name|path> [--strategy star-periodic|on-demand|mesh|all] [--runs K] [--seed N] [--out DIR]
      [--wall-clock] [--mode model|emulation] [--time-compression F] [--max-printers N] [--shape-links]
      [--fee-table ID]
      writes results.json, runs.csv, summary.csv and report.html into DIR (default ./sim-out/<scenario>);
      --seed defaults to the scenario's seed; --wall-clock fills wallSeconds (output then varies by host);
      --mode emulation runs the strategies (default: mesh only) on a real coordinator and N real edge-node
      processes (loopback), F simulated seconds per wall second (default 1), at most N printers (default ${MAX_EMULATED_PRINTERS});
      --shape-links puts the coordinator and the printers in network namespaces with the WAN shaped by
      tc tbf at the scenario's bandwidth × F (root and iproute2 only)
      --fee-table ID (scenarios with a revenue section) quotes frames with that fee-rate table;
      revenue.csv is written too when the scenario has a revenue section
  compare <name|path> [--runs K] [--seed N] [--fee-table ID]
      runs all three strategies and prints a table of the headline metrics (and, with a revenue
      section, the revenue per strategy at each fee-rate table on the same runs)
  scenarios
      lists the built-in scenarios
  validate <path>
      checks a scenario file and names every field that is wrong
  station --scenario <name|path> [--model NAME] [--photos-per-minute N] [--prints-per-minute N]
      is a station of that printer model fast enough? its CPU (the model's cpuMsPerMb, cpuMsPerPrint)
      and the model's batches; exit code 3 when it is not (e.g. station --scenario pi-station)`;

const COMMANDS: Record<string, (args: string[], clock: Clock) => Promise<number>> = {
  run: commandRun,
  compare: commandCompare,
  scenarios: commandScenarios,
  validate: commandValidate,
  station: (args) => commandStation(args, async (ref) => loadScenario(await scenarioPath(ref))),
};

/** `clock` times the runs (the wall-clock figures); the model itself runs on simulated time. */
export async function main(argv: string[], clock: Clock = systemClock): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const handler = command === undefined ? undefined : COMMANDS[command];
  try {
    if (!handler) throw new ConfigError(command === undefined ? 'No command given.' : `Unknown command "${command}".`);
    return await handler(rest, clock);
  } catch (err) {
    if (err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
      return 2;
    }
    // A failure the user fixes in their input (an unreadable or invalid scenario): no stack trace.
    if (isAppError(err, 'invalid_scenario')) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    process.stderr.write(`The simulation failed: ${describeError(err)}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  // Exit (not die) on a signal, so that an emulation run's edge-node processes are stopped with it.
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
