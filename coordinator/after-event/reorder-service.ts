import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import {
  type AfterEventPriceList,
  defaultAfterEventPriceList,
  isQuoteProblem,
  MAX_REORDER_LINES,
  MAX_REORDER_QUANTITY,
  PRODUCT_IDS,
  PRODUCTS,
  type QuoteProblem,
  quoteReorder,
  type ReorderQuote,
} from '../../shared/policy/after-event-pricing.ts';
import type { ReorderState } from '../../shared/policy/order-state.ts';
import { checkAddress, type ShippingAddress } from '../../shared/policy/shipping-address.ts';
import { randomId } from '../../shared/ports/random.ts';
import type { CoordinatorDeps } from '../deps.ts';
import type { PaymentWebhookEvent } from '../payment/port.ts';
import type { EventRecord, OrderRecord } from '../store/records.ts';
import { type AfterEventDeps, DAY_MS } from './deps.ts';
import { newGrants } from './downloads.ts';
import { type AfterEventSettings, type LabJobRecord, REORDER_ID_PREFIX, type ReorderRecord } from './records.ts';

/** A venue order whose photos the fan may reorder (and take as "all my photos"). */
const SOURCE_STATES: ReadonlySet<string> = new Set(['paid', 'redeeming', 'fulfilled']);
/** States in which the parcel is somewhere between the shop and the fan. */
export const SHIPPING_IN_FLIGHT: readonly ReorderState[] = ['paid', 'sent_to_lab', 'in_production'];

export const reorderInput = z
  .object({
    eventId: z.string().min(1).max(64),
    sourceOrderId: z.string().min(1).max(64).nullable().default(null),
    lines: z
      .array(
        z
          .object({
            imageId: z.string().min(1).max(64),
            productId: z.enum(PRODUCT_IDS),
            quantity: z.number().int().min(1).max(MAX_REORDER_QUANTITY),
          })
          .strict(),
      )
      .max(MAX_REORDER_LINES)
      .default([]),
    bundle: z.boolean().default(false),
    shippingMethodId: z.string().min(1).max(40).nullable().default(null),
    address: z.record(z.string(), z.string().max(500)).nullable().default(null),
  })
  .strict();
export type ReorderInput = z.infer<typeof reorderInput>;

export const afterEventSettingsInput = z
  .object({
    reorderWindowDays: z.number().int().min(0).max(365),
    priceList: z
      .object({
        currency: z.string().regex(/^[A-Z]{3}$/),
        products: z.partialRecord(z.enum(PRODUCT_IDS), z.number().int().min(0).max(10_000_000)),
        bundlePriceCents: z.number().int().min(0).max(10_000_000).nullable(),
        shipping: z
          .array(
            z
              .object({
                id: z.string().regex(/^[a-z0-9_-]{1,40}$/),
                label: z.string().min(1).max(120),
                feeCents: z.number().int().min(0).max(1_000_000),
                countries: z.array(z.string().regex(/^[A-Z]{2}$/)).max(250),
              })
              .strict(),
          )
          .max(10),
        taxBasisPoints: z.number().int().min(0).max(10_000),
      })
      .strict(),
  })
  .strict();

type Deps = CoordinatorDeps & { afterEvent: AfterEventDeps };

function problemMessage(p: QuoteProblem): string {
  switch (p.problem) {
    case 'empty':
      return 'Choose at least one print or digital file.';
    case 'product_not_offered':
      return `This event does not offer ${PRODUCTS[p.productId as keyof typeof PRODUCTS]?.label ?? p.productId}.`;
    case 'bad_quantity':
      return `Quantities are 1 to ${MAX_REORDER_QUANTITY}.`;
    case 'too_many_lines':
      return `At most ${MAX_REORDER_LINES} lines in one order.`;
    case 'bundle_not_offered':
      return 'The "all my photos" bundle is not offered here (it needs your original order).';
    case 'shipping_required':
      return 'Prints are shipped: choose a shipping method and country.';
    case 'shipping_not_available':
      return `"${p.methodId}" does not ship to ${p.country}; choose another shipping method.`;
  }
}

/** Reorders after the event: settings, quotes, checkout, payment, the fan's page, erasure, operator actions. */
export class ReorderService {
  readonly #d: Deps;

  constructor(deps: Deps) {
    this.#d = deps;
  }

