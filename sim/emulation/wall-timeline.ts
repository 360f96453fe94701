/**
 * The scenario's timeline on the run's wall clock: simulated seconds since the start are wall
 * seconds × timeCompression, counted from when the timeline is made.
 */
import type { Clock } from '../../shared/ports/clock.ts';

export interface WallTimeline {
  /** Simulated seconds since the start. */
  simNow(): number;
  /** Simulated seconds since the start at wall-clock time `epochMs` (the same clock's milliseconds). */
  simAt(epochMs: number): number;
  /** Resolves at simulated second `simS` (at once if that has passed). */
  until(simS: number): Promise<void>;
}

export function wallTimeline(clock: Clock, timeCompression: number): WallTimeline {
  const t0 = clock.now();
  return {
    simNow: () => ((clock.now() - t0) / 1000) * timeCompression,
    simAt: (epochMs) => ((epochMs - t0) / 1000) * timeCompression,
    until: async (simS: number) => {
      const waitMs = (simS * 1000) / timeCompression - (clock.now() - t0);
      if (waitMs > 0) await clock.sleep(waitMs);
    },
  };
}
