/**
 * The emulation's redemption desk: which printer a fan goes to, and extra redemptions that measure
 * the printers' own processing time when the run had too few (fan-wait.ts).
 */

import { seededRng } from '../../shared/policy/prng.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { VenueKit } from '../../tools/venue-kit/venue-kit.ts';
import type { OrderSpec, Workload } from '../model/workload.ts';
import type { StrategyName } from '../results-schema.ts';
import type { Scenario } from '../scenario.ts';
import type { EdgeProcess } from './emulated-venue.ts';
import type { Service } from './fan-wait.ts';

/**
 * Where a fan redeems: the scenario's choice, with the model's own dice (sim/model/desk.ts): the
 * stream `<seed>/<strategy>/redemption-choice`, one draw per scan in the order the model scans
 * (by redemption time, then order), so both modes send each fan to the same printer for `random`
 * and start the `shortest-queue` search at the same printer. (The model's retries draw again; the
 * emulation makes one attempt, so a run with failed redemptions can diverge after them.)
 */
export function printerChooser(s: Scenario, w: Workload, strategy: StrategyName, seed: number, printers: number) {
  const rng = seededRng(`${seed}/${strategy}/redemption-choice`);
  const draws = new Map<number, number>();
  if (s.redemption.choice === 'random' || s.redemption.choice === 'shortest-queue') {
    const scans = w.orders.map((o, k) => ({ o, k })).filter(({ o }) => o.fixedPrinter < 0);
    scans.sort((a, b) => a.o.redeemAt - b.o.redeemAt || a.k - b.k);
    for (const { o } of scans) draws.set(o.id, rng.int(printers));
  }
  const busy = new Array<number>(printers).fill(0);
  const pick = (order: OrderSpec): number => {
    if (order.fixedPrinter >= 0) return order.fixedPrinter % printers;
    switch (s.redemption.choice) {
      case 'nearest':
        return order.seat % printers;
      case 'random':
        return draws.get(order.id)!;
      case 'shortest-queue': {
        const start = draws.get(order.id)!;
        let best = start;
        for (let k = 1; k < printers; k++) {
          const p = (start + k) % printers;
          if (busy[p]! < busy[best]!) best = p;
        }
        return best;
      }
    }
  };
  return { busy, pick };
}

/**
 * Redeems up to `count` fresh one-photo orders, each at a printer that already printed that photo
 * (so it is local), and returns their latencies as samples of the printers' processing time. Not
 * part of the run's results.
 */
export async function calibrateProcessing(
  venue: VenueKit,
  nodes: readonly EdgeProcess[],
  clock: Clock,
  printedHere: readonly string[][],
  count: number,
): Promise<Array<Pick<Service, 'wallS' | 'allLocal' | 'ok'>>> {
  const samples: Array<Pick<Service, 'wallS' | 'allLocal' | 'ok'>> = [];
  for (let p = 0; p < printedHere.length && samples.length < count; p++) {
    const imageId = printedHere[p]![0];
    if (imageId === undefined) continue;
    const { token } = await venue.buyAndPay([{ imageId, copies: 1 }]);
    const before = clock.now();
    const res = await nodes[p]!.redeem(token);
    const wallS = (clock.now() - before) / 1000;
    const units = res.body.units ?? [];
    const allLocal = units.length > 0 && units.every((u) => u.source === 'local');
    samples.push({ wallS, allLocal, ok: res.status === 200 });
  }
  return samples;
}
