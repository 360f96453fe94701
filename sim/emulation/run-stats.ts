/** What an emulation run measured about itself; apart from run-emulation.ts so shaped-run.ts needs no import back. */
export interface EmulationRunStats {
  maxUploadLagS: number;
  processingS: number;
  /** Per image: when it was on the feed, simulated seconds (a model run can replay them: withPublicationTimes). */
  publishedAtS: number[];
}
