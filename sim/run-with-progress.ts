/**
 * The CLI's runs of a scenario's strategies over consecutive seeds, in model or emulation mode,
 * with a progress bar while they run and the wall time they took on stderr.
 */
import type { Clock } from '../shared/ports/clock.ts';
import { assertWindowsEmulatable } from './emulation/emulated-windows.ts';
import { runEmulation } from './emulation/run-emulation.ts';
import type { SimResults, StrategyName } from './results-schema.ts';
import { runScenario } from './run-model.ts';
import type { Scenario } from './scenario.ts';
import { summarizeRuns } from './stats.ts';

const PROGRESS_BAR_WIDTH_CHARS = 30;

/** Redraws one line on stderr; only when a person is watching (a TTY), never into a log file or pipe. */
function progressBar(label: string): { update: (fraction: number) => void; done: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, done: () => {} };
  let shown = -1;
  const update = (fraction: number) => {
    const percent = Math.max(0, Math.min(100, Math.floor(fraction * 100)));
    if (percent === shown) return;
    shown = percent;
    const filled = Math.round((percent / 100) * PROGRESS_BAR_WIDTH_CHARS);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(PROGRESS_BAR_WIDTH_CHARS - filled)}`;
    process.stderr.write(`\r${label} ${bar} ${String(percent).padStart(3)} %`);
  };
  return { update, done: () => process.stderr.write('\r\x1b[2K') };
}

export function simulate(
  clock: Clock,
  scenario: Scenario,
  strategies: StrategyName[],
  runs: number,
  seed: number,
  measureWallClock = false,
  feeTable?: string,
): SimResults {
  const seeds = Array.from({ length: runs }, (_, i) => seed + i);
  const name = scenario.name;
  const bar = progressBar(`${name}:`);
  const started = clock.now();
  try {
    return runScenario(scenario, strategies, seeds, bar.update, { measureWallClock, clock, feeTable });
  } finally {
    bar.done();
    const seconds = ((clock.now() - started) / 1000).toFixed(1);
    process.stderr.write(
      `${strategies.length * runs} runs of ${name} (seeds ${seeds[0]}..${seeds.at(-1)}) took ${seconds} s\n`,
    );
  }
}

/**
 * Emulation runs one strategy and seed at a time (each starts its own coordinator and printers);
 * results are merged.
 */
export async function emulate(
  clock: Clock,
  scenario: Scenario,
  strategies: readonly StrategyName[],
  runs: number,
  seed: number,
  settings: { timeCompression: number; maxPrinters: number; linkShaping: boolean },
): Promise<SimResults> {
  // Refused before the first run, not after the others have run for minutes.
  assertWindowsEmulatable(scenario, strategies, settings.timeCompression);
  const bar = progressBar(`${scenario.name} (emulation):`);
  const started = clock.now();
  const all: SimResults[] = [];
  const total = strategies.length * runs;
  try {
    for (const strategy of strategies) {
      for (let k = 0; k < runs; k++) {
        const done = all.length;
        all.push(
          await runEmulation(
            scenario,
            {
              ...settings,
              seed: seed + k,
              onProgress: (f) => bar.update((done + f) / total),
            },
            strategy,
          ),
        );
      }
    }
  } finally {
    bar.done();
    const seconds = ((clock.now() - started) / 1000).toFixed(1);
    process.stderr.write(
      `${total} emulation runs of ${scenario.name} (× ${settings.timeCompression}) took ${seconds} s\n`,
    );
  }
  const merged = all.flatMap((r) => r.runs);
  return { ...all[0]!, runs: merged, summaries: summarizeRuns(merged) };
}
