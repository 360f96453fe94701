// What the cart says about prices, from the breakdown the server sends with its quote
// (shared/policy/pricing.ts quoteBreakdown): nothing is priced here. Pure, so unit tests run it.

/** "€3.00" for one copy, "2 × €3.00 = €6.00" for more: every print at the single price. */
export function itemPriceText(copies, breakdown, money) {
  const unit = money(breakdown.unitPriceCents);
  return copies === 1 ? unit : `${copies} × ${unit} = ${money(copies * breakdown.unitPriceCents)}`;
}

/** One line per bundle applied ("3 for €20.00 (×2): you save €2.00"), empty when none applies. */
export function bundleLines(breakdown, money) {
  return breakdown.bundles.map(
    (b) =>
      `${b.copies} for ${money(b.priceCents)}${b.times > 1 ? ` (×${b.times})` : ''}: you save ${money(b.savingCents)}`,
  );
}
