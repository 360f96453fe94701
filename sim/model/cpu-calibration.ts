/**
 * The model given the CPU a run actually spent (issue #16 item 4). A scenario states its printers'
 * CPU cost per MB as measured on some day; the emulation host's CPU per MB moves by 40–90 % between
 * days (BENCHMARKS.md, emulation), so a model held to the stated figure cannot follow a slow day and
 * a model/emulation gap mixes "the model is wrong" with "the host was slower today". Calibrating
 * scales every printer model's replication cost so that what the model charges a printer per MB it
 * receives (station-cpu.ts: receive plus serve, a swarm serving about what it receives) equals what
 * the emulation's printers measured per MB received in the same run; model and emulation are then
 * compared as a ratio measured in one run, like every other benchmark here.
 *
 * Only the replication figures move (`cpuMsPerMb`, `cpuMsPerMbServed`), both by one factor, so the
 * scenario's split between receiving and serving holds. Print time and render cost are untouched.
 *
 * The cores too, when asked with how many the run's printers had: emulation runs the coordinator,
 * its own driver and every printer on one host, so the printers share what the others leave, and
 * near saturation a few hundredths of a core per printer move batch completion by half
 * (BENCHMARKS.md, 24th session). Every model's `cores` is then scaled by one factor, so that the
 * venue's printers have that many on average (a model stating none has DEFAULT_PRINTER_CORES); a
 * render, which the model charges to the cores, takes longer with fewer.
 */
import { AppError } from '../../shared/errors.ts';
import type { Scenario } from '../scenario.ts';
import type { PrinterModel } from '../scenario-venue.ts';
import { coresOf, cpuMsPerMbReceived } from './station-cpu.ts';

export interface CpuCalibration {
  scenario: Scenario;
  /** Measured ÷ what the model charged (1 = the scenario was right about today's host); null when it states none. */
  factor: number | null;
  /** The cores the printers had ÷ what the scenario gives them on average; null when not asked to. */
  coresFactor: number | null;
}

function invalid(message: string): AppError {
  return new AppError('invalid_scenario', message);
}

/**
 * The scenario with its printers' replication cost set so that the model charges `measuredMsPerMb`
 * per MB received (the emulation's CPU per MB received, serving included), averaged over the
 * venue's printers: the emulation measures them together, not per model. A scenario whose models
 * state no CPU cost (never CPU-bound in the model) gets it all as receive cost; one where some
 * models state it and others do not cannot be calibrated from one figure and is refused.
 */
export function calibrateScenarioCpu(
  scenario: Scenario,
  measuredMsPerMb: number,
  coresPerPrinter: number | null = null,
): CpuCalibration {
  if (!(Number.isFinite(measuredMsPerMb) && measuredMsPerMb > 0)) {
    throw invalid(`measured CPU per MB must be a positive number of ms, got ${measuredMsPerMb}`);
  }
  if (coresPerPrinter !== null && !(Number.isFinite(coresPerPrinter) && coresPerPrinter > 0)) {
    throw invalid(`the cores each printer had must be a positive number, got ${coresPerPrinter}`);
  }
  const models = scenario.venue.printerModels;
  const groups = scenario.venue.printers.map((g) => ({ count: g.count, model: models[g.model]! }));
  if (groups.length === 0) throw invalid('the scenario has no printers to calibrate');
  const stating = groups.filter((g) => g.model.cpuMsPerMb !== undefined);
  if (stating.length > 0 && stating.length < groups.length) {
    throw invalid('to calibrate the CPU, every printer model must state cpuMsPerMb, or none');
  }
  const printers = groups.reduce((n, g) => n + g.count, 0);
  const charged = groups.reduce((ms, g) => ms + cpuMsPerMbReceived(g.model) * g.count, 0) / printers;
  const factor = stating.length > 0 && charged > 0 ? measuredMsPerMb / charged : null;
  const statedCores = groups.reduce((n, g) => n + coresOf(g.model) * g.count, 0) / printers;
  const coresFactor = coresPerPrinter === null ? null : coresPerPrinter / statedCores;
  const printerModels: Record<string, PrinterModel> = {};
  for (const [name, model] of Object.entries(models)) {
    const cpu =
      factor !== null && model.cpuMsPerMb !== undefined
        ? { cpuMsPerMb: model.cpuMsPerMb * factor, cpuMsPerMbServed: (model.cpuMsPerMbServed ?? 0) * factor }
        : { cpuMsPerMb: measuredMsPerMb, cpuMsPerMbServed: 0 };
    const cores = coresFactor === null ? {} : { cores: coresOf(model) * coresFactor };
    printerModels[name] = { ...model, ...cpu, ...cores };
  }
  return { scenario: { ...scenario, venue: { ...scenario.venue, printerModels } }, factor, coresFactor };
}
