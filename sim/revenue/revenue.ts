/**
 * The simulator's revenue report (issue #14 item 4): a run's orders priced with the product's own
 * pure modules, photos with `priceOrder` (shared/policy/pricing.ts) and frames with
 * `quoteTemplateFee` (shared/policy/template-fees.ts), replayed in time order on the run's print log:
 *  - an order is priced at its purchase time, with each template's use count and the customer's
 *    printed-unit count as they stand then (prints that came out at or before that instant count);
 *  - each printed unit of a framed line adds one use to its template (a line of c copies is c
 *    units, as in the product), and every printed unit adds one to its customer's count.
 * Which lines take a frame and which template, and which fan placed which order, are drawn from
 * their own seeded streams (`<seed>/frames`, `<seed>/customers`), so the workload and every
 * strategy's dice are untouched and all strategies of a seed sell the same frames to the same fans.
 */

import { MAX_PRINTS_PER_ORDER, type PriceList, priceOrder } from '../../shared/policy/pricing.ts';
import { seededRng } from '../../shared/policy/prng.ts';
import {
  applyRates,
  bandFor,
  type FeeSettings,
  quoteTemplateFee,
  type RateTable,
  type TemplateFeeQuote,
} from '../../shared/policy/template-fees.ts';
import { sampleCount } from '../model/dist.ts';
import type { OrderSpec } from '../model/workload.ts';
import type { RevenueRun, TemplateRevenue } from '../results-schema.ts';
import type { Scenario } from '../scenario.ts';
import type { Dist } from '../scenario-fields.ts';
import { simFeeSettings } from './revenue-scenario.ts';

export type RevenueConfig = NonNullable<Scenario['revenue']>;

/** Orders per repeat customer when the scenario does not say. */
const DEFAULT_ORDERS_PER_REPEAT: Dist = { kind: 'fixed', value: 3 };

/** Who bought what: per order, its customer, and per line its template index (−1: no frame). */
export interface SalesChoices {
  customer: Int32Array;
  frames: Int32Array[];
}

/** The printed units of a run, in print order, with when each came out. */
export interface PrintedUnits {
  order: readonly number[];
  unit: readonly number[];
  printedAt: readonly number[];
}

/** One order as it was priced: what the revenue is the sum of (tests recompute it from this). */
export interface PricedOrder {
  order: number;
  customer: number;
  pricedAt: number;
  photosCents: number;
  /** Per line: its template index and the frozen quote, or −1 and null. */
  lines: Array<{ template: number; copies: number; quote: TemplateFeeQuote | null }>;
}

export interface PricedRun {
  log: PricedOrder[];
  revenue: Omit<RevenueRun, 'feeTables'>;
}

/**
 * Each fan is a repeat customer with probability `share` and then places a drawn number (≥ 2) of
 * orders, else one; the fans' orders are shuffled over the run's orders, so a repeat customer's
 * orders fall anywhere in the event.
 */
export function drawCustomers(config: RevenueConfig, orders: number, seed: number): Int32Array {
  const rng = seededRng(`${seed}/customers`);
  const { share, ordersPerRepeatCustomer } = config.repeatCustomers;
  const slots = new Int32Array(orders);
  let filled = 0;
  for (let fan = 0; filled < orders; fan++) {
    const k = rng.next() < share ? sampleCount(ordersPerRepeatCustomer ?? DEFAULT_ORDERS_PER_REPEAT, rng, 2) : 1;
    for (let j = 0; j < k && filled < orders; j++) slots[filled++] = fan;
  }
  for (let i = orders - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = slots[i]!;
    slots[i] = slots[j]!;
    slots[j] = tmp;
  }
  return slots;
}

/** Per order line: with probability `framedShare` a template drawn by weight, else −1. */
export function drawFrames(config: RevenueConfig, orders: readonly OrderSpec[], seed: number): Int32Array[] {
  const rng = seededRng(`${seed}/frames`);
  const total = config.templates.reduce((sum, t) => sum + t.weight, 0);
  return orders.map((o) => {
    const lines = new Int32Array(o.images.length).fill(-1);
    if (total <= 0) return lines;
    for (let k = 0; k < lines.length; k++) {
      if (rng.next() >= config.framedShare) continue;
      let u = rng.next() * total;
      // Rounding can leave u ≥ 0 after the last weight: the last template anyone picks takes it.
      let pick = config.templates.findLastIndex((t) => t.weight > 0);
      for (let t = 0; t < config.templates.length; t++) {
        u -= config.templates[t]!.weight;
        if (u < 0 && config.templates[t]!.weight > 0) {
          pick = t;
          break;
        }
      }
      lines[k] = pick;
    }
    return lines;
  });
}

export function drawChoices(config: RevenueConfig, orders: readonly OrderSpec[], seed: number): SalesChoices {
  return { customer: drawCustomers(config, orders.length, seed), frames: drawFrames(config, orders, seed) };
}

/** The photos' price; an order beyond the shop's print limit is priced as several orders at the limit. */
export function photosPrice(priceList: PriceList, prints: number): number {
  let cents = 0;
  for (let left = prints; left > 0; left -= MAX_PRINTS_PER_ORDER) {
    const chunk = Math.min(left, MAX_PRINTS_PER_ORDER);
    cents += priceOrder(priceList, [{ imageId: 'sim', copies: chunk }]).totalCents;
  }
  return cents;
}

