/**
 * The fan's order page hint (issue #16 item 2): "go to Printer 3 (about 20 s)", for the venue's
 * printers that hold the order's photos, from the queues they report (the status report's
 * `routing`, shared/protocol/station-queue.ts) and their have-lists. The ranking is the edge nodes'
 * own (shared/policy/queue-routing.ts), so page and kiosks agree.
 */
import { AppError } from '../../shared/errors.ts';
import { PreRenderAssignment } from '../../shared/policy/prerender-stations.ts';
import { formatEta, type RouteCandidate, type RouteOption, rankStations } from '../../shared/policy/queue-routing.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { type StationQueueReport, stationQueueSchema } from '../../shared/protocol/station-queue.ts';
import type { Store } from '../store/port.ts';
import type { OrderRecord } from '../store/records.ts';
import { type HeldImage, heldImages } from './held-images.ts';

/** A printer whose last report is older than this is not offered (edge nodes report every 10 s). */
export const ROUTING_REPORT_FRESH_MS = 30_000;
/** The page lists at most this many printers. */
export const ORDER_ROUTE_OPTIONS = 3;

export interface OrderRoutingView {
  /** False once nothing is left to print here (or the order is not paid): the page hides the hint. */
  active: boolean;
  /** Printers that can print the order, best first; holders of all its photos when any printer holds them. */
  stations: RouteOption[];
  /** The line the page shows, e.g. "Go to Printer 3 (about 20 s)". */
  text: string | null;
}

/** Whether a fan still has prints to collect and may show the code now. */
export function needsRouting(order: OrderRecord, now: number): boolean {
  if (order.printedCount >= order.unitCount) return false;
  if (order.state === 'paid') return true;
  // A claim that stopped (the printer went away mid-order): the rest prints anywhere.
  return order.state === 'redeeming' && order.claim !== null && now >= order.claim.expiresAt;
}

/**
 * What the venue's printers report, read at most every ROUTING_SNAPSHOT_MS per event: every fan with
 * an open order page asks every few seconds, and a venue may have 500 printers: their have-lists
 * (a few seq ranges each; id lists from older printers) are read once for all of them.
 */
export const ROUTING_SNAPSHOT_MS = 2_000;

interface VenueSnapshot {
  at: number;
  queues: StationQueueReport[];
  held: Map<string, HeldImage>;
  /** Which stations render which order ahead, over the venue's paired printers as they see it. */
  preRender: PreRenderAssignment;
}

export class OrderRouting {
  readonly #deps: { store: Store; clock: Clock };
  readonly #snapshots = new Map<string, Promise<VenueSnapshot>>();

  constructor(deps: { store: Store; clock: Clock }) {
    this.#deps = deps;
  }

  async view(orderId: string): Promise<OrderRoutingView> {
    const { store, clock } = this.#deps;
    const order = await store.getOrder(orderId);
    if (!order) throw new AppError('order_not_found', 'There is no order with this id.');
    const now = clock.now();
    if (!needsRouting(order, now)) return { active: false, stations: [], text: null };
    const [snapshot, wanted] = await Promise.all([
      this.#snapshot(order, now),
      Promise.all([...new Set(order.items.map((i) => i.imageId))].map((id) => store.getImage(id))),
    ]);
    const renderers = snapshot.preRender.renderersOf(order.id);
    const candidates: RouteCandidate[] = snapshot.queues.map((queue) => {
      const holds = snapshot.held.get(queue.id);
      const holdsPhotos = holds !== undefined && wanted.every((image) => image !== null && holds(image));
      // The fan's position is unknown on the phone: queues decide; of equal ones, a station that
      // rendered the order ahead, then the name.
      return { ...queue, holdsPhotos, rendersAhead: renderers.has(queue.id), travelSeconds: 0 };
    });
    const stations = rankStations(candidates, order.unitCount - order.printedCount).slice(0, ORDER_ROUTE_OPTIONS);
    const best = stations[0];
    return { active: true, stations, text: best ? `Go to ${best.name} (${formatEta(best.etaSeconds)})` : null };
  }

  #snapshot(order: OrderRecord, now: number): Promise<VenueSnapshot> {
    const key = `${order.venueId}/${order.eventId}`;
    const cached = this.#snapshots.get(key);
    if (cached) {
      // A snapshot still being read is shared; a finished one is used while fresh.
      const fresh = cached.then((s) => (now - s.at <= ROUTING_SNAPSHOT_MS ? s : null));
      return fresh.then((s) => s ?? this.#read(key, order, now));
    }
    return this.#read(key, order, now);
  }

  #read(key: string, order: OrderRecord, now: number): Promise<VenueSnapshot> {
    const { store } = this.#deps;
    const reading = (async (): Promise<VenueSnapshot> => {
      const [printers, reports, holdings] = await Promise.all([
        store.listPrinters({ venueId: order.venueId }),
        store.listPrinterReports({ venueId: order.venueId }),
        store.listHoldings(order.eventId),
      ]);
      const live = new Set(printers.filter((p) => p.revokedAt === null).map((p) => p.id));
      const queues: StationQueueReport[] = [];
      for (const r of reports) {
        if (!live.has(r.printerId) || now - r.receivedAt > ROUTING_REPORT_FRESH_MS) continue;
        const queue = reportedQueue(r.report);
        if (queue && queue.id === r.printerId) queues.push(queue);
      }
      return {
        at: now,
        queues,
        held: new Map(holdings.map((h) => [h.printerId, heldImages(h)])),
        preRender: new PreRenderAssignment(live),
      };
    })();
    this.#snapshots.set(key, reading);
    // A failed read is not kept: the next request reads again.
    reading.catch(() => {
      if (this.#snapshots.get(key) === reading) this.#snapshots.delete(key);
    });
    return reading;
  }
}

function reportedQueue(report: Record<string, unknown>): StationQueueReport | null {
  const parsed = stationQueueSchema.safeParse(report.routing);
  return parsed.success ? parsed.data : null;
}
