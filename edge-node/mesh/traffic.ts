import { backgroundMayRun } from '../../shared/policy/priority.ts';
import { type Clock, systemClock, type Timer } from '../../shared/ports/clock.ts';
import type { VenueMesh } from './venue-mesh.ts';

/**
 * On-demand fetches (a fan is waiting) go before background sync. Background work asks
 * `waitForTurn()` between batches and stops its in-flight range while any on-demand fetch runs,
 * so the peers' request windows serve the fan first (measured: a full background window makes an
 * on-demand get 2–4× slower).
 */
export class PriorityGate {
  #onDemand = 0;
  #waiters: Array<() => void> = [];
  #starters: Array<() => void> = [];

  get onDemandActive(): number {
    return this.#onDemand;
  }

  /** Marks an on-demand fetch as running until the returned function is called. */
  enterOnDemand(): () => void {
    this.#onDemand++;
    for (const s of this.#starters.splice(0)) s();
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#onDemand--;
      if (this.#onDemand === 0) for (const w of this.#waiters.splice(0)) w();
    };
  }

  /** Resolves the next time an on-demand fetch starts: background work stops its range then. */
  nextOnDemand(): Promise<void> {
    return new Promise((r) => this.#starters.push(r));
  }

  /** Resolves when no on-demand fetch is running (priority.ts, as the simulator decides it). */
  async waitForTurn(): Promise<void> {
    while (!backgroundMayRun({ onDemandInFlight: this.#onDemand, onDemandQueued: 0 }))
      await new Promise<void>((r) => this.#waiters.push(r));
  }
}

/**
 * Hang up this long after the last user of the cloud connection let go, so that a burst reuses it:
 * a photographer's upload puts a photo on the feed every 1–3 s, and with 2 s the owners of the
 * next photo had hung up and dialled again for most of them (8–12 redials per printer in five
 * batches of validation-8-short). A connection that waits costs the seeder a socket; the cloud
 * lane (cloud-lane.ts) keeps it away from the main store, and without a lane a cycle hangs up at
 * once (`hangUpIfIdle`).
 */
export const CLOUD_IDLE_HANGUP_MS = 10_000;

/** What the sessions need of the venue mesh. */
export type CloudDialer = Pick<VenueMesh, 'dialCloud' | 'hangUpCloud' | 'cloudConnected'>;

/**
 * Reference-counted use of the cloud seeder connection: background cloud phases and on-demand
 * fetches share one dial, and the last one out hangs up after a short idle period.
 */
export class CloudSessions {
  readonly #mesh: CloudDialer;
  #users = 0;
  #hangupTimer: Timer | null = null;
  readonly #clock: Clock;

  constructor(mesh: CloudDialer, clock: Clock = systemClock) {
    this.#mesh = mesh;
    this.#clock = clock;
  }

  get inUse(): boolean {
    return this.#users > 0;
  }

  /** Dials (or keeps) the cloud; resolves with whether it is connected, and a release function. */
  async acquire(): Promise<{ connected: boolean; release: () => void }> {
    this.#users++;
    if (this.#hangupTimer) {
      this.#hangupTimer.cancel();
      this.#hangupTimer = null;
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#users--;
      if (this.#users === 0 && !this.#mesh.cloudConnected()) {
        // Nothing connected to keep warm. A dial left wanted would stay parked: Hyperswarm retries a
        // seeder whose attempts failed on its own timer (up to 10 minutes once four failed), and
        // only a fresh join queues it again. In validation-8 a printer whose dial had failed sat
        // through two more 15 s dial timeouts until its idle hang-up; the fresh dial after that
        // connected in 8 ms, and the whole venue had waited 40 s for that printer's share.
        this.#mesh.hangUpCloud();
      } else if (this.#users === 0) {
        this.#hangupTimer = this.#clock
          .setTimeout(() => {
            this.#hangupTimer = null;
            if (this.#users === 0) this.#mesh.hangUpCloud();
          }, CLOUD_IDLE_HANGUP_MS)
          .unref();
      }
    };
    try {
      return { connected: await this.#mesh.dialCloud(), release };
    } catch (err) {
      release();
      throw err;
    }
  }

  /** Hangs up now unless someone uses the connection: LAN phases must not run with the cloud attached. */
  hangUpIfIdle(): void {
    if (this.#users > 0) return;
    if (this.#hangupTimer) this.#hangupTimer.cancel();
    this.#hangupTimer = null;
    this.#mesh.hangUpCloud();
  }

  close(): void {
    if (this.#hangupTimer) this.#hangupTimer.cancel();
    this.#hangupTimer = null;
  }
}
