/**
 * Pure pricing of reorders after the event (issue #15): products the venue printers do not make
 * (larger prints, canvas, digital files), shipping by method, and a tax line. Amounts are integer
 * minor units (cents); tax is rounded half up once, on the taxable total, so line sums never drift.
 */

export const PRODUCT_IDS = ['print_5x7', 'print_8x10', 'poster_12x18', 'canvas_12x16', 'digital_file'] as const;
export type ProductId = (typeof PRODUCT_IDS)[number];
/** The "all my photos" bundle: every photo of the fan's venue order as a digital file, one price. */
export const BUNDLE_PRODUCT = 'digital_bundle' as const;

export interface PhysicalProduct {
  id: ProductId;
  kind: 'print' | 'canvas';
  label: string;
  /** Short side × long side in inches, at `dpi`: the lab gets exactly these pixels. */
  inches: readonly [number, number];
  dpi: number;
}

export interface DigitalProduct {
  id: ProductId;
  kind: 'digital';
  label: string;
}

export type Product = PhysicalProduct | DigitalProduct;

/** Lab print resolution: 300 dpi is what photo labs ask for (8×10 in = 2400×3000 px). */
export const LAB_DPI = 300;
/** Canvas is printed at a lower resolution; the texture hides more. */
export const CANVAS_DPI = 150;
/** Every lab file is sRGB, stated in the manifest and embedded as an ICC profile. */
export const LAB_COLOUR_SPACE = 'sRGB' as const;

export const PRODUCTS: Readonly<Record<ProductId, Product>> = {
  print_5x7: { id: 'print_5x7', kind: 'print', label: '5×7 in print', inches: [5, 7], dpi: LAB_DPI },
  print_8x10: { id: 'print_8x10', kind: 'print', label: '8×10 in print', inches: [8, 10], dpi: LAB_DPI },
  poster_12x18: { id: 'poster_12x18', kind: 'print', label: '12×18 in poster', inches: [12, 18], dpi: LAB_DPI },
  canvas_12x16: { id: 'canvas_12x16', kind: 'canvas', label: '12×16 in canvas', inches: [12, 16], dpi: CANVAS_DPI },
  digital_file: { id: 'digital_file', kind: 'digital', label: 'Digital file (full resolution)' },
};

export function isPhysical(product: Product): product is PhysicalProduct {
  return product.kind !== 'digital';
}

/** Pixel size of a physical product, short side first (portrait); landscape photos swap it. */
export function productPixels(product: PhysicalProduct): { shortPx: number; longPx: number } {
  return { shortPx: product.inches[0] * product.dpi, longPx: product.inches[1] * product.dpi };
}

/** The pixel size a photo is printed at: the product's, in the photo's own orientation. */
export function printPixels(
  product: PhysicalProduct,
  photo: { width: number; height: number },
): { widthPx: number; heightPx: number } {
  const { shortPx, longPx } = productPixels(product);
  return photo.width > photo.height ? { widthPx: longPx, heightPx: shortPx } : { widthPx: shortPx, heightPx: longPx };
}

export interface ShippingMethod {
  id: string;
  label: string;
  feeCents: number;
  /** ISO 3166 alpha-2 codes it ships to; empty means everywhere. */
  countries: string[];
}

export interface AfterEventPriceList {
  currency: string;
  /** Products offered and their unit price; a product missing here is not sold for this event. */
  products: Partial<Record<ProductId, number>>;
  /** Price of the "all my photos" bundle; null: not offered. */
  bundlePriceCents: number | null;
  shipping: ShippingMethod[];
  /** Tax in basis points (1 % = 100) on goods and shipping; 0 when prices include it. */
  taxBasisPoints: number;
}

export const MAX_REORDER_QUANTITY = 20;
export const MAX_REORDER_LINES = 100;

export interface ReorderLine {
  imageId: string;
  productId: ProductId;
  quantity: number;
}

export interface QuotedLine extends ReorderLine {
  label: string;
  unitCents: number;
  totalCents: number;
  physical: boolean;
}

