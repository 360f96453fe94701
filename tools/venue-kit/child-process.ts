import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';

/** The repository root: children run from it, whatever the caller's working directory. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** SIGTERM first; a child still running after this gets SIGKILL. */
export const CHILD_STOP_GRACE_MS = 10_000;

/**
 * Children of this process that are still running. If this process exits without closing them (a
 * signal, an uncaught error), they go with it instead of running on as orphans holding ports.
 */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function killLiveChildren(): void {
  for (const child of live) child.kill('SIGKILL');
}

export interface LoggedChild {
  child: ChildProcess;
  /** Resolves when the child has exited. */
  exited: Promise<unknown>;
  /** stdout lines and stderr chunks, newest last (at most `keepLogLines`). */
  logs: string[];
  /** Why the process ended ("exit code 1", "signal SIGKILL"), or null while it runs. */
  exitReason(): string | null;
  /** SIGTERM, then SIGKILL after the grace period; memoised, a no-op once the child has exited. */
  stop(): Promise<void>;
  /** Calls `listener` with every later stdout line; returns the unsubscribe function. */
  listen(listener: (line: string) => void): () => void;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  /** Lines kept in `logs` (default: all). */
  keepLogLines?: number;
  /** Also append stdout and stderr to this file. */
  logFile?: string;
  /** Every stdout line, from the first. */
  onLine?: (line: string) => void;
  /** Every stderr chunk. */
  onStderr?: (chunk: string) => void;
  /** Sent before SIGTERM (a SIGSTOPped process would otherwise hold SIGTERM pending forever). */
  resumeBeforeStop?: boolean;
  /** Options of node itself, before `--import tsx` (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
}

/** Runs `node [nodeArgs] --import tsx <args>` from the repository root (or `prefix` + that, e.g. `ip netns exec`). */
export async function spawnLogged(
  clock: Clock,
  args: string[],
  opts: SpawnOptions & { prefix?: string[] } = {},
): Promise<LoggedChild> {
  const command = [...(opts.prefix ?? []), process.execPath, ...(opts.nodeArgs ?? []), '--import', 'tsx', ...args];
  if (opts.logFile) await mkdir(dirname(opts.logFile), { recursive: true });
  const child = spawn(command[0]!, command.slice(1), {
    cwd: REPO_ROOT,
    env: opts.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  if (!exitHookInstalled) {
    process.once('exit', killLiveChildren);
    exitHookInstalled = true;
  }
  live.add(child);
  const exited = once(child, 'exit').catch(() => {});
  let reason: string | null = null;
  child.once('exit', (code, signal) => {
    live.delete(child);
    reason = signal ? `signal ${signal}` : `exit code ${code}`;
  });
  const keep = opts.keepLogLines ?? Number.POSITIVE_INFINITY;
  const logs: string[] = [];
  const push = (entry: string) => {
    logs.push(entry);
    if (logs.length > keep) logs.shift();
  };
  if (opts.logFile) {
    const file = createWriteStream(opts.logFile);
    child.stdout!.pipe(file);
    child.stderr!.pipe(file);
  }
  child.stderr!.on('data', (d: Buffer) => {
    push(d.toString());
    opts.onStderr?.(d.toString());
  });
  const listeners = new Set<(line: string) => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    push(line);
    opts.onLine?.(line);
    for (const listener of listeners) listener(line);
  });
  const listen = (listener: (line: string) => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (opts.resumeBeforeStop) child.kill('SIGCONT');
      child.kill('SIGTERM');
      const timer = clock.setTimeout(() => child.kill('SIGKILL'), CHILD_STOP_GRACE_MS);
      await exited;
      timer.cancel();
    })();
    return stopping;
  };
  return { child, exited, logs, exitReason: () => reason, stop, listen };
}

/**
 * Resolves with what `match` finds in the first JSON log line it accepts; fails with the child's
 * logs when the child exits first or `timeoutMs` passes.
 */
export function waitForLogLine<T>(
  clock: Clock,
  proc: LoggedChild,
  what: string,
  timeoutMs: number,
  match: (entry: Record<string, unknown>) => T | undefined,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const done = () => {
      settled = true;
      timer.cancel();
      unsubscribe();
      proc.child.off('exit', onExit);
    };
    const fail = (why: string) => {
      if (settled) return;
      done();
      reject(new AppError('venue_kit_process_failed', `${what} ${why}:\n${proc.logs.join('\n')}`));
    };
    const timer = clock.setTimeout(() => fail(`was not ready after ${timeoutMs} ms`), timeoutMs);
    const unsubscribe = proc.listen((line) => {
      if (settled) return;
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return; // not a JSON log line
      }
      const found = match(entry);
      if (found === undefined) return;
      done();
      resolve(found);
    });
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`exited (${signal ?? `code ${code}`}) before it was ready`);
    proc.child.once('exit', onExit);
  });
}
