import { setFlagsFromString } from 'node:v8';
import { ConfigError } from '../config/config-error.ts';

/**
 * How far V8 lets the old generation grow past what survived the last full GC before it starts the
 * next one: 300 % (a limit of 4 × the live heap). A process replicating feeds keeps a small live
 * heap (about 30 MB for an edge node) while every block passes through the transport, the secret
 * streams and storage. Between a venue's batches the process is quiet, and V8's memory reducer
 * shrinks the heap's limits. At V8's own factor the limit then sat 11–17 MB above that heap, and a
 * printer taking photos live ran a full mark-compact every 0.3–1.2 s (26–28 in a 20 s burst), each started
 * well below the limit (30–31 MB of 41–48 MB in `--trace-incremental-marking`; a smaller young
 * generation did not change that). `perf` put about a fifth of the printer's CPU
 * in concurrent marking and sweeping. At 300 % the same burst ran none, and the printers used 23 %
 * less CPU per MB received over three alternating pairs of runs; `npm run bench:live` has measured
 * 0.75, 1.18 and 0.91 since (whether a printer falls into that pattern depends on its heap's state when
 * the photos come). The coordinator, which takes the uploads and seeds them, used 0.57–0.76 of its
 * CPU in every run (BENCHMARKS.md, "Edge nodes: live replication and V8's heap limit").
 * The cost is memory: the heap may reach 4 × its live size before a full GC; bench:live found the
 * printers' resident size the same either way (280–322 MB). V8's hard heap limit is unchanged.
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
