/**
 * Following one unit's job on a photo printer to its end. A job is confirmed only when the printer
 * reports it `completed`, and counts as not printed only when the printer says so (aborted, or
 * canceled after it stalled or was moved by the rebalancer): a printer that stops answering may
 * still print it, so it is waited for, never given up.
 */
import { unitAction } from '../../shared/policy/station-dispatch.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { IppError, STATUS_NOT_FOUND } from './ipp/client.ts';
import { jobPhase } from './ipp/ipp-photo-printer.ts';
import type { JobInFlight, JobOutcome } from './station-types.ts';

export interface FollowTiming {
  clock: Clock;
  /** How often the job's state is asked for. */
  pollMs: number;
  /** A job on a printer that cannot print is cancelled after this long. */
  stallGraceMs: number;
}

/** Polls `entry`'s job until it is printed or known not to have printed (and why); updates `entry.phase`. */
export async function followJob(
  entry: JobInFlight,
  unitId: string,
  signal: AbortSignal,
  timing: FollowTiming,
): Promise<JobOutcome> {
  const { printer, jobId } = entry;
  const { clock } = timing;
  const sentAt = clock.now();
  let stalledSince: number | null = null;
  let cancelled = false;
  for (;;) {
    await clock.sleep(timing.pollMs, signal);
    let state: number;
    try {
      state = (await printer.client.getJob(jobId)).state;
    } catch (err) {
      if (!(err instanceof IppError)) throw err;
      // A purged job id cannot tell us anything more; an unreachable printer may still print it.
      if (err.details?.statusCode === STATUS_NOT_FOUND) {
        const printed = (await printer.jobsFor(unitId)).some((j) => jobPhase(j.state) === 'completed');
        return printed ? 'printed' : 'not-printed';
      }
      continue;
    }
    const phase = jobPhase(state);
    entry.phase = phase;
    if (entry.move === 'requested' && !cancelled) {
      entry.move = 'none';
      // Only a job that has not started moves: the rebalancer picked one with a pending job ahead.
      if (phase === 'pending') {
        try {
          await printer.client.cancelJob(jobId);
          cancelled = true;
          entry.move = 'cancelling';
        } catch (err) {
          if (!(err instanceof IppError)) throw err;
        }
        continue;
      }
    }
    if (!printer.health.canPrint) stalledSince ??= clock.now();
    else stalledSince = null;
    const action = unitAction(
      phase,
      printer.health.canPrint,
      stalledSince === null ? 0 : clock.now() - stalledSince,
      timing.stallGraceMs,
    );
    if (action === 'confirm') {
      printer.recordCompleted(sentAt);
      return 'printed';
    }
    if (action === 'move') return entry.move === 'cancelling' && phase === 'canceled' ? 'rebalanced' : 'not-printed';
    if (action === 'cancel' && !cancelled) {
      cancelled = true;
      try {
        await printer.client.cancelJob(jobId);
      } catch (err) {
        if (!(err instanceof IppError)) throw err;
        cancelled = false;
      }
    }
  }
}
