/**
 * The edge nodes' CPU over an emulation run, read from /proc every second of wall time, so that the
 * CPU they spent while batches replicated can be told from what they spend idle (status answers,
 * DHT upkeep): the printers' CPU per replicated MB, as the scenario's printer model states it. The
 * host's CPU is read with it: on one shared host the printers had only the cores the coordinator,
 * the run's driver and the kernel left them.
 */
import type { Clock } from '../../shared/ports/clock.ts';
import { cpuSecondsOf, type HostCpuTicks, hostCpuTicks, USER_HZ } from '../../tools/venue-kit/process-cpu.ts';
import type { WallTimeline } from './wall-timeline.ts';

/** How often the printers' CPU is read, wall milliseconds. */
const CPU_SAMPLE_INTERVAL_MS = 1_000;

/** A stretch of the run, in simulated seconds. */
export type RunWindow = { fromS: number; toS: number };

interface Sample {
  /** Simulated seconds. */
  atS: number;
  /** The printers' CPU seconds, together. */
  cpuS: number;
  /** The host's CPU then (null: /proc/stat could not be read). */
  host: HostCpuTicks | null;
}

/** What the host's CPUs did over some windows, in cores (CPU seconds per wall second). */
export interface HostCoresUsed {
  cpus: number;
  /** Used by everything but the printers: the coordinator, the run's driver, the kernel's softirq. */
  otherCores: number;
}

export class CpuSampler {
  readonly #samples: Sample[] = [];
  readonly #pids: readonly number[];
  readonly #timeline: WallTimeline;
  readonly #clock: Clock;
  readonly #readHost: () => Promise<HostCpuTicks>;
  readonly #readPrinters: (pids: readonly number[]) => Promise<number>;
  readonly #stop = new AbortController();
  #loop: Promise<void> = Promise.resolve();

  constructor(
    pids: readonly number[],
    timeline: WallTimeline,
    clock: Clock,
    opts: {
      /** The host's CPU ticks (default: /proc/stat). */
      readHost?: () => Promise<HostCpuTicks>;
      /** The printers' CPU seconds together (default: their /proc/<pid>/stat). */
      readPrinters?: (pids: readonly number[]) => Promise<number>;
    } = {},
  ) {
    this.#pids = pids;
    this.#timeline = timeline;
    this.#clock = clock;
    this.#readHost = opts.readHost ?? hostCpuTicks;
    this.#readPrinters = opts.readPrinters ?? cpuSecondsOf;
  }

  /** Starts sampling; resolves once the first sample is taken. */
  start(): Promise<void> {
    const first = this.#sample();
    this.#loop = first.then(() => this.#run());
    return first;
  }

  /** Stops sampling after one last sample. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    await this.#sample();
  }

  /** CPU seconds used between the samples around [fromS, toS] (simulated seconds), every window summed. */
  cpuSecondsDuring(windows: readonly RunWindow[]): number {
    if (this.#samples.length === 0) return 0;
    let total = 0;
    for (const w of windows) total += this.#at(w.toS, 'after').cpuS - this.#at(w.fromS, 'before').cpuS;
    return total;
  }

  /**
   * The host's CPUs over the windows (between the samples around each); null without two samples or
   * a reading of the host at either end of a window.
   */
  hostCoresDuring(windows: readonly RunWindow[]): HostCoresUsed | null {
    if (this.#samples.length < 2 || windows.length === 0) return null;
    let wallS = 0;
    let otherS = 0;
    let cpus = 0;
    for (const w of windows) {
      const from = this.#at(w.fromS, 'before');
      const to = this.#at(w.toS, 'after');
      if (!from.host || !to.host) return null;
      cpus = to.host.cpus;
      // Ticks of every CPU ÷ CPUs = the window's wall time; busy ticks are CPU time.
      wallS += (to.host.total - from.host.total) / USER_HZ / cpus;
      otherS += (to.host.busy - from.host.busy) / USER_HZ - (to.cpuS - from.cpuS);
    }
    return wallS > 0 ? { cpus, otherCores: Math.max(0, otherS / wallS) } : null;
  }

  /** CPU seconds over the whole sampled run. */
  get totalCpuSeconds(): number {
    const s = this.#samples;
    return s.length < 2 ? 0 : s[s.length - 1]!.cpuS - s[0]!.cpuS;
  }

  /** The last sample at or before t (`before`), or the first at or after it (`after`); needs one. */
  #at(t: number, side: 'before' | 'after'): Sample {
    const s = this.#samples;
    if (side === 'before') {
      let v = s[0]!;
      for (const x of s) if (x.atS <= t) v = x;
      return v;
    }
    for (const x of s) if (x.atS >= t) return x;
    return s[s.length - 1]!;
  }

  async #sample(): Promise<void> {
    // A node that has exited has no /proc entry: the run fails on it elsewhere (run-emulation.ts).
    const atS = this.#timeline.simNow();
    const cpuS = await this.#readPrinters(this.#pids).catch(() => null);
    if (cpuS === null) return;
    // Without the host's figures the run still has the printers' (hostCoresDuring says null).
    this.#samples.push({ atS, cpuS, host: await this.#readHost().catch(() => null) });
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      await this.#clock.sleep(CPU_SAMPLE_INTERVAL_MS, signal).catch(() => {});
      if (!signal.aborted) await this.#sample();
    }
  }
}
