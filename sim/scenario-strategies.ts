/** The scenario's `strategies`: the knobs of the star-periodic and mesh strategies (on-demand has none). */
import { z } from 'zod';
import { MAX_PHOTO_OVERLAY_RINGS, PHOTO_OVERLAY_RINGS } from '../shared/policy/photo-overlay.ts';
import { DEFAULT_SOURCE_CONFIG } from '../shared/policy/source-choice.ts';
import { nonNegative, num, positive } from './scenario-fields.ts';

export const strategiesSchema = z
  .strictObject({
    starPeriodic: z
      .strictObject({ intervalS: positive().default(1800), firstPushAtS: nonNegative().optional() })
      .prefault({}),
    mesh: z
      .strictObject({
        syncIntervalS: num('a number ≥ 1').min(1, { error: 'expected a number ≥ 1' }).default(30),
        feedPollS: positive().default(10),
        syncWindows: z
          .array(z.strictObject({ start: z.string(), end: z.string(), days: z.array(z.number().int()).optional() }))
          .default([]),
        utcOffsetMinutes: z.number().int().min(-720).max(840).default(0),
        backgroundCapMbps: positive().optional(),
        onDemandLanDeadlineMs: nonNegative().default(DEFAULT_SOURCE_CONFIG.onDemandLanDeadlineMs),
        backgroundLanDeadlineMs: nonNegative().default(DEFAULT_SOURCE_CONFIG.backgroundLanDeadlineMs),
        claimRequiresWan: z.boolean({ error: 'expected true or false' }).default(false),
        /** The edge node's `photoOverlayRings` (shared/policy/photo-overlay.ts): live mode's LAN hops. */
        photoOverlayRings: z.number().int().min(1).max(MAX_PHOTO_OVERLAY_RINGS).default(PHOTO_OVERLAY_RINGS),
        /** Live, pipelined replication (sim/strategies/mesh-live.ts); false: one cycle per tick (mesh-sync.ts). */
        live: z.boolean({ error: 'expected true or false' }).default(true),
        /**
         * Live mode only. `pipelined`: a printer's cloud lane and LAN lane run at the same time (the
         * design of issue #16). `sequential`: its LAN lane waits until its cloud lane has nothing
         * left, as the edge node runs a cycle today (background-replicator.ts: cloud phase, then
         * LAN phase), for comparing the model with emulation.
         */
        lanes: z
          .enum(['pipelined', 'sequential'], { error: 'expected "pipelined" or "sequential"' })
          .default('pipelined'),
      })
      .prefault({}),
  })
  .prefault({});
