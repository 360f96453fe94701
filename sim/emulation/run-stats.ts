/** What an emulation run measured about itself; apart from run-emulation.ts so shaped-run.ts needs no import back. */
export interface EmulationRunStats {
  maxUploadLagS: number;
  processingS: number;
}