function bandIndex(table: RateTable, uses: number): number {
  let found = 0;
  table.bands.forEach((b, i) => {
    if (b.fromUses <= uses) found = i;
  });
  return found;
}

/** Prices every order of the run with these fee settings, in time order against the print log. */
export function priceRun(
  config: RevenueConfig,
  orders: readonly OrderSpec[],
  choices: SalesChoices,
  printed: PrintedUnits,
  settings: FeeSettings,
): PricedRun {
  const active = settings.tables.find((t) => t.id === settings.activeTableId)!;
  const newCustomerRate = bandFor(settings.customerTable, 0).rate;
  const uses = new Float64Array(config.templates.length);
  const customerUses = new Map<number, number>();
  const templates: TemplateRevenue[] = config.templates.map((t) => ({
    id: t.id,
    name: t.name,
    basicFeeCents: t.basicFeeCents,
    prints: 0,
    uses: 0,
    revenueCents: 0,
    band: active.bands[0]!.label,
    rate: active.bands[0]!.rate,
    priceNowCents: 0,
    bandHistory: [{ band: active.bands[0]!.label, fromUses: 0, atS: 0 }],
  }));
  const purchases = orders.map((_, i) => i).sort((a, b) => orders[a]!.purchaseAt - orders[b]!.purchaseAt || a - b);
  const prints = printed.order.map((_, i) => i).sort((a, b) => printed.printedAt[a]! - printed.printedAt[b]! || a - b);
  const seen = new Set<number>();
  const log: PricedOrder[] = [];
  let photosCents = 0;
  let framesCents = 0;
  let framedPrints = 0;
  let allPrints = 0;
  let repeatCustomerOrders = 0;
  let next = 0;
  const printUpTo = (t: number) => {
    for (; next < prints.length && printed.printedAt[prints[next]!]! <= t; next++) {
      const k = prints[next]!;
      const o = printed.order[k]!;
      const line = printed.unit[k]!;
      const copies = orders[o]!.copies[line]!;
      const customer = choices.customer[o]!;
      customerUses.set(customer, (customerUses.get(customer) ?? 0) + copies);
      const tpl = choices.frames[o]![line]!;
      if (tpl < 0) continue;
      const before = bandIndex(active, uses[tpl]!);
      uses[tpl]! += copies;
      const after = bandIndex(active, uses[tpl]!);
      for (let b = before + 1; b <= after; b++) {
        const band = active.bands[b]!;
        templates[tpl]!.bandHistory.push({ band: band.label, fromUses: band.fromUses, atS: printed.printedAt[k]! });
      }
    }
  };
  for (const o of purchases) {
    const order = orders[o]!;
    printUpTo(order.purchaseAt);
    const customer = choices.customer[o]!;
    if (seen.has(customer)) repeatCustomerOrders++;
    seen.add(customer);
    const cu = customerUses.get(customer) ?? 0;
    let count = 0;
    const lines: PricedOrder['lines'] = [];
    for (let k = 0; k < order.images.length; k++) {
      const copies = order.copies[k]!;
      count += copies;
      const tpl = choices.frames[o]![k]!;
      if (tpl < 0) {
        lines.push({ template: -1, copies, quote: null });
        continue;
      }
      const t = config.templates[tpl]!;
      const quote = quoteTemplateFee({
        basicFeeCents: t.basicFeeCents,
        templateUses: uses[tpl]!,
        customerUses: cu,
        settings,
      });
      lines.push({ template: tpl, copies, quote });
      templates[tpl]!.prints += copies;
      templates[tpl]!.revenueCents += quote.feeCents * copies;
      framesCents += quote.feeCents * copies;
      framedPrints += copies;
    }
    const photos = photosPrice(config.priceList, count);
    photosCents += photos;
    allPrints += count;
    log.push({ order: o, customer, pricedAt: order.purchaseAt, photosCents: photos, lines });
  }
  printUpTo(Number.POSITIVE_INFINITY);
  templates.forEach((t, i) => {
    t.uses = uses[i]!;
    const band = bandFor(active, t.uses);
    t.band = band.label;
    t.rate = band.rate;
    t.priceNowCents = applyRates(t.basicFeeCents, band.rate, newCustomerRate);
  });
  return {
    log,
    revenue: {
      currency: config.priceList.currency,
      feeTable: settings.activeTableId,
      orders: orders.length,
      prints: allPrints,
      framedPrints,
      repeatCustomerOrders,
      photosCents,
      framesCents,
      totalCents: photosCents + framesCents,
      templates,
    },
  };
}

/**
 * The run's revenue at the selected table (or `feeTable`), next to the same sales priced with each
 * of the event's tables: fees do not change what fans do in the model, so one run answers all.
 */
export function runRevenue(
  config: RevenueConfig,
  orders: readonly OrderSpec[],
  printed: PrintedUnits,
  seed: number,
  feeTable?: string,
): RevenueRun {
  const choices = drawChoices(config, orders, seed);
  const selected = simFeeSettings(config, feeTable ?? config.feeTable);
  const main = priceRun(config, orders, choices, printed, selected);
  const feeTables = selected.tables.map((table) => {
    const priced =
      table.id === selected.activeTableId
        ? main
        : priceRun(config, orders, choices, printed, { ...selected, activeTableId: table.id });
    return {
      tableId: table.id,
      name: table.name,
      framesCents: priced.revenue.framesCents,
      totalCents: priced.revenue.totalCents,
    };
  });
  return { ...main.revenue, feeTables };
}
