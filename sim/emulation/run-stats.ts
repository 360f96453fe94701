import type { DetourStats } from '../../shared/protocol/photo-detour.ts';

/** What an emulation run measured about itself; apart from run-emulation.ts so shaped-run.ts needs no import back. */
export interface EmulationRunStats {
  maxUploadLagS: number;
  processingS: number;
  /** Per image: when it was on the feed, simulated seconds (a model run can replay them: withPublicationTimes). */
  publishedAtS: number[];
  /** CPU seconds the edge-node processes used from the first upload to the end of the run, together. */
  edgeCpuSeconds: number;
  /**
   * The edge nodes' CPU while batches replicated (each from its due time until every printer held
   * it), in ms per MB the printers received: the scenario's `cpuMsPerMb` (plus serving) as measured.
   * Batches that never reached every printer are left out; null when none did (sync windows closed,
   * or on-demand, which replicates nothing).
   */
  edgeCpuMsPerMbReplicating: number | null;
  /**
   * The cores each printer had while those batches replicated: the host's CPUs less what everything
   * else on it used then (the coordinator, the run's driver, the kernel's softirq), shared by the
   * printers. Emulation runs every process on one host; a venue's stations each have their own.
   * Null with the CPU per MB, without readings of the host, or when the others left the printers
   * nothing.
   */
  printerCoresAvailable: number | null;
  /** CPU seconds the coordinator used meanwhile (null: it ran in the emulation's own process). */
  cloudCpuSeconds: number | null;
  /** The printers' detours over the run, added up (status-sampler.ts). */
  photoDetours: DetourStats;
}
