import QRCode from 'qrcode';
import { AppError, isAppError } from '../../shared/errors.ts';
import { isUplinkFailure } from '../../shared/policy/offline-claim-rule.ts';
import { type OrderLine, type PriceList, priceOrder, quoteBreakdown } from '../../shared/policy/pricing.ts';
import type { Clock, Timer } from '../../shared/ports/clock.ts';
import type { StructuredLogger } from '../../shared/ports/logger.ts';
import type { KioskBasket, KioskSaleView } from '../../shared/protocol/kiosk-sale.ts';
import type { ProfileFeed } from '../../shared/protocol/printer-api.ts';
import { type CoordinatorClient, CoordinatorError } from '../coordinator-client.ts';
import type { RedemptionProgress } from '../jobs/redemption-service.ts';
import type { EventReplica } from '../mesh/event-replica.ts';
import { KioskFrames } from './kiosk-frames.ts';
import type { SaleReceiptLines } from './sale-receipts.ts';

/** Photos on one gallery page: four big tiles by three on a landscape kiosk. */
export const KIOSK_GALLERY_PAGE_SIZE = 12;
/** A payment screen the kiosk page stopped asking about for this long was abandoned: its sale is cancelled. */
export const KIOSK_SALE_ABANDON_MS = 90_000;
const ABANDON_CHECK_MS = 10_000;
/** A sale that started printing here is dropped from the kiosk's list this long after its last poll. */
const FORGET_PRINTING_SALE_MS = 3_600_000;
/** The kiosk asks the coordinator with a short deadline: the fan is standing there. */
export const KIOSK_COORDINATOR_TIMEOUT_MS = 4_000;
/** An event is on sale at the kiosk from its start until this long after its end. */
const EVENT_SALE_GRACE_MS = 6 * 3_600_000;
const HOUR_MS = 3_600_000;
/** The photographer names of an event are asked for again after this long. */
const PHOTOGRAPHERS_REFRESH_MS = 5 * 60_000;
/** The gallery waits this long at most for the names (the fan is standing there). */
const PHOTOGRAPHERS_TIMEOUT_MS = 1_500;

export interface KioskShopDeps {
  clock: Clock;
  logger: StructuredLogger;
  feeds(): readonly ProfileFeed[];
  replica(eventId: string): EventReplica | undefined;
  client(): CoordinatorClient | null;
  /** The station's card reader (edge config `cardReaderId`); absent: phone payment only. */
  readerId: string | undefined;
  startRedeem(code: string): Promise<RedemptionProgress>;
  /** Renders a basket's photos held here for printing while the fan pays; resolves with how many. */
  warmUp(eventId: string, items: KioskBasket['items']): Promise<number>;
  /** Calls `listener` with every progress of this order from now on; returns the unsubscribe. */
  watch(orderId: string, listener: (p: RedemptionProgress) => void): () => void;
  /** Whether the printer can take a new order now (paper, cover, connection); the detail says why not. */
  printerReady(): Promise<{ ready: boolean; detail: string }>;
  /** Where the receipt finds a sale's payment lines, by order id. */
  saleReceipts: SaleReceiptLines;
}

export interface GalleryPhoto {
  imageId: string;
  at: number;
  thumbUrl: string;
}

export interface GalleryPage {
  events: Array<{ id: string; name: string }>;
  eventId: string | null;
  photos: GalleryPhoto[];
  page: number;
  pages: number;
  total: number;
  /** Start of each hour (epoch ms) that has photos here: the kiosk's time filter buttons. */
  hours: number[];
  /** Photographers of the photos here (known once the coordinator told this printer, kept offline). */
  photographers: string[];
  priceList: PriceList | null;
}

/**
 * "Find your photos" at the kiosk (issue #13): a gallery of the photos this printer holds (its own
 * replica, so browsing works with the uplink down), baskets totalled by the shop's pricing, and
 * payment through the coordinator (phone QR or the station's card reader). A paid sale prints by
 * redeeming its signed token here, the same exactly-once path as a fan's QR code.
 */
