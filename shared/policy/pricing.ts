/**
 * Pure pricing: prices an order from an event's price list. Bundles ("3 prints for 20.00") apply to
 * the order's total number of prints, across images; the cheapest combination of bundles and
 * single prints wins, so adding a print never makes an order cheaper than leaving it out would
 * suggest a bundle should.
 */
export interface Bundle {
  /** Prints in the bundle, at least 2. */
  copies: number;
  /** Price of the whole bundle in minor units (cents). */
  priceCents: number;
}

export interface PriceList {
  /** ISO 4217 code, e.g. "EUR". */
  currency: string;
  unitPriceCents: number;
  bundles: Bundle[];
}

export interface OrderLine {
  imageId: string;
  copies: number;
}

export interface PriceQuote {
  currency: string;
  printCount: number;
  totalCents: number;
  /** What was applied, largest bundles first. */
  applied: Array<{ kind: 'bundle' | 'single'; copies: number; priceCents: number; times: number }>;
}

export const MAX_PRINTS_PER_ORDER = 500;
export const MAX_COPIES_PER_IMAGE = 50;

export function priceOrder(priceList: PriceList, lines: readonly OrderLine[]): PriceQuote {
  const printCount = lines.reduce((n, l) => n + l.copies, 0);
  if (printCount < 1 || printCount > MAX_PRINTS_PER_ORDER) {
    throw new RangeError(`an order holds 1 to ${MAX_PRINTS_PER_ORDER} prints`);
  }
  // cost[n] = cheapest price for exactly n prints; choice[n] = size of the last pack used.
  const options: Array<{ copies: number; priceCents: number; kind: 'bundle' | 'single' }> = [
    { copies: 1, priceCents: priceList.unitPriceCents, kind: 'single' },
    ...priceList.bundles.map((b) => ({ ...b, kind: 'bundle' as const })),
  ];
  const cost = new Array<number>(printCount + 1).fill(Number.POSITIVE_INFINITY);
  const choice = new Array<number>(printCount + 1).fill(-1);
  cost[0] = 0;
  for (let n = 1; n <= printCount; n++) {
    options.forEach((opt, i) => {
      if (opt.copies > n) return;
      const c = cost[n - opt.copies]! + opt.priceCents;
      // Ties prefer the larger pack so the breakdown reads naturally.
      if (c < cost[n]! || (c === cost[n]! && opt.copies > options[choice[n]!]!.copies)) {
        cost[n] = c;
        choice[n] = i;
      }
    });
  }
  const times = new Map<number, number>();
  for (let n = printCount; n > 0; n -= options[choice[n]!]!.copies) {
    times.set(choice[n]!, (times.get(choice[n]!) ?? 0) + 1);
  }
  const applied = [...times.entries()]
    .map(([i, t]) => ({ ...options[i]!, times: t }))
    .sort((a, b) => b.copies - a.copies);
  return { currency: priceList.currency, printCount, totalCents: cost[printCount]!, applied };
}

/** What the cart shows: each print at the single price, then each bundle applied with what it saves. */
export interface QuoteBreakdown {
  currency: string;
  unitPriceCents: number;
  /** Every print at the single price, before bundles. */
  fullPriceCents: number;
  bundles: Array<{ copies: number; priceCents: number; times: number; savingCents: number }>;
  /** fullPriceCents − the quote's total: what the bundles save altogether. */
  savingCents: number;
  totalCents: number;
}

export function quoteBreakdown(priceList: PriceList, quote: PriceQuote): QuoteBreakdown {
  const unit = priceList.unitPriceCents;
  const fullPriceCents = quote.printCount * unit;
  const bundles = quote.applied
    .filter((a) => a.kind === 'bundle')
    .map((a) => ({
      copies: a.copies,
      priceCents: a.priceCents,
      times: a.times,
      savingCents: a.times * (a.copies * unit - a.priceCents),
    }));
  return {
    currency: quote.currency,
    unitPriceCents: unit,
    fullPriceCents,
    bundles,
    savingCents: fullPriceCents - quote.totalCents,
    totalCents: quote.totalCents,
  };
}
