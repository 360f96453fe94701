/**
 * The model given the CPU a run actually spent (issue #16 item 4). A scenario states its printers'
 * CPU cost per MB as measured on some day; the emulation host's CPU per MB moves by 40–90 % between
 * days (BENCHMARKS.md, emulation), so a model held to the stated figure cannot follow a slow day and
 * a model/emulation gap mixes "the model is wrong" with "the host was slower today". Calibrating
 * scales every printer model's replication cost so that the CPU per MB the model assumes equals what
 * the emulation's printers measured in the same run; model and emulation are then compared as a
 * ratio measured in one run, like every other benchmark here.
 *
 * Only the replication figures move (`cpuMsPerMb`, `cpuMsPerMbServed`), both by one factor, so the
 * scenario's split between receiving and serving holds. Print time and render cost are untouched.
 */
import { AppError } from '../../shared/errors.ts';
import type { Scenario } from '../scenario.ts';
import type { PrinterModel } from '../scenario-venue.ts';

/**
 * What one MB received costs a printer of this model when `servedShare` of the venue's bytes are
 * also served over the LAN (each LAN byte received was served once by a peer): the figure
 * sim:validate measures as `emulationEdgeCpuMsPerMb`.
 */
export function statedCpuMsPerMb(model: PrinterModel, servedShare: number): number {
  return (model.cpuMsPerMb ?? 0) + (model.cpuMsPerMbServed ?? 0) * servedShare;
}

export interface CpuCalibration {
  scenario: Scenario;
  /** Measured ÷ stated CPU per MB (1 = the scenario was right about today's host); null when it states none. */
  factor: number | null;
}

function invalid(message: string): AppError {
  return new AppError('invalid_scenario', message);
}

/**
 * The scenario with its printers' replication cost set to `measuredMsPerMb` (the emulation's CPU per
 * MB received, serving included) at `servedShare` (LAN bytes ÷ all bytes received, 0–1). A model
 * that states no CPU cost (never CPU-bound in the model) gets it all as receive cost.
 */
export function calibrateScenarioCpu(scenario: Scenario, measuredMsPerMb: number, servedShare: number): CpuCalibration {
  if (!(Number.isFinite(measuredMsPerMb) && measuredMsPerMb > 0)) {
    throw invalid(`measured CPU per MB must be a positive number of ms, got ${measuredMsPerMb}`);
  }
  if (!(servedShare >= 0 && servedShare <= 1)) {
    throw invalid(`served share must be between 0 and 1, got ${servedShare}`);
  }
  const models = scenario.venue.printerModels;
  const firstModel = models[scenario.venue.printers[0]?.model ?? ''];
  if (firstModel === undefined) throw invalid('the scenario has no printers to calibrate');
  // One factor for every model: the emulation measures its printers together, not per model.
  const factor =
    firstModel.cpuMsPerMb === undefined ? null : measuredMsPerMb / statedCpuMsPerMb(firstModel, servedShare);
  const printerModels: Record<string, PrinterModel> = {};
  for (const [name, model] of Object.entries(models)) {
    printerModels[name] =
      model.cpuMsPerMb !== undefined && factor !== null
        ? { ...model, cpuMsPerMb: model.cpuMsPerMb * factor, cpuMsPerMbServed: (model.cpuMsPerMbServed ?? 0) * factor }
        : { ...model, cpuMsPerMb: measuredMsPerMb, cpuMsPerMbServed: 0 };
  }
  return { scenario: { ...scenario, venue: { ...scenario.venue, printerModels } }, factor };
}
