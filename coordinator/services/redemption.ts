import { AppError } from '../../shared/errors.ts';
import { expandPrintUnits } from '../../shared/policy/order-state.ts';
import type { ConfirmPrintedAnswer, PrintUnitJob, RedeemJob } from '../../shared/protocol/printer-api.ts';
import {
  normalizeRedemptionCode,
  signRedemptionToken,
  verifyRedemptionToken,
} from '../../shared/token/redemption-token.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { orderFeedEntry, publishOrder } from '../feed/order-publication.ts';
import { claimQueuesFeed } from '../store/order-rules.ts';
import type { RedemptionClaim } from '../store/port.ts';
import type { EventRecord, OrderRecord, PrinterRecord } from '../store/records.ts';
import { recordPrintedUnits } from '../templates/template-pricing.ts';
import type { TemplateService } from '../templates/template-service.ts';
import { EventFeedCache } from './event-feed-cache.ts';
import { FailedCodeLimiter } from './failed-code-limiter.ts';
import { heldImages } from './held-images.ts';
import { redemptionExpiry } from './orders.ts';
import { orderView } from './projections.ts';

type ClaimedRedemption = Extract<RedemptionClaim, { outcome: 'claimed' }>;

/** What a printer presents: the scanned token, or the 8-character code typed from under the QR code. */
export type RedeemRequest = { token: string; code?: undefined } | { code: string; token?: undefined };

/**
 * The management unit: a printer presents a fan's code, the coordinator claims the order for that
 * printer exactly once, and tells it what to print, where each image sits in the feed, and which
 * images it is recorded as lacking. Printers confirm each print; the order is fulfilled when all are.
 */
export class RedemptionService {
  readonly #deps: CoordinatorDeps;
  /** Per process: wrong typed codes counted per printer (see FailedCodeLimiter). */
  readonly #failedCodes: FailedCodeLimiter;

  readonly #templates: TemplateService | null;
  /** Event feed descriptors, read once per process. */
  readonly #eventFeeds: EventFeedCache;

  constructor(deps: CoordinatorDeps, templates: TemplateService | null = null) {
    this.#deps = deps;
    this.#templates = templates;
    this.#eventFeeds = new EventFeedCache(deps.store, deps.feeds);
    this.#failedCodes = new FailedCodeLimiter({ clock: deps.clock, burst: deps.settings.wrongCodeBurst });
  }

