import type { Logger } from 'pino';
import { AppError, isAppError } from '../../shared/errors.ts';
import { Resource } from '../../shared/lifecycle/resource.ts';
import { retryDelayMs } from '../../shared/policy/backoff.ts';
import type { Clock, Timer } from '../../shared/ports/clock.ts';
import type { Random } from '../../shared/ports/random.ts';
import { buildLabPackage } from '../lab/package-builder.ts';
import type { LabPort, LabStatusUpdate } from '../lab/port.ts';
import { mediaKey } from '../media/media-keys.ts';
import type { PaymentGateway } from '../payment/port.ts';
import type { Store } from '../store/port.ts';
import type { ReorderRecord } from './records.ts';
import { reorderIdOfJob } from './reorder-service.ts';
import type { ReorderStore } from './store-port.ts';

export const LAB_POLL_MS = 1_000;
/** A hand-off not finished in this time (the process died) may be taken by another process. */
export const LAB_LEASE_MS = 60_000;
export const LAB_RETRY = { baseMs: 5_000, maxMs: 30 * 60_000, jitter: 0.2 } as const;
/** After this many failed attempts the job waits for an operator ("resend"). */
export const MAX_LAB_ATTEMPTS = 12;
const JOBS_PER_ROUND = 20;

export interface LabDispatcherDeps {
  store: Store;
  reorders: ReorderStore;
  lab: LabPort;
  payments: PaymentGateway;
  clock: Clock;
  random: Random;
  logger: Logger;
}

/**
 * The idempotency key of every refund of a reorder (the automatic one of a rejected lab job and an
 * operator's): one key per reorder, so however the two race, the provider refunds once.
 */
export function refundKey(reorderId: string): string {
  return `refund:${reorderId}`;
}

/**
 * Moves paid reorders to the lab and the lab's news back to the orders. Each round: hands off due
 * outbox jobs (leased, retried with backoff), applies the lab's status reports (state machine, so a
 * report read twice changes nothing twice), and refunds rejected jobs through the gateway (idempotent
 * on the reorder, so a crash between refund and bookkeeping never refunds twice).
 */
export class LabDispatcher extends Resource {
  readonly #d: LabDispatcherDeps;
  readonly #pollMs: number;
  #timer: Timer | null = null;
  #running: Promise<void> | null = null;

  constructor(deps: LabDispatcherDeps, opts: { pollMs?: number } = {}) {
    super();
    this.#d = deps;
    this.#pollMs = opts.pollMs ?? LAB_POLL_MS;
  }

  protected async _open(): Promise<void> {
    this.#timer = this.#d.clock.setInterval(() => {
      void this.runOnce().catch((err) => this.#d.logger.error({ err }, 'lab round failed; retried next round'));
    }, this.#pollMs);
    this.#timer.unref();
    this.defer(async () => {
      this.#timer?.cancel();
      await this.#running?.catch(() => undefined);
    });
  }

  /** One round; a round already running is joined, not doubled. */
  runOnce(): Promise<void> {
    this.#running ??= this.#round().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #round(): Promise<void> {
    await this.dispatchDue();
    await this.applyStatuses();
    await this.refundRejected();
  }