export class KioskShop {
  readonly #d: KioskShopDeps;
  /** Sales this kiosk is following: when the page last asked, and whether printing started. */
  readonly #sales = new Map<string, { seenAt: number; printing: boolean; state: string; qrSent: boolean }>();
  readonly #timer: Timer;
  readonly #byPhotographer = new Map<string, { at: number; byImage: Record<string, string> }>();
  /** Issue #14: the event's frames, their fees and framed previews (kiosk-frames.ts). */
  readonly frames: KioskFrames;

  constructor(deps: KioskShopDeps) {
    this.#d = deps;
    this.frames = new KioskFrames({
      clock: deps.clock,
      replica: deps.replica,
      client: deps.client,
      photo: (eventId, imageId) => this.photo(eventId, imageId),
    });
    this.#timer = deps.clock.setInterval(() => void this.#cancelAbandoned(), ABANDON_CHECK_MS).unref();
    // Asks once at start, so a station whose configured reader is not the one assigned to it shows up early (card: null).
    if (deps.readerId) void this.payments().catch(() => {});
  }

  close(): void {
    this.#timer.cancel();
  }

  #onSale(): ProfileFeed[] {
    const now = this.#d.clock.now();
    const feeds = [...this.#d.feeds()].sort((a, b) => b.startsAt - a.startsAt);
    const current = feeds.filter((f) => f.startsAt <= now + HOUR_MS && now <= f.endsAt + EVENT_SALE_GRACE_MS);
    return current.length > 0 ? current : feeds.slice(0, 1);
  }

  async gallery(q: {
    eventId?: string;
    page?: number;
    from?: number;
    to?: number;
    photographer?: string;
  }): Promise<GalleryPage> {
    const events = this.#onSale();
    const feed = events.find((f) => f.eventId === q.eventId) ?? events[0];
    const replica = feed ? this.#d.replica(feed.eventId) : undefined;
    const base = { events: events.map((f) => ({ id: f.eventId, name: f.name })), priceList: feed?.priceList ?? null };
    if (!feed || !replica) {
      const empty = { photos: [], page: 0, pages: 0, total: 0, hours: [], photographers: [] };
      return { ...base, eventId: feed?.eventId ?? null, ...empty };
    }
    const { held } = await replica.scanHoldings();
    const byImage = await this.#photographers(feed.eventId);
    const photographers = [...new Set(held.map((e) => byImage[e.imageId]).filter((n): n is string => !!n))].sort();
    const hours = [...new Set(held.map((e) => Math.floor(e.registeredAt / HOUR_MS) * HOUR_MS))].sort((a, b) => b - a);
    const matching = held
      .filter(
        (e) => (q.from === undefined || e.registeredAt >= q.from) && (q.to === undefined || e.registeredAt < q.to),
      )
      .filter((e) => q.photographer === undefined || byImage[e.imageId] === q.photographer)
      .sort((a, b) => b.seq - a.seq);
    const pages = Math.max(1, Math.ceil(matching.length / KIOSK_GALLERY_PAGE_SIZE));
    const page = Math.min(Math.max(0, q.page ?? 0), pages - 1);
    const photos = matching.slice(page * KIOSK_GALLERY_PAGE_SIZE, (page + 1) * KIOSK_GALLERY_PAGE_SIZE).map((e) => ({
      imageId: e.imageId,
      at: e.registeredAt,
      thumbUrl: `/kiosk/shop/photos/${encodeURIComponent(feed.eventId)}/${encodeURIComponent(e.imageId)}/thumb.jpg`,
    }));
    return { ...base, eventId: feed.eventId, photos, page, pages, total: matching.length, hours, photographers };
  }