  async #eventOf(order: OrderRecord): Promise<EventRecord> {
    const event = await this.#deps.store.getEvent(order.eventId);
    if (!event) throw new AppError('event_missing', 'The order’s event is missing.');
    return event;
  }

  async #printJob(claim: ClaimedRedemption, token: string): Promise<RedeemJob> {
    const { order } = claim;
    const feed = await this.#eventFeeds.descriptor(order.eventId);
    const holds = heldImages(claim.holdings);
    const held = new Set<string>();
    // Each image's part of the job once, shared by its copies. Plain literals, not `{ ...unit, … }`:
    // spreading the unit and adding fields cost ~7 µs per 3-unit job here (issue #16).
    const images = new Map<string, PrintUnitJob['image']>();
    order.items.forEach((item, i) => {
      const image = claim.images[i];
      if (image && holds(image)) held.add(item.imageId);
      images.set(
        item.imageId,
        image
          ? {
              sha256: image.sha256,
              byteLength: image.byteLength,
              width: image.width,
              height: image.height,
              mime: image.mime,
              feed: image.feed,
              seq: image.seq,
            }
          : null,
      );
    });
    const units = expandPrintUnits(order.items).map((u): PrintUnitJob => {
      const printed = order.printed[String(u.unit)] !== undefined;
      const lacking = !held.has(u.imageId);
      const image = images.get(u.imageId) ?? null;
      const { unit, imageId, copy, template } = u;
      return template === undefined
        ? { unit, imageId, copy, printed, lacking, image }
        : { unit, imageId, copy, template, printed, lacking, image };
    });
    // The token goes back too: a printer that was given a typed code keeps it to resume the order.
    return { order: orderView(order), feed, units, token };
  }

  /** The order code a scanned token carries; refuses forged, foreign and expired tokens. */
  #verifyToken(token: string): { code: string; token: string } {
    const { clock, tokenKeys, metrics } = this.#deps;
    const verified = verifyRedemptionToken(token, tokenKeys.publicKeys, clock.now());
    if (!verified.ok) {
      metrics.redemptions.inc({ outcome: `token_${verified.reason}` });
      throw new AppError(`token_${verified.reason}`, verified.message);
    }
    return { code: verified.claims.orderCode, token: normalizeRedemptionCode(token) };
  }

  /**
   * The order behind a typed code, for this printer's venue only, with the token its QR code
   * carries. Wrong codes are counted against the printer, so guessing codes is too slow to pay.
   * A printer over its budget gets `too_many_code_attempts` with `details.retryAfterSeconds`.
   */
  async #orderByCode(code: string, me: PrinterRecord): Promise<{ code: string; token: string }> {
    const { store, clock, tokenKeys, metrics } = this.#deps;
    const limited = (seconds: number, message: string) => {
      metrics.redemptions.inc({ outcome: 'code_rate_limited' });
      return new AppError('too_many_code_attempts', message, { retryAfterSeconds: seconds });
    };
    const busy = this.#failedCodes.busySeconds(me.id, me.venueId);
    if (busy !== null) {
      throw limited(
        busy,
        `This printer is still checking a code that matched no order; try again in ${busy} s, or scan the QR code instead.`,
      );
    }
    const order = await store.getOrderByCode(code);
    // An order of another venue is answered like an unknown code: otherwise every venue's orders would
    // be a target for guesses made at any printer. Only wrong codes are slowed; a right one goes through.
    if (!order || order.venueId !== me.venueId) {
      const slowed = await this.#failedCodes.wrongCode(me.id, me.venueId);
      if (slowed) {
        const seconds = slowed.retryAfterSeconds;
        throw limited(
          seconds,
          `Too many typed codes matched no order at this printer; check the code and try again in ${seconds} s, or scan the QR code instead.`,
        );
      }
      metrics.redemptions.inc({ outcome: order ? 'other_venue' : 'unknown_code' });
      throw new AppError('order_not_found', 'No order here has this code; check it against your order page.');
    }
    const expiresAt = redemptionExpiry(this.#deps, await this.#eventOf(order), order);
    if (clock.now() >= expiresAt) {
      metrics.redemptions.inc({ outcome: 'token_expired' });
      throw new AppError(
        'token_expired',
        `The code expired at ${new Date(expiresAt).toISOString()}; ask staff for help.`,
      );
    }
    return { code: order.code, token: signRedemptionToken(order.code, expiresAt, tokenKeys.current) };
  }

  /** Claims the order for `me` (or renews its claim) and answers with the print job. */
  async redeem(me: PrinterRecord, input: RedeemRequest): Promise<RedeemJob> {
    const { store, clock, settings, metrics } = this.#deps;
    const { code, token } =
      input.code !== undefined ? await this.#orderByCode(input.code, me) : this.#verifyToken(input.token);
    // One store step claims the order (refusing another venue's), reads its print job and, for a new
    // claim, queues the order for the venue's orders feed: one durable write where there were two.
    const claim = await store.redeemOrderByCode(
      code,
      me.id,
      me.venueId,
      clock.now(),
      settings.claimTtlMs,
      orderFeedEntry(this.#deps),
    );
    switch (claim.outcome) {
      case 'claimed':
        metrics.redemptions.inc({ outcome: 'claimed' });
        // The orders feed records who holds an order, not when the claim expires: a renewal by the
        // holder (claimedAt kept) changes nothing there, and a durable outbox write per renewal
        // was 30 % of the coordinator's CPU under sustained redemption load (BENCHMARKS.md).
        // A renewal is told by the holder and claimedAt it had before, not by claimedAt === now: a
        // renewal in the same millisecond as the claim (a fast retry, a frozen test clock) is one too
        // (issue #16: it cost bench:coordinator an unbatched fsync per request).
        if (claimQueuesFeed(claim)) this.#deps.feeds.notifyOrdersQueued(claim.order.venueId);
        return this.#printJob(claim, token);
      case 'other_venue':
        metrics.redemptions.inc({ outcome: 'other_venue' });
        throw new AppError('order_other_venue', 'This order is for another venue; it cannot be printed here.');
      case 'held_by_other': {
        metrics.redemptions.inc({ outcome: 'held_by_other' });
        const holder = claim.order.claim ? await store.getPrinter(claim.order.claim.printerId) : null;
        throw new AppError(
          'order_claimed_elsewhere',
          `This order is being printed at ${holder?.name ?? 'another printer'}.`,
          {
            printerId: claim.order.claim?.printerId,
            printerName: holder?.name ?? null,
            claimedAt: claim.order.claim?.claimedAt,
            expiresAt: claim.order.claim?.expiresAt,
          },
        );
      }
      case 'not_claimable': {
        metrics.redemptions.inc({ outcome: `state_${claim.order.state}` });
        if (claim.order.state === 'fulfilled') {
          const by = Object.values(claim.order.printed)[0]?.printerId;
          const holder = by ? await store.getPrinter(by) : null;
          throw new AppError(
            'order_already_printed',
            `This order was already printed${holder ? ` at ${holder.name}` : ''}.`,
            {
              printerId: by ?? null,
              printerName: holder?.name ?? null,
              fulfilledAt: claim.order.fulfilledAt,
            },
          );
        }
        throw new AppError('order_not_paid', 'This order has not been paid.', { state: claim.order.state });
      }
      case 'not_found':
        metrics.redemptions.inc({ outcome: 'unknown_order' });
        throw new AppError('order_not_found', 'The code is genuine but its order is unknown here.');
    }
  }

  /** A printer confirms one printed unit; the last one fulfils the order. */
  async confirmPrinted(me: PrinterRecord, orderId: string, unit: number): Promise<ConfirmPrintedAnswer> {
    const { store, clock, settings } = this.#deps;
    const result = await store.confirmPrinted(orderId, me.id, unit, clock.now(), settings.claimTtlMs);
    switch (result.outcome) {
      case 'confirmed':
        // Issue #14: a printed unit counts as one use of its template (a repeated confirmation: no-op).
        if (this.#templates) await recordPrintedUnits(this.#templates, result.order, [unit], me.id, clock.now());
        if (result.order.state === 'fulfilled') await publishOrder(this.#deps, result.order);
        return { order: orderView(result.order) };
      case 'not_holder':
        throw new AppError('claim_not_held', 'This printer does not hold the claim on this order; redeem it again.');
      case 'bad_unit':
        throw new AppError(
          'unit_out_of_range',
          `The order has ${result.order.unitCount} prints; unit ${unit} does not exist.`,
        );
      case 'not_found':
        throw new AppError('order_not_found', 'This order does not exist.');
    }
  }

  /** An operator frees an order whose printer went silent, so another printer can finish it. */
  async release(orderId: string) {
    const released = await this.#deps.store.releaseClaim(orderId, null);
    if (!released) throw new AppError('nothing_to_release', 'The order is not being printed anywhere.');
    await publishOrder(this.#deps, released);
    return { order: orderView(released) };
  }
}
