import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type Clock, systemClock } from '../../shared/ports/clock.ts';
import { withReplicationThreadpool } from '../../shared/process/threadpool.ts';
import { type PhotoArrivalRecord, photoArrivalsAnswerSchema } from '../../shared/protocol/photo-arrivals.ts';
import type { DetourStats } from '../../shared/protocol/photo-detour.ts';
import { type SpawnOptions, spawnLogged, waitForLogLine } from './child-process.ts';
import type { Owner } from './close-stack.ts';
import { api, expectStatus, KIT_HTTP_TIMEOUT_MS } from './http.ts';

const EDGE_READY_TIMEOUT_MS = 60_000;
/** A redemption answers once every unit printed or failed; a longer wait is a hang. */
const REDEEM_TIMEOUT_MS = 90_000;

/** The parts of an edge node's `/status` the kit's users read. */
export interface EdgeStatus {
  bytesFromLan: number;
  bytesFromCloud: number;
  lanPeers: number;
  /** Connected to the cloud seeder right now. */
  cloudConnected?: boolean;
  events: Array<{
    eventId: string;
    imagesHeld: number;
    imagesTotal: number;
    oldestMissingAgeMs?: number | null;
    /** LAN printers the event's photos replicate with (all, or the photo overlay's neighbours). */
    photoPeers?: number;
  }>;
  /** Offline redemption: paid orders this printer knows from the venue's orders feed. */
  offline?: { ordersKnown: number };
  /** Links outside the photo overlay for fans' photos (edge-node/mesh/photo-detours.ts). */
  photoDetours?: DetourStats;
}

export interface RedeemedUnit {
  imageId?: string;
  state: string;
  source?: 'local' | 'lan' | 'cloud';
}

export interface RedeemAnswer {
  units?: RedeemedUnit[];
  error?: unknown;
  orderId?: string;
}

export interface EdgeProcess {
  name: string;
  /** The node's local API (kiosk, status, redeem). */
  url: string;
  child: ChildProcess;
  logs: string[];
  /** Why the process ended ("exit code 1", "signal SIGKILL"), or null while it runs. */
  exited(): string | null;
  status(): Promise<EdgeStatus>;
  /** Every photo of the event that became printable at this node while it ran, oldest first. */
  arrivals(eventId: string): Promise<PhotoArrivalRecord[]>;
  redeem(code: string): Promise<{ status: number; body: RedeemAnswer }>;
  /** kill -9: no shutdown. */
  crash(): Promise<void>;
  /** SIGTERM (SIGKILL after a grace period); memoised. */
  stop(): Promise<void>;
  /** After crash() or stop(): a new process on the same data dir and config, as a supervisor restarts it. */
  restart(opts?: EdgeProcessOptions): Promise<EdgeProcess>;
}

export interface EdgeProcessOptions
  extends Pick<SpawnOptions, 'keepLogLines' | 'logFile' | 'onLine' | 'onStderr' | 'nodeArgs' | 'env'> {
  /** Extra command-line arguments of `edge-node/main.ts`. */
  args?: string[];
  readyTimeoutMs?: number;
  redeemTimeoutMs?: number;
  /** Limit of a status request (default KIT_HTTP_TIMEOUT_MS). */
  statusTimeoutMs?: number;
  /** Network namespace to run the node in (`ip netns exec`, which execs: the child's pid is the node's). */
  netns?: string;
  clock?: Clock;
}

/**
 * Runs `edge-node/main.ts` (what `npm run edge` runs) with `config` written to `<dataDir>/config.json`,
 * and resolves once its "edge node ready" log line names its local API. `owner` stops it.
 */
export async function startEdgeProcess(
  owner: Owner,
  dataDir: string,
  config: Record<string, unknown>,
  opts: EdgeProcessOptions = {},
): Promise<EdgeProcess> {
  const clock = opts.clock ?? systemClock;
  const name = typeof config.name === 'string' ? config.name : basename(dataDir);
  const configPath = join(dataDir, 'config.json');
  await writeFile(configPath, JSON.stringify({ dataDir, statusPort: 0, logLevel: 'info', ...config }), {
    mode: 0o600,
  });
  const proc = await spawnLogged(clock, ['edge-node/main.ts', '--config', configPath, ...(opts.args ?? [])], {
    ...opts,
    env: withReplicationThreadpool(opts.env ?? process.env),
    prefix: opts.netns ? ['ip', 'netns', 'exec', opts.netns] : [],
  });
  // Registered before readiness, so a node that never becomes ready is still stopped.
  owner.teardown(proc.stop);
  const url = await waitForLogLine(
    clock,
    proc,
    `Edge node ${name}`,
    opts.readyTimeoutMs ?? EDGE_READY_TIMEOUT_MS,
    (e) => (e.msg === 'edge node ready' && typeof e.local === 'string' ? e.local : undefined),
  );
  return {
    name,
    url,
    child: proc.child,
    logs: proc.logs,
    exited: proc.exitReason,
    async status() {
      return (await api<EdgeStatus>(url, 'GET', '/status', { timeoutMs: opts.statusTimeoutMs ?? KIT_HTTP_TIMEOUT_MS }))
        .body;
    },
    async arrivals(eventId) {
      const out: PhotoArrivalRecord[] = [];
      for (let afterSeq = -1; ; ) {
        const path = `/api/events/${encodeURIComponent(eventId)}/arrivals?afterSeq=${afterSeq}`;
        const page = photoArrivalsAnswerSchema.parse(
          expectStatus(`${name}'s photo arrivals`, await api<unknown>(url, 'GET', path), 200),
        );
        out.push(...page.arrivals);
        if (!page.more || page.arrivals.length === 0) return out;
        afterSeq = page.arrivals.at(-1)!.seq;
      }
    },
    redeem(code) {
      return api<RedeemAnswer>(url, 'POST', '/api/redeem', {
        body: { code },
        timeoutMs: opts.redeemTimeoutMs ?? REDEEM_TIMEOUT_MS,
      });
    },
    async crash() {
      proc.child.kill('SIGKILL');
      await proc.exited;
    },
    stop: proc.stop,
    restart(more) {
      return startEdgeProcess(owner, dataDir, config, { ...opts, ...more });
    },
  };
}
