/**
 * The size of libuv's thread pool for a process that replicates feeds. Storage (RocksDB, through
 * rocksdb-native), sodium's async calls, sharp's renders and every `fs` call of Node share that one
 * pool, four threads by default. While a printer replicates, RocksDB's reads and writes fill it, and
 * a fan's print queues behind whatever holds the pool for its own file work: the printer's status,
 * the job log's fsync, the print itself. `npm run bench:print-threadpool` (BENCHMARKS.md, "Edge nodes: scan → print and
 * libuv's thread pool"), renders and writes keeping the pool busy: the slowest of 40 prints of a photo
 * rendered ahead took 570–596 ms with four threads, 91–115 ms with sixteen. A thread waiting on the
 * disk holds its place in the pool without using a core, so more threads than cores is what the
 * pool is for.
 *
 * libuv reads the size once, when the pool first starts, which happens before any module of ours
 * runs (Node's loader uses it), so it cannot be set from inside the process: the start scripts and
 * the venue kit set it in the environment, and a daemon started without it says so in its log.
 */
export const REPLICATION_THREADPOOL_SIZE = 16;
export const THREADPOOL_ENV = 'UV_THREADPOOL_SIZE';

/** `env` with the pool at REPLICATION_THREADPOOL_SIZE, unless it names a size of its own. */
export function withReplicationThreadpool(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const set = env[THREADPOOL_ENV];
  if (set !== undefined && set.trim() !== '') return env;
  return { ...env, [THREADPOOL_ENV]: String(REPLICATION_THREADPOOL_SIZE) };
}

/** libuv's own bounds on the pool. */
const LIBUV_DEFAULT_THREADS = 4;
const LIBUV_MAX_THREADS = 1024;

/**
 * The pool's size as libuv reads it from `env`: its default when unset; otherwise the leading
 * integer (`atoi`), 0 or none meaning 1, a negative one wrapping past the maximum.
 */
export function threadpoolSize(env: NodeJS.ProcessEnv): number {
  const raw = env[THREADPOOL_ENV];
  if (raw === undefined) return LIBUV_DEFAULT_THREADS;
  const n = Number.parseInt(raw, 10);
  if (!Number.isFinite(n) || n === 0) return 1;
  return n < 0 ? LIBUV_MAX_THREADS : Math.min(n, LIBUV_MAX_THREADS);
}
