import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import type { ReorderState } from '../../shared/policy/order-state.ts';
import type { CoordinatorDeps } from '../deps.ts';
import type { AfterEventDeps } from './deps.ts';
import { type LabDispatcher, refundKey } from './lab-dispatcher.ts';
import type { LabJobRecord, ReorderRecord } from './records.ts';
import { newLabJob } from './reorder-service.ts';

/** Reorders listed per state on the fulfilment page. */
export const MAX_FULFILMENT_LISTED = 200;
/** The states an operator works through, in the order the page shows them. */
export const FULFILMENT_VIEW_STATES: readonly ReorderState[] = [
  'paid',
  'sent_to_lab',
  'in_production',
  'rejected',
  'shipped',
  'delivered',
  'refunded',
];

export const shipInput = z
  .object({
    carrier: z.string().trim().min(1).max(60),
    trackingNumber: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9-]{4,40}$/, '4 to 40 letters, digits or dashes'),
  })
  .strict();

type Deps = Pick<CoordinatorDeps, 'clock' | 'payments' | 'logger'> & { afterEvent: AfterEventDeps };

/** What operators do with reorders: list by state (oldest first), resend, ship by hand, refund, deliver. */
export class FulfilmentService {
  readonly #d: Deps;
  readonly #dispatcher: LabDispatcher;

  constructor(deps: Deps, dispatcher: LabDispatcher) {
    this.#d = deps;
    this.#dispatcher = dispatcher;
  }

  get #r() {
    return this.#d.afterEvent.reorders;
  }

  async #get(id: string): Promise<ReorderRecord> {
    const r = await this.#r.getReorder(id);
    if (!r) throw new AppError('reorder_not_found');
    return r;
  }

  async byState(): Promise<
    Array<{ state: ReorderState; reorders: Array<{ reorder: ReorderRecord; jobs: LabJobRecord[] }> }>
  > {
    const out = [];
    for (const state of FULFILMENT_VIEW_STATES) {
      const reorders = await this.#r.listReorders({ states: [state] }, MAX_FULFILMENT_LISTED);
      out.push({
        state,
        reorders: await Promise.all(
          reorders.map(async (reorder) => ({ reorder, jobs: await this.#r.listLabJobs(reorder.id) })),
        ),
      });
    }
    return out;
  }

  /** A new hand-off (next generation): the lab lost the package, or the job failed for good. */
  async resend(id: string): Promise<LabJobRecord> {
    const r = await this.#get(id);
    if (!r.needsShipping || !['paid', 'sent_to_lab', 'in_production'].includes(r.state)) {
      throw new AppError('reorder_not_refundable', 'Only paid orders with prints that have not shipped can be resent.');
    }
    const jobs = await this.#r.listLabJobs(id);
    for (const j of jobs) if (j.state === 'pending' || j.state === 'failed') await this.#r.cancelLabJob(j.id);
    const generation = Math.max(0, ...jobs.map((j) => j.generation)) + 1;
    const job = newLabJob(id, generation, this.#d.clock.now());
    await this.#r.insertLabJob(job);
    return job;
  }

  /** Self-fulfilment: staff posted it themselves. */
  async markShipped(id: string, input: z.infer<typeof shipInput>): Promise<ReorderRecord> {
    const r = await this.#get(id);
    const next = await this.#r.transitionReorder(id, 'lab_shipped', {
      shippedAt: this.#d.clock.now(),
      carrier: input.carrier,
      trackingNumber: input.trackingNumber,
    });
    if (!next)
      throw new AppError(
        'reorder_not_refundable',
        `An order that is ${r.state.replace(/_/g, ' ')} cannot be marked shipped.`,
      );
    for (const j of await this.#r.listLabJobs(id))
      if (j.state === 'pending' || j.state === 'failed') await this.#r.cancelLabJob(j.id);
    return next;
  }

  async markDelivered(id: string): Promise<ReorderRecord> {
    const next = await this.#r.transitionReorder(id, 'delivered', { deliveredAt: this.#d.clock.now() });
    if (!next) throw new AppError('reorder_not_refundable', 'Only shipped orders can be marked delivered.');
    return next;
  }

  /** The whole amount back (idempotent on the reorder), digital links withdrawn. */
  async refund(id: string): Promise<ReorderRecord> {
    const r = await this.#get(id);
    if (!['paid', 'sent_to_lab', 'in_production', 'rejected'].includes(r.state)) {
      throw new AppError('reorder_not_refundable');
    }
    // A rejected job is refunded as the automatic refund would (the prints' part); one key per reorder either way.
    const ok =
      r.state === 'rejected'
        ? await this.#dispatcher.refund(r, r.labPartCents, refundKey(r.id), `lab rejected: ${r.rejectReason}`)
        : await this.#dispatcher.refund(r, r.totalCents, refundKey(r.id), 'refunded by an operator');
    if (!ok) throw new AppError('refund_failed');
    await this.#r.revokeGrants(r.id, this.#d.clock.now());
    for (const j of await this.#r.listLabJobs(id))
      if (j.state === 'pending' || j.state === 'failed') await this.#r.cancelLabJob(j.id);
    return this.#get(id);
  }
}
