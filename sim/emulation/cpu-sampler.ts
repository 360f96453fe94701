/**
 * The edge nodes' CPU over an emulation run, read from /proc every second of wall time, so that the
 * CPU they spent while batches replicated can be told from what they spend idle (status answers,
 * DHT upkeep): the printers' CPU per replicated MB, as the scenario's printer model states it.
 */
import type { Clock } from '../../shared/ports/clock.ts';
import { cpuSecondsOf } from '../../tools/venue-kit/process-cpu.ts';
import type { WallTimeline } from './wall-timeline.ts';

/** How often the printers' CPU is read, wall milliseconds. */
const CPU_SAMPLE_INTERVAL_MS = 1_000;

export class CpuSampler {
  /** Simulated seconds and the printers' CPU seconds then, together (from the first sample). */
  readonly #samples: Array<{ atS: number; cpuS: number }> = [];
  readonly #pids: readonly number[];
  readonly #timeline: WallTimeline;
  readonly #clock: Clock;
  readonly #stop = new AbortController();
  #loop: Promise<void> = Promise.resolve();

  constructor(pids: readonly number[], timeline: WallTimeline, clock: Clock) {
    this.#pids = pids;
    this.#timeline = timeline;
    this.#clock = clock;
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
  cpuSecondsDuring(windows: ReadonlyArray<{ fromS: number; toS: number }>): number {
    let total = 0;
    for (const w of windows) total += this.#at(w.toS, 'after') - this.#at(w.fromS, 'before');
    return total;
  }

  /** CPU seconds over the whole sampled run. */
  get totalCpuSeconds(): number {
    const s = this.#samples;
    return s.length < 2 ? 0 : s[s.length - 1]!.cpuS - s[0]!.cpuS;
  }

  /** The CPU reading of the last sample at or before t (`before`), or the first at or after it (`after`). */
  #at(t: number, side: 'before' | 'after'): number {
    const s = this.#samples;
    if (s.length === 0) return 0;
    if (side === 'before') {
      let v = s[0]!.cpuS;
      for (const x of s) if (x.atS <= t) v = x.cpuS;
      return v;
    }
    for (const x of s) if (x.atS >= t) return x.cpuS;
    return s[s.length - 1]!.cpuS;
  }

  async #sample(): Promise<void> {
    // A node that has exited has no /proc entry: the run fails on it elsewhere (run-emulation.ts).
    const atS = this.#timeline.simNow();
    const cpuS = await cpuSecondsOf(this.#pids).catch(() => null);
    if (cpuS !== null) this.#samples.push({ atS, cpuS });
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      await this.#clock.sleep(CPU_SAMPLE_INTERVAL_MS, signal).catch(() => {});
      if (!signal.aborted) await this.#sample();
    }
  }
}