  get #r() {
    return this.#d.afterEvent.reorders;
  }

  async settingsFor(event: EventRecord): Promise<AfterEventSettings> {
    return (
      (await this.#r.getSettings(event.id)) ?? {
        eventId: event.id,
        reorderWindowDays: this.#d.afterEvent.config.defaultReorderWindowDays,
        priceList: defaultAfterEventPriceList(event.priceList.currency),
        mastersPurgedAt: null,
      }
    );
  }

  async setSettings(eventId: string, input: z.infer<typeof afterEventSettingsInput>): Promise<AfterEventSettings> {
    const event = await this.#event(eventId);
    const current = await this.settingsFor(event);
    const next: AfterEventSettings = { ...current, ...input, priceList: input.priceList as AfterEventPriceList };
    await this.#r.putSettings(next);
    return next;
  }

  /** When reorders close: the event's end plus its window. */
  closesAt(event: EventRecord, settings: AfterEventSettings): number {
    return event.endsAt + settings.reorderWindowDays * DAY_MS;
  }

  async isOpen(event: EventRecord): Promise<boolean> {
    const s = await this.settingsFor(event);
    return s.mastersPurgedAt === null && this.#d.clock.now() < this.closesAt(event, s);
  }

  async #event(eventId: string): Promise<EventRecord> {
    const event = await this.#d.store.getEvent(eventId);
    if (!event) throw new AppError('event_not_found', 'This event does not exist.');
    return event;
  }

  /** The venue order a reorder starts from, checked against the event. */
  async sourceOrder(orderId: string | null, event: EventRecord): Promise<OrderRecord | null> {
    if (!orderId) return null;
    const order = await this.#d.store.getOrder(orderId);
    if (!order || order.eventId !== event.id || !SOURCE_STATES.has(order.state)) {
      throw new AppError('order_not_found', 'This order does not exist for this event.');
    }
    return order;
  }

  async quote(
    input: ReorderInput,
  ): Promise<{ quote: ReorderQuote; event: EventRecord; address: ShippingAddress | null }> {
    const event = await this.#event(input.eventId);
    if (!(await this.isOpen(event))) throw new AppError('reorder_window_closed');
    const settings = await this.settingsFor(event);
    const source = await this.sourceOrder(input.sourceOrderId, event);
    for (const imageId of new Set(input.lines.map((l) => l.imageId))) {
      const image = await this.#d.store.getImage(imageId);
      if (!image || image.eventId !== event.id) {
        throw new AppError('image_not_in_event', `Image ${imageId} is not for sale at this event.`, { imageId });
      }
    }
    if (input.bundle && !source)
      throw new AppError('reorder_invalid', problemMessage({ problem: 'bundle_not_offered' }));
    const bundleImageIds = input.bundle && source ? [...new Set(source.items.map((i) => i.imageId))] : null;
    let address: ShippingAddress | null = null;
    const needsShipping = input.lines.some((l) => PRODUCTS[l.productId].kind !== 'digital');
    if (needsShipping) {
      const checked = checkAddress(input.address ?? {});
      if (checked.problems.length > 0) {
        throw new AppError(
          'address_invalid',
          `Check the address: ${checked.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}.`,
          { problems: checked.problems },
        );
      }
      address = checked.address;
    }
    const quote = quoteReorder(settings.priceList, {
      lines: input.lines,
      bundleImageIds,
      shippingMethodId: input.shippingMethodId,
      country: address?.country ?? null,
    });
    if (isQuoteProblem(quote)) throw new AppError('reorder_invalid', problemMessage(quote), { problem: quote.problem });
    return { quote, event, address };
  }

  async place(input: ReorderInput): Promise<{ reorder: ReorderRecord; checkoutUrl: string }> {
    const { clock, random, payments, settings } = this.#d;
    const { quote, event, address } = await this.quote(input);
    const id = `${REORDER_ID_PREFIX}${randomId(random, 16)}`;
    const count = quote.lines.reduce((n, l) => n + l.quantity, 0) + (quote.bundle ? 1 : 0);
    const session = await payments.createCheckout({
      orderId: id,
      amountCents: quote.totalCents,
      currency: quote.currency,
      description: `${count} item(s) from ${event.name}, ordered after the event`,
      returnUrl: `${settings.publicUrl}/r/${id}`,
    });
    const reorder: ReorderRecord = {
      id,
      eventId: event.id,
      venueId: event.venueId,
      sourceOrderId: input.sourceOrderId,
      lines: quote.lines,
      bundle: quote.bundle,
      currency: quote.currency,
      goodsCents: quote.goodsCents,
      shippingCents: quote.shipping?.feeCents ?? 0,
      taxCents: quote.taxCents,
      totalCents: quote.totalCents,
      labPartCents: quote.labPartCents,
      needsShipping: quote.needsShipping,
      shippingMethod: quote.shipping ? { methodId: quote.shipping.methodId, label: quote.shipping.label } : null,
      address,
      state: 'awaiting_payment',
      paymentSessionId: session.sessionId,
      checkoutUrl: session.checkoutUrl,
      createdAt: clock.now(),
      paidAt: null,
      sentToLabAt: null,
      inProductionAt: null,
      printedAt: null,
      shippedAt: null,
      deliveredAt: null,
      carrier: null,
      trackingNumber: null,
      rejectedAt: null,
      rejectReason: null,
      refundedAt: null,
      refundId: null,
      refundCents: null,
      addressErasedAt: null,
      erasedAt: null,
    };
    await this.#r.insertReorder(reorder);
    return { reorder, checkoutUrl: session.checkoutUrl };
  }

  /**
   * A verified payment webhook for a reorder. Paying writes, in one transaction, the state, the lab
   * job (outbox) and the download grants: a crash before it makes the gateway retry; after it,
   * everything the payment promised is on disk.
   */
  async applyPayment(event: PaymentWebhookEvent): Promise<{ received: true; duplicate: boolean; state: string }> {
    const { store, clock, random, logger } = this.#d;
    const reorder = await this.#r.getReorder(event.orderId);
    if (!reorder || reorder.paymentSessionId !== event.sessionId) {
      throw new AppError('order_not_found', 'The webhook names an order or session this shop does not know.');
    }
    if (event.amountCents !== reorder.totalCents || event.currency !== reorder.currency) {
      logger.warn({ reorderId: reorder.id, eventId: event.id }, 'reorder payment amount does not match');
      throw new AppError('amount_mismatch', 'The paid amount does not match the order total.');
    }
    let next: ReorderRecord | null = null;
    if (event.type === 'payment.succeeded') {
      const paidAt = event.createdAt;
      const job: LabJobRecord | undefined = reorder.needsShipping ? newLabJob(reorder.id, 1, clock.now()) : undefined;
      const grants = newGrants(random, reorder, paidAt, this.#d.afterEvent.config);
      next = await this.#r.transitionReorder(
        reorder.id,
        'payment_succeeded',
        { paidAt },
        { ...(job ? { enqueueJob: job } : {}), grants },
      );
      // Downloads only: nothing to ship, the order is delivered with its links.
      const paid = next ?? (await this.#r.getReorder(reorder.id));
      if (paid && !paid.needsShipping && paid.state === 'paid') {
        next = await this.#r.transitionReorder(reorder.id, 'digital_delivered', { deliveredAt: paidAt });
      }
    } else {
      next = await this.#r.transitionReorder(
        reorder.id,
        event.type === 'payment.failed' ? 'payment_failed' : 'payment_cancelled',
      );
    }
    const firstTime = await store.recordPaymentEvent({
      id: event.id,
      orderId: reorder.id,
      type: event.type,
      receivedAt: clock.now(),
    });
    const current = next ?? (await this.#r.getReorder(reorder.id));
    return { received: true, duplicate: !firstTime, state: current?.state ?? reorder.state };
  }

  async get(id: string): Promise<ReorderRecord> {
    const r = id.startsWith(REORDER_ID_PREFIX) ? await this.#r.getReorder(id) : null;
    if (!r) throw new AppError('reorder_not_found');
    return r;
  }

  /** The fan's "erase my data": address and links go now; amounts and dates stay for the accounts. */
  async erase(id: string): Promise<ReorderRecord> {
    const r = await this.get(id);
    if (r.needsShipping && SHIPPING_IN_FLIGHT.includes(r.state)) throw new AppError('reorder_in_flight');
    const now = this.#d.clock.now();
    await this.#r.revokeGrants(r.id, now);
    return (await this.#r.patchReorder(r.id, {
      address: null,
      addressErasedAt: r.address ? now : r.addressErasedAt,
      erasedAt: now,
    })) as ReorderRecord;
  }

  /** Order more / digital file are offered on the order page while the window is open. */
  async offerFor(order: OrderRecord): Promise<{ open: boolean; closesAt: number; reorders: ReorderRecord[] } | null> {
    const event = await this.#d.store.getEvent(order.eventId);
    if (!event || !SOURCE_STATES.has(order.state)) return null;
    const settings = await this.settingsFor(event);
    const reorders = (await this.#r.listReorders({ sourceOrderId: order.id }, 50)).filter(
      (r) => r.state !== 'awaiting_payment' && r.state !== 'cancelled',
    );
    return { open: await this.isOpen(event), closesAt: this.closesAt(event, settings), reorders };
  }
}

export function labJobId(reorderId: string, generation: number): string {
  return `${reorderId}.${generation}`;
}

export function reorderIdOfJob(jobId: string): string {
  return jobId.slice(0, jobId.lastIndexOf('.'));
}

export function newLabJob(reorderId: string, generation: number, now: number): LabJobRecord {
  return {
    id: labJobId(reorderId, generation),
    reorderId,
    generation,
    state: 'pending',
    attempts: 0,
    nextAttemptAt: now,
    leaseUntil: 0,
    lastError: null,
    labRef: null,
    createdAt: now,
    handedOffAt: null,
  };
}