export interface ReorderQuote {
  currency: string;
  lines: QuotedLine[];
  bundle: { imageIds: string[]; priceCents: number } | null;
  goodsCents: number;
  /** Goods that need a lab and shipping (prints, canvas): what a rejected lab job refunds. */
  physicalGoodsCents: number;
  shipping: { methodId: string; label: string; feeCents: number } | null;
  taxCents: number;
  totalCents: number;
  /** Physical goods + shipping + their share of tax: the part a rejected lab job gives back. */
  labPartCents: number;
  needsShipping: boolean;
}

export type QuoteProblem =
  | { problem: 'empty' }
  | { problem: 'product_not_offered'; productId: string }
  | { problem: 'bad_quantity'; imageId: string }
  | { problem: 'too_many_lines' }
  | { problem: 'bundle_not_offered' }
  | { problem: 'shipping_required' }
  | { problem: 'shipping_not_available'; methodId: string; country: string };

/** Tax on an amount, rounded half up. */
export function taxOf(amountCents: number, basisPoints: number): number {
  return Math.floor((amountCents * basisPoints + 5_000) / 10_000);
}

export function quoteReorder(
  list: AfterEventPriceList,
  input: {
    lines: readonly ReorderLine[];
    bundleImageIds: readonly string[] | null;
    shippingMethodId: string | null;
    country: string | null;
  },
): ReorderQuote | QuoteProblem {
  if (input.lines.length === 0 && !input.bundleImageIds) return { problem: 'empty' };
  if (input.lines.length > MAX_REORDER_LINES) return { problem: 'too_many_lines' };
  const lines: QuotedLine[] = [];
  for (const line of input.lines) {
    const price = list.products[line.productId];
    if (price === undefined) return { problem: 'product_not_offered', productId: line.productId };
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > MAX_REORDER_QUANTITY) {
      return { problem: 'bad_quantity', imageId: line.imageId };
    }
    const product = PRODUCTS[line.productId];
    lines.push({
      ...line,
      label: product.label,
      unitCents: price,
      totalCents: price * line.quantity,
      physical: isPhysical(product),
    });
  }
  let bundle: ReorderQuote['bundle'] = null;
  if (input.bundleImageIds) {
    if (list.bundlePriceCents === null || input.bundleImageIds.length === 0) return { problem: 'bundle_not_offered' };
    bundle = { imageIds: [...input.bundleImageIds], priceCents: list.bundlePriceCents };
  }
  const physicalGoodsCents = lines.filter((l) => l.physical).reduce((n, l) => n + l.totalCents, 0);
  const goodsCents = lines.reduce((n, l) => n + l.totalCents, 0) + (bundle?.priceCents ?? 0);
  const needsShipping = lines.some((l) => l.physical);
  let shipping: ReorderQuote['shipping'] = null;
  if (needsShipping) {
    if (!input.shippingMethodId || !input.country) return { problem: 'shipping_required' };
    const method = list.shipping.find((m) => m.id === input.shippingMethodId);
    if (!method || (method.countries.length > 0 && !method.countries.includes(input.country))) {
      return { problem: 'shipping_not_available', methodId: input.shippingMethodId, country: input.country };
    }
    shipping = { methodId: method.id, label: method.label, feeCents: method.feeCents };
  }
  const taxable = goodsCents + (shipping?.feeCents ?? 0);
  const taxCents = taxOf(taxable, list.taxBasisPoints);
  const labNet = physicalGoodsCents + (shipping?.feeCents ?? 0);
  return {
    currency: list.currency,
    lines,
    bundle,
    goodsCents,
    physicalGoodsCents,
    shipping,
    taxCents,
    totalCents: taxable + taxCents,
    labPartCents: labNet + taxOf(labNet, list.taxBasisPoints),
    needsShipping,
  };
}

export function isQuoteProblem(q: ReorderQuote | QuoteProblem): q is QuoteProblem {
  return 'problem' in q;
}

/** What a new event offers after it ends, until an operator sets its own list. */
export function defaultAfterEventPriceList(currency: string): AfterEventPriceList {
  return {
    currency,
    products: { print_5x7: 900, print_8x10: 1500, poster_12x18: 2900, canvas_12x16: 5900, digital_file: 1200 },
    bundlePriceCents: 2900,
    shipping: [
      { id: 'standard', label: 'Standard post (3–5 working days)', feeCents: 490, countries: [] },
      { id: 'express', label: 'Express courier (1–2 working days)', feeCents: 1490, countries: [] },
    ],
    taxBasisPoints: 0,
  };
}
