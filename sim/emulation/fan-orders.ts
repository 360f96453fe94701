/**
 * The fans' side of an emulation run: each order bought at its purchase time (once its photos are
 * uploaded) and redeemed at its redemption time at the printer the desk picks (redemption-desk.ts).
 * Records each redemption's wall latency; the waits are computed after the run (fan-wait.ts).
 */
import type { Clock } from '../../shared/ports/clock.ts';
import type { VenueKit } from '../../tools/venue-kit/venue-kit.ts';
import type { OrderSpec } from '../model/workload.ts';
import type { EdgeProcess } from './emulated-venue.ts';
import type { Service } from './fan-wait.ts';
import type { printerChooser } from './redemption-desk.ts';
import type { WallTimeline } from './wall-timeline.ts';

export class FanOrders {
  /** One per redemption, in the order they finished. */
  readonly services: Service[] = [];
  /** Per printer, the image ids of the orders it printed in full. */
  readonly printedHere: string[][];
  readonly #ordering: Array<Promise<void>>;
  #purchases = 0;

  constructor(
    venue: VenueKit,
    nodes: readonly EdgeProcess[],
    orders: readonly OrderSpec[],
    imageIds: ReadonlyArray<Promise<string>>,
    chooser: ReturnType<typeof printerChooser>,
    { until }: WallTimeline,
    clock: Clock,
    diag: (message: string) => void,
  ) {
    // A printer serves one fan at a time, as a kiosk does: redemptions at one printer run in arrival
    // order.
    const queues = nodes.map(() => Promise.resolve());
    this.printedHere = nodes.map((): string[] => []);
    this.#ordering = orders.map(async (order) => {
      await until(order.purchaseAt);
      const ids = await Promise.all(Array.from(order.images, (img) => imageIds[img]!));
      const items = ids.map((imageId, k) => ({ imageId, copies: order.copies[k]! }));
      const { token } = await venue.buyAndPay(items);
      this.#purchases++;
      await until(order.redeemAt);
      const p = chooser.pick(order);
      chooser.busy[p]!++;
      const turn = queues[p]!.then(async () => {
        const before = clock.now();
        try {
          const res = await nodes[p]!.redeem(token);
          const wallS = (clock.now() - before) / 1000;
          const units = res.body.units ?? [];
          const printed = units.filter((u) => u.state === 'printed').length;
          const ok = res.status === 200 && units.length > 0 && printed === units.length;
          const allLocal = units.length > 0 && units.every((u) => u.source === 'local');
          this.services.push({ printer: p, redeemAtS: order.redeemAt, wallS, printedUnits: printed, allLocal, ok });
          if (ok) this.printedHere[p]!.push(...ids);
          diag(
            `P${p}: redemption at ${order.redeemAt.toFixed(0)} s took ${(wallS * 1000).toFixed(0)} ms wall, ${res.status}, ${printed}/${units.length} printed, from ${units.map((u) => u.source ?? '?').join('+')}`,
          );
        } catch (err) {
          diag(`P${p}: redemption failed: ${(err as Error).message}`);
          const wallS = (clock.now() - before) / 1000;
          this.services.push({
            printer: p,
            redeemAtS: order.redeemAt,
            wallS,
            printedUnits: 0,
            allLocal: false,
            ok: false,
          });
        } finally {
          chooser.busy[p]!--;
        }
      });
      queues[p] = turn;
      await turn;
    });
  }

  /** Orders bought so far. */
  get purchases(): number {
    return this.#purchases;
  }

  /** Every order bought and redeemed (a failed redemption is recorded, not thrown); rejects if an order could not be bought. */
  async finished(): Promise<void> {
    await Promise.all(this.#ordering);
  }
}
