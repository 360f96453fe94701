import type { Clock, Timer } from '../../shared/ports/clock.ts';
import type { LabStatusKind } from '../../shared/protocol/lab-manifest.ts';
import type { LabPackage, LabPort, LabStatusUpdate } from './port.ts';

export type TestLabOutcome = { kind: 'ship'; carrier: string } | { kind: 'reject'; reason: string };

export interface TestLabOptions {
  clock: Clock;
  /** 'auto' plays accepted → printed → shipped (or rejected) by itself; 'manual' waits for report(). */
  mode: 'auto' | 'manual';
  /** What happens to a job in auto mode; ships with "Test Post" by default. */
  outcome?: (pkg: LabPackage) => TestLabOutcome;
  /** Auto mode: delay before each step. */
  stepMs?: number;
}

export const TEST_LAB_STEP_MS = 2_000;

/**
 * A lab for the demo and tests: it keeps what it received in memory, counts every submit (so a
 * test sees a duplicate hand-off), and reports statuses by itself on the Clock or when told to.
 */
export class TestLab implements LabPort {
  readonly name = 'test';
  readonly #opts: TestLabOptions;
  readonly #jobs = new Map<string, LabPackage>();
  readonly #statuses: LabStatusUpdate[] = [];
  readonly #timers = new Set<Timer>();
  #receipts = 0;
  #trackingSeq = 0;
  /** Every call of submit, duplicates included. */
  submitCalls = 0;

  constructor(opts: TestLabOptions) {
    this.#opts = opts;
  }

  get received(): ReadonlyMap<string, LabPackage> {
    return this.#jobs;
  }

  async submit(pkg: LabPackage): Promise<{ labRef: string }> {
    this.submitCalls++;
    const jobId = pkg.manifest.jobId;
    if (this.#jobs.has(jobId)) return { labRef: `test-lab/${jobId}` };
    this.#jobs.set(jobId, pkg);
    if (this.#opts.mode === 'auto') this.#play(pkg);
    return { labRef: `test-lab/${jobId}` };
  }

  #play(pkg: LabPackage): void {
    const outcome = this.#opts.outcome?.(pkg) ?? { kind: 'ship', carrier: 'Test Post' };
    const step = this.#opts.stepMs ?? TEST_LAB_STEP_MS;
    const jobId = pkg.manifest.jobId;
    const steps: Array<() => void> =
      outcome.kind === 'reject'
        ? [() => this.report(jobId, 'rejected', { reason: outcome.reason })]
        : [
            () => this.report(jobId, 'accepted'),
            () => this.report(jobId, 'printed'),
            () =>
              this.report(jobId, 'shipped', { carrier: outcome.carrier, trackingNumber: this.nextTrackingNumber() }),
          ];
    steps.forEach((fn, i) => {
      const timer = this.#opts.clock.setTimeout(
        () => {
          this.#timers.delete(timer);
          fn();
        },
        step * (i + 1),
      );
      this.#timers.add(timer);
    });
  }

  nextTrackingNumber(): string {
    this.#trackingSeq++;
    return `TL${String(this.#trackingSeq).padStart(10, '0')}`;
  }

  /** What a lab operator does: reports a job's status. */
  report(
    jobId: string,
    status: LabStatusKind,
    extra: { carrier?: string; trackingNumber?: string; reason?: string } = {},
  ): void {
    this.#receipts++;
    this.#statuses.push({ receipt: `r${this.#receipts}`, jobId, status, at: this.#opts.clock.now(), ...extra });
  }

  async pendingStatuses(): Promise<LabStatusUpdate[]> {
    return [...this.#statuses];
  }

  async acknowledge(receipt: string): Promise<void> {
    const i = this.#statuses.findIndex((s) => s.receipt === receipt);
    if (i >= 0) this.#statuses.splice(i, 1);
  }

  async close(): Promise<void> {
    for (const t of this.#timers) t.cancel();
    this.#timers.clear();
  }
}
