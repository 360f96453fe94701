import { isAppError } from '../../shared/errors.ts';
import type { KioskSaleChannel } from '../../shared/policy/kiosk-sale-state.ts';
import type { CoordinatorDeps } from '../deps.ts';
import type { CardReaderState } from '../payment/card-terminal-port.ts';
import { ownPhotoSales } from './own-photo-view.ts';

/** Kiosk sales counted on the dashboard at most (a day at a busy venue stays far below). */
const MAX_SALES_COUNTED = 5_000;

/** `own-photos`: fans' own-photo jobs, however paid (phone checkout or card at the kiosk). */
export type SalesChannel = 'shop' | KioskSaleChannel | 'own-photos';

export interface ChannelLine {
  channel: SalesChannel;
  currency: string;
  sales: number;
  revenueCents: number;
}

export interface StationLine {
  printerId: string;
  printerName: string;
  readerId: string | null;
  readerStatus: CardReaderState['status'] | 'unknown' | null;
  lines: ChannelLine[];
}

export interface KioskDashboard {
  channels: ChannelLine[];
  stations: StationLine[];
}

/** A sale whose order counts as paid in the store's sales summary (so the shop line leaves it out). */
const ORDER_PAID_STATES = new Set(['authorised', 'printing', 'printed', 'captured', 'paid', 'fulfilled']);
/** Money kept: what the kiosk lines count. */
const REVENUE_STATES = new Set(['captured', 'paid', 'printing', 'fulfilled']);

/**
 * Sales per channel (the online shop, kiosk phone, kiosk card, own photos) and per station, with
 * each station's card reader as the terminal reports it now. The shop line is the store's paid
 * orders minus the orders kiosk sales made (a kiosk sale prints through an ordinary order). Own
 * photos are counted from their jobs (paid by phone or by card: an own-photo card sale has no
 * order), at the station that printed them, or else where they were paid.
 */
export async function kioskDashboard(
  deps: Pick<CoordinatorDeps, 'store' | 'kioskSales' | 'cardTerminal'>,
  since: number,
): Promise<KioskDashboard> {
  const { store, kioskSales, cardTerminal } = deps;
  const [orders, sales, printers, jobs] = await Promise.all([
    store.salesSince(since),
    kioskSales?.listSince(since, MAX_SALES_COUNTED) ?? [],
    store.listPrinters(),
    store.ownPhotoJobs().listOwnPhotoJobs({}, MAX_SALES_COUNTED),
  ]);
  const add = (lines: ChannelLine[], channel: SalesChannel, currency: string, cents: number, n = 1) => {
    const line = lines.find((l) => l.channel === channel && l.currency === currency);
    if (line) {
      line.sales += n;
      line.revenueCents += cents;
    } else lines.push({ channel, currency, sales: n, revenueCents: cents });
  };
  const channels: ChannelLine[] = [];
  for (const o of orders) add(channels, 'shop', o.currency, o.revenueCents, o.orders);
  const perStation = new Map<string, ChannelLine[]>();
  const addAt = (printerId: string, channel: SalesChannel, currency: string, cents: number, n = 1) => {
    const station = perStation.get(printerId) ?? [];
    add(station, channel, currency, cents, n);
    perStation.set(printerId, station);
  };
  for (const line of ownPhotoSales(jobs, since)) {
    add(channels, 'own-photos', line.currency, line.revenueCents, line.jobs);
  }
  const jobsByStation = new Map<string, typeof jobs>();
  for (const job of jobs) {
    const at = job.printedBy ?? job.payingPrinterId;
    if (at) jobsByStation.set(at, [...(jobsByStation.get(at) ?? []), job]);
  }
  for (const [printerId, own] of jobsByStation) {
    for (const line of ownPhotoSales(own, since)) {
      addAt(printerId, 'own-photos', line.currency, line.revenueCents, line.jobs);
    }
  }
  for (const sale of sales) {
    if (sale.channel === 'own-photo-card') {
      // Counted with its job above (no order behind it); an operator's refund gives the money back.
      if (sale.state === 'refunded') {
        add(channels, 'own-photos', sale.currency, -sale.totalCents, -1);
        addAt(sale.printerId, 'own-photos', sale.currency, -sale.totalCents, -1);
      }
      continue;
    }
    if (ORDER_PAID_STATES.has(sale.state) || sale.state === 'refunded') {
      const order = sale.state === 'refunded' ? await store.getOrder(sale.orderId) : null;
      if (sale.state !== 'refunded' || (order && order.state !== 'cancelled')) {
        add(channels, 'shop', sale.currency, -sale.totalCents, -1);
      }
    }
    if (!REVENUE_STATES.has(sale.state)) continue;
    add(channels, sale.channel, sale.currency, sale.totalCents);
    addAt(sale.printerId, sale.channel, sale.currency, sale.totalCents);
  }
  const stations: StationLine[] = [];
  for (const p of printers) {
    if (p.revokedAt !== null) continue;
    // The reader operators assigned (the only one the station may use), not one a kiosk named.
    const readerId = (kioskSales && p.cardReaderId) || null;
    if (!readerId && !perStation.has(p.id)) continue;
    let readerStatus: StationLine['readerStatus'] = null;
    if (readerId && cardTerminal) {
      try {
        readerStatus = (await cardTerminal.reader(readerId)).status;
      } catch (err) {
        if (!isAppError(err)) throw err;
        readerStatus = 'unknown';
      }
    }
    stations.push({ printerId: p.id, printerName: p.name, readerId, readerStatus, lines: perStation.get(p.id) ?? [] });
  }
  return { channels: channels.filter((l) => l.sales !== 0 || l.revenueCents !== 0), stations };
}