  async dispatchDue(): Promise<number> {
    const { reorders, lab, clock, store, logger, random } = this.#d;
    const jobs = await reorders.leaseDueLabJobs(clock.now(), LAB_LEASE_MS, JOBS_PER_ROUND);
    let sent = 0;
    for (const job of jobs) {
      const reorder = await reorders.getReorder(job.reorderId);
      // Shipped by hand, refunded or erased meanwhile: nothing to send.
      if (!reorder || !['paid', 'sent_to_lab', 'in_production'].includes(reorder.state) || !reorder.address) {
        await reorders.cancelLabJob(job.id);
        continue;
      }
      try {
        const event = await store.getEvent(reorder.eventId);
        const pkg = await buildLabPackage(reorder, job, event?.name ?? reorder.eventId, {
          master: async (imageId) => {
            const [media, image] = await Promise.all([
              store.getMedia(mediaKey.master(imageId)),
              store.getImage(imageId),
            ]);
            return media && image ? { bytes: media.bytes, width: image.width, height: image.height } : null;
          },
        });
        const { labRef } = await lab.submit(pkg);
        await reorders.completeLabJob(job.id, labRef, clock.now());
        sent++;
      } catch (err) {
        if (!isAppError(err)) throw err;
        const attempt = job.attempts + 1;
        const next =
          attempt >= MAX_LAB_ATTEMPTS
            ? null
            : clock.now() + retryDelayMs(attempt, LAB_RETRY, random.bytes(1)[0]! / 256);
        logger.warn({ jobId: job.id, attempt, err: err.message, next }, 'lab hand-off failed');
        await reorders.retryLabJob(job.id, err.message, next);
      }
    }
    return sent;
  }

  async applyStatuses(): Promise<number> {
    const { lab } = this.#d;
    let applied = 0;
    for (const update of await lab.pendingStatuses()) {
      await this.#apply(update);
      await lab.acknowledge(update.receipt);
      applied++;
    }
    return applied;
  }

  async #apply(u: LabStatusUpdate): Promise<void> {
    const { reorders, logger } = this.#d;
    const id = reorderIdOfJob(u.jobId);
    const r = await reorders.getReorder(id);
    if (!r) {
      logger.warn({ jobId: u.jobId }, 'lab reported a job this coordinator does not know');
      return;
    }
    switch (u.status) {
      case 'accepted':
        await reorders.transitionReorder(id, 'lab_accepted', { inProductionAt: u.at });
        return;
      case 'printed':
        await reorders.transitionReorder(id, 'lab_accepted', { inProductionAt: u.at });
        if (r.printedAt === null) await reorders.patchReorder(id, { printedAt: u.at });
        return;
      case 'shipped':
        await reorders.transitionReorder(id, 'lab_shipped', {
          shippedAt: u.at,
          carrier: u.carrier ?? null,
          trackingNumber: u.trackingNumber ?? null,
        });
        return;
      case 'delivered':
        await reorders.transitionReorder(id, 'delivered', { deliveredAt: u.at });
        return;
      case 'rejected':
        await reorders.transitionReorder(id, 'lab_rejected', {
          rejectedAt: u.at,
          rejectReason: u.reason ?? 'no reason given',
        });
        return;
    }
  }

  /** Rejected jobs: the lab's part of the money goes back, once. */
  async refundRejected(): Promise<number> {
    const { reorders } = this.#d;
    let n = 0;
    for (const r of await reorders.listReorders({ states: ['rejected'] }, JOBS_PER_ROUND)) {
      if (await this.refund(r, r.labPartCents, refundKey(r.id), `lab rejected: ${r.rejectReason}`)) n++;
    }
    return n;
  }

  /** Refunds through the gateway (idempotent on `key`), then records it with the state change. */
  async refund(r: ReorderRecord, amountCents: number, key: string, reason: string): Promise<boolean> {
    const { payments, reorders, clock, logger } = this.#d;
    if (!r.paymentSessionId) throw new AppError('reorder_not_refundable', 'This order was never paid.');
    let refundId: string;
    try {
      ({ refundId } = await payments.refund({
        sessionId: r.paymentSessionId,
        orderId: r.id,
        amountCents,
        currency: r.currency,
        reason,
        idempotencyKey: key,
      }));
    } catch (err) {
      if (!isAppError(err)) throw err;
      logger.error({ err, reorderId: r.id }, 'refund failed; retried next round or by an operator');
      return false;
    }
    const done = await reorders.transitionReorder(r.id, 'refunded', {
      refundedAt: clock.now(),
      refundId,
      refundCents: amountCents,
    });
    return done !== null;
  }
}
