import type { ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { type Clock, systemClock } from '../../shared/ports/clock.ts';
import { withReplicationThreadpool } from '../../shared/process/threadpool.ts';
import { spawnLogged, waitForLogLine } from './child-process.ts';
import type { Owner } from './close-stack.ts';

const COORDINATOR_READY_TIMEOUT_MS = 60_000;

export interface CoordinatorProcess {
  url: string;
  child: ChildProcess;
  logs: string[];
  /** kill -9: no shutdown, no lease release. */
  crash(): Promise<void>;
  /** After crash(): a new process with the same settings, data dir and port (printers keep their URL). */
  restart(): Promise<CoordinatorProcess>;
  /**
   * SIGSTOP: every socket of the process goes silent (HTTP, DHT, Hyperswarm), as behind a black-holed
   * WAN link; the kernel still queues what arrives. resume() (SIGCONT) ends the outage.
   */
  pause(): void;
  resume(): void;
  /** SIGTERM (SIGKILL after a grace period); memoised. */
  stop(): Promise<void>;
}

/** Starts `coordinator/main.ts` as its own process (what `npm start` runs) and waits for "ready". */
export async function startCoordinatorProcess(
  owner: Owner,
  env: Record<string, string>,
  clock: Clock = systemClock,
  priority?: number,
): Promise<CoordinatorProcess> {
  const proc = await spawnLogged(clock, ['coordinator/main.ts'], {
    // The kit buys through the test gateway's page; a coordinator runs it only when asked.
    env: withReplicationThreadpool({ ...process.env, VPM_LOG_LEVEL: 'info', VPM_PAYMENT_GATEWAY: 'test', ...env }),
    resumeBeforeStop: true,
  });
  owner.teardown(proc.stop);
  if (priority !== undefined && proc.child.pid !== undefined) setPriority(proc.child.pid, priority);
  const url = await waitForLogLine(clock, proc, 'The coordinator', COORDINATOR_READY_TIMEOUT_MS, (e) =>
    e.msg === 'coordinator ready' && typeof e.url === 'string' ? e.url : undefined,
  );
  return {
    url,
    child: proc.child,
    logs: proc.logs,
    async crash() {
      proc.child.kill('SIGKILL');
      await proc.exited;
    },
    restart() {
      return startCoordinatorProcess(owner, { ...env, VPM_PORT: new URL(url).port }, clock, priority);
    },
    pause() {
      proc.child.kill('SIGSTOP');
    },
    resume() {
      proc.child.kill('SIGCONT');
    },
    stop: proc.stop,
  };
}
