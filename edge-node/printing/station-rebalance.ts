/**
 * Which job the rebalancer moves: the newest pending job of a long queue, when a printer has nothing
 * to do (chooseRebalance decides whether it saves time). One move at a time per station.
 */
import { chooseRebalance } from '../../shared/policy/station-dispatch.ts';
import type { IppPhotoPrinter } from './ipp/ipp-photo-printer.ts';
import type { JobInFlight } from './station-types.ts';

/** The job to cancel and send again elsewhere, or undefined while a move is under way or none pays off. */
export function jobToRebalance(
  printers: readonly IppPhotoPrinter[],
  jobs: readonly JobInFlight[],
  unitsWaiting: number,
): JobInFlight | undefined {
  if (jobs.some((j) => j.move !== 'none')) return undefined;
  const views = printers.map((p) => ({
    ...p.view(),
    pendingJobs: jobs.filter((j) => j.printer === p && j.phase === 'pending').length,
  }));
  const move = chooseRebalance(views, unitsWaiting);
  if (!move) return undefined;
  let newest: JobInFlight | undefined;
  for (const j of jobs) {
    if (j.printer.name === move.from && j.phase === 'pending' && (!newest || j.jobId > newest.jobId)) newest = j;
  }
  return newest;
}
