import { setFlagsFromString } from 'node:v8';
import { ConfigError } from '../config/config-error.ts';

/**
 * How far V8 lets the old generation grow past what survived the last full GC before it starts the
 * next one: 300 % (a limit of 4 × the live heap). Replicating feeds, a process keeps a small live
 * heap (about 30 MB for an edge node) while the transport, the secret streams and storage allocate
 * memory outside the JS heap for every block, which V8 counts against the same limit. With V8's own
 * factor the room left above a 30 MB heap is 11–17 MB, so a printer taking photos live ran a full
 * mark-compact every 0.3–1.2 s (26–28 in a 20 s burst) and spent about a fifth of its CPU on them
 * (`perf`: concurrent marking and sweeping). At 300 % the same burst ran none, and the printers used
 * 23 % less CPU per MB received (BENCHMARKS.md, "live replication and V8's heap limit"). Memory is
 * bounded: at most a few times the live heap, and V8 still collects at once when memory is short.
 * The coordinator, which appends photos and seeds them, had the same pattern: in the same burst the
 * process holding it (and the uploading client) used 4.6–4.8 CPU s with the factor, 7.2–7.3 without.
 */
export const REPLICATION_HEAP_GROWING_PERCENT = 300;
/** Above this the heap could grow without bound between full GCs for no further gain. */
export const MAX_HEAP_GROWING_PERCENT = 1000;
/** The environment variable that overrides it (0: V8's own factor, e.g. on a device short of memory). */
export const HEAP_GROWING_PERCENT_ENV = 'VPM_HEAP_GROWING_PERCENT';

/** The factor from the environment, or REPLICATION_HEAP_GROWING_PERCENT when unset. */
export function heapGrowingPercentFrom(env: NodeJS.ProcessEnv): number {
  const raw = env[HEAP_GROWING_PERCENT_ENV];
  if (raw === undefined || raw.trim() === '') return REPLICATION_HEAP_GROWING_PERCENT;
  const percent = Number(raw);
  if (!Number.isInteger(percent) || percent < 0 || percent > MAX_HEAP_GROWING_PERCENT) {
    throw new ConfigError(
      `${HEAP_GROWING_PERCENT_ENV} must be a whole number from 0 (V8's own factor) to ${MAX_HEAP_GROWING_PERCENT}; got "${raw}".`,
    );
  }
  return percent;
}

/**
 * Sets V8's heap growing factor for a process that replicates feeds (0 leaves V8's own). V8 reads the
 * factor each time it recomputes its limits after a GC, so setting it at startup, once the heap
 * exists, takes effect.
 */
export function growHeapForReplication(percent = REPLICATION_HEAP_GROWING_PERCENT): void {
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