  /**
   * Who took which photo: asked of the coordinator now and then and kept, so the filter still works
   * after the uplink went down. Never holds up browsing: a slow or missing uplink means no names yet.
   */
  async #photographers(eventId: string): Promise<Record<string, string>> {
    const cached = this.#byPhotographer.get(eventId);
    const now = this.#d.clock.now();
    if (cached && now - cached.at < PHOTOGRAPHERS_REFRESH_MS) return cached.byImage;
    const client = this.#d.client();
    if (!client) return cached?.byImage ?? {};
    try {
      const { byImage } = await client.eventPhotographers(eventId, PHOTOGRAPHERS_TIMEOUT_MS);
      this.#byPhotographer.set(eventId, { at: now, byImage });
      return byImage;
    } catch (err) {
      if (!isAppError(err)) throw err;
      // Offline: keep what we had, and do not ask again on every page turn.
      this.#byPhotographer.set(eventId, { at: now, byImage: cached?.byImage ?? {} });
      return cached?.byImage ?? {};
    }
  }

  /** The whole photo, when this printer holds it (the thumbnail is made from it). */
  async photo(eventId: string, imageId: string): Promise<Buffer | null> {
    const replica = this.#d.replica(eventId);
    const entry = replica ? await replica.entry(imageId, 1_000) : null;
    return entry && replica ? replica.readLocal(entry) : null;
  }

  /**
   * The basket's total with the shop's pricing and the event's price list (works offline), plus the
   * frame fees the coordinator last quoted (`templateFees.known` false while one was never heard).
   */
  async quote(eventId: string, items: Array<OrderLine & { template?: { templateId: string } }>) {
    const feed = this.#d.feeds().find((f) => f.eventId === eventId);
    if (!feed?.priceList) throw new AppError('event_not_found', 'This event is not on sale at this printer.');
    if (items.length === 0) throw new AppError('basket_empty');
    let quote: ReturnType<typeof priceOrder>;
    try {
      quote = priceOrder(feed.priceList, items);
    } catch (err) {
      throw new AppError('order_too_large', (err as Error).message);
    }
    const templateFees = await this.frames.fees(eventId, items);
    return {
      quote,
      breakdown: quoteBreakdown(feed.priceList, quote),
      templateFees,
      totalCents: quote.totalCents + templateFees.totalCents,
    };
  }

  /** What the kiosk can offer now; with the uplink down, browsing only (said before the fan picks). */
  async payments(): Promise<{
    online: boolean;
    phone: boolean;
    card: { status: string } | null;
    message: string | null;
  }> {
    try {
      const p = await this.#client().kioskPayments(this.#d.readerId, KIOSK_COORDINATOR_TIMEOUT_MS);
      return { online: true, phone: p.phone, card: p.card ? { status: p.card.status } : null, message: null };
    } catch (err) {
      if (!isAppError(err)) throw err;
      return { online: false, phone: false, card: null, message: new AppError('payment_needs_network').message };
    }
  }

  async createSale(basket: KioskBasket): Promise<{ sale: KioskSaleView; qrSvg: string | null }> {
    // No money is asked for while this printer could not print it.
    const printer = await this.#d.printerReady();
    if (!printer.ready) throw new AppError('printer_offline', printer.detail);
    const sale = await this.#ask((c) =>
      c.createKioskSale({ ...basket, ...(this.#d.readerId ? { readerId: this.#d.readerId } : {}) }),
    ).catch((err: unknown) => {
      // A frame's fee moved since the kiosk showed it: the next quote asks the coordinator again.
      if (isAppError(err, 'price_changed')) this.frames.forget(basket.eventId);
      throw err;
    });
    // A kiosk sale prints the moment it is paid, and paying (a card tap, a phone checkout) takes
    // seconds: its photos are rendered meanwhile, not while the fan then waits at the printer.
    this.#d.warmUp(basket.eventId, basket.items).catch((err: unknown) => {
      this.#d.logger.warn(
        { err, saleId: sale.id },
        "could not render a kiosk sale's photos ahead; they render when printed",
      );
    });
    const qrSvg = sale.checkoutUrl ? await QRCode.toString(sale.checkoutUrl, { type: 'svg', margin: 2 }) : null;
    this.#sales.set(sale.id, {
      seenAt: this.#d.clock.now(),
      printing: false,
      state: sale.state,
      qrSent: qrSvg !== null,
    });
    return { sale, qrSvg };
  }

  /** The sale now; once paid, printing starts here (once) and its first progress comes back. */
  async sale(
    saleId: string,
  ): Promise<{ sale: KioskSaleView; progress: RedemptionProgress | null; printFailed?: string; qrSvg?: string }> {
    const sale = await this.#ask((c) => c.kioskSale(saleId));
    const tracked = this.#sales.get(saleId) ?? { seenAt: 0, printing: false, state: sale.state, qrSent: false };
    tracked.seenAt = this.#d.clock.now();
    tracked.state = sale.state;
    this.#sales.set(saleId, tracked);
    // A page that got the sale from a double tap before its checkout existed gets the QR code once it does.
    if (sale.state === 'awaiting_payment' && sale.checkoutUrl && !tracked.qrSent) {
      tracked.qrSent = true;
      return { sale, progress: null, qrSvg: await QRCode.toString(sale.checkoutUrl, { type: 'svg', margin: 2 }) };
    }
    if (!sale.token || tracked.printing) return { sale, progress: null };
    // Paid, but this printer cannot print now (out of paper, cover open): the money is released, not taken.
    const printer = await this.#d.printerReady();
    if (!printer.ready) {
      const released = await this.#ask((c) => c.kioskSalePrintFailed(saleId, printer.detail));
      this.#sales.delete(saleId);
      return { sale: released, progress: null, printFailed: printer.detail };
    }
    tracked.printing = true;
    return { sale, progress: await this.#print(sale) };
  }

  async action(saleId: string, action: 'cancel' | 'retry'): Promise<KioskSaleView> {
    const sale = await this.#ask((c) => c.kioskSaleAction(saleId, action));
    if (action === 'cancel') this.#sales.delete(saleId);
    return sale;
  }

  async #print(sale: KioskSaleView): Promise<RedemptionProgress> {
    this.#d.saleReceipts.set(sale.orderId, {
      method: sale.channel === 'kiosk-card' ? 'card' : 'phone',
      card: sale.card,
      authorisationCode: sale.authorisationCode,
      taxCents: sale.taxCents,
      taxRatePercent: sale.taxRatePercent,
    });
    // A print that fails for good releases the card's money (phone: refunds it); a shutdown resumes instead.
    const stop = this.#d.watch(sale.orderId, (p) => {
      if (!p.done) return;
      stop();
      if (p.error && p.error.code !== 'shutting_down') void this.#reportFailure(sale.id, p.error.message);
    });
    try {
      return await this.#d.startRedeem(sale.token!);
    } catch (err) {
      stop();
      const tracked = this.#sales.get(sale.id);
      if (tracked) tracked.printing = false;
      throw err;
    }
  }

  async #reportFailure(saleId: string, reason: string): Promise<void> {
    try {
      await this.#client().kioskSalePrintFailed(saleId, reason);
    } catch (err) {
      // The coordinator voids an authorisation left uncaptured past its limit anyway.
      this.#d.logger.warn({ err, saleId }, 'could not report a failed kiosk print; the coordinator will void it later');
    }
  }

  /** A payment screen nobody looks at any more (the page was closed or crashed): free the reader. */
  async #cancelAbandoned(): Promise<void> {
    const now = this.#d.clock.now();
    for (const [saleId, s] of this.#sales) {
      // A printing sale is the redemption's from then on; it is only forgotten here after a while.
      if (s.printing) {
        if (now - s.seenAt > FORGET_PRINTING_SALE_MS) this.#sales.delete(saleId);
        continue;
      }
      if (now - s.seenAt < KIOSK_SALE_ABANDON_MS) continue;
      this.#sales.delete(saleId);
      if (s.state !== 'awaiting_payment' && s.state !== 'created') continue;
      await this.action(saleId, 'cancel').catch((err: unknown) => {
        this.#d.logger.warn(
          { err, saleId },
          'an abandoned kiosk sale was not cancelled; it expires at the coordinator',
        );
      });
    }
  }

  #client(): CoordinatorClient {
    const client = this.#d.client();
    if (!client) throw new AppError('payment_needs_network');
    return client;
  }

  /** A coordinator call; a missing uplink becomes "payment needs the network" for the screen. */
  async #ask<T>(call: (c: CoordinatorClient) => Promise<T>): Promise<T> {
    try {
      return await call(this.#client());
    } catch (err) {
      if (err instanceof CoordinatorError && isUplinkFailure(err)) throw new AppError('payment_needs_network');
      throw err;
    }
  }
}
