/**
 * Pure template fees (issue #14, after JP3667031B2): a template's fee is its basic fee × a rate from
 * a fee-rate table indexed by how often the template has been used × a rate indexed by how often
 * this customer has used the service. Shared by the shop's quote, the coordinator's orders, the
 * operator's view and the simulator.
 *
 * Rates are exact thousandths (0.8 is 800‰) and the fee is computed in integers:
 *   feeCents = round_half_up(basicFeeCents × templateRate‰ × customerRate‰ / 1 000 000)
 * so every component (browser, server, report) gets the same cent, and a half cent rounds up.
 */

/** Rates are stored and multiplied as integer thousandths. */
export const RATE_SCALE = 1000;
/** A rate below this is a giveaway by typo; above it an overcharge by typo. */
export const MIN_RATE = 0.1;
export const MAX_RATE = 5;
export const MAX_BANDS = 12;
export const MAX_TABLES = 8;
/** The largest basic fee a template may carry, in minor units (1000.00 in the currency). */
export const MAX_BASIC_FEE_CENTS = 100_000;
/** The largest use count a band may start at: far beyond any venue, small enough to stay exact. */
export const MAX_BAND_FROM_USES = 1_000_000_000;
export const ROUNDING_RULE = 'basic fee × rates, rounded half up to the currency minor unit';

export interface RateBand {
  /** The band applies from this many uses on (the first band starts at 0). */
  fromUses: number;
  /** A multiple of 0.001 in [MIN_RATE, MAX_RATE]. */
  rate: number;
  /** What the receipt calls this band: "popular", "regular customer". */
  label: string;
  /**
   * Customer tables only: customers in this band are priced by this template table instead of the
   * event's active one (the seed's "fee rate table switched per customer").
   */
  tableId?: string;
}

export interface RateTable {
  id: string;
  name: string;
  bands: RateBand[];
}

/** An event's fee settings: its template-use tables, the active one, and the customer table. */
export interface FeeSettings {
  tables: RateTable[];
  activeTableId: string;
  customerTable: RateTable;
}

export interface TemplateFeeInput {
  basicFeeCents: number;
  /** Uses of the template counted when the quote is made. */
  templateUses: number;
  /** Printed units of this customer counted when the quote is made (0: new or unknown customer). */
  customerUses: number;
  settings: FeeSettings;
}

/** A fee as quoted; frozen on the order so the price never changes after the fan saw it. */
export interface TemplateFeeQuote {
  basicFeeCents: number;
  tableId: string;
  templateUses: number;
  templateRate: number;
  templateBand: string;
  customerUses: number;
  customerRate: number;
  customerBand: string;
  feeCents: number;
}

/** What is wrong with a table, as sentences an operator can act on; empty when it is valid. */
export function rateTableProblems(table: RateTable): string[] {
  const problems: string[] = [];
  const name = table.name || table.id;
  if (!table.id) problems.push('a table needs an id');
  if (table.bands.length === 0) problems.push(`table "${name}" has no bands`);
  if (table.bands.length > MAX_BANDS) problems.push(`table "${name}" has more than ${MAX_BANDS} bands`);
  table.bands.forEach((band, i) => {
    const at = `table "${name}", band ${i + 1}`;
    if (!Number.isInteger(band.fromUses) || band.fromUses < 0 || band.fromUses > MAX_BAND_FROM_USES) {
      problems.push(`${at}: "from uses" must be a whole number from 0 to ${MAX_BAND_FROM_USES}`);
    }
    if (i === 0 && band.fromUses !== 0) problems.push(`${at}: the first band must start at 0 uses`);
    const previous = table.bands[i - 1];
    if (previous && !(band.fromUses > previous.fromUses)) {
      problems.push(`${at}: bands must start at strictly increasing use counts`);
    }
    if (!Number.isFinite(band.rate) || band.rate < MIN_RATE || band.rate > MAX_RATE) {
      problems.push(`${at}: the rate must be between ${MIN_RATE} and ${MAX_RATE}`);
    } else if (Math.abs(band.rate * RATE_SCALE - Math.round(band.rate * RATE_SCALE)) > 1e-6) {
      problems.push(`${at}: the rate may have at most three decimals`);
    }
    if (!band.label.trim()) problems.push(`${at}: the band needs a label`);
  });
  return problems;
}

export function feeSettingsProblems(settings: FeeSettings): string[] {
  const problems = settings.tables.flatMap(rateTableProblems);
  if (settings.tables.length === 0) problems.push('at least one fee-rate table is needed');
  if (settings.tables.length > MAX_TABLES) problems.push(`at most ${MAX_TABLES} fee-rate tables`);
  const ids = new Set(settings.tables.map((t) => t.id));
  if (ids.size !== settings.tables.length) problems.push('fee-rate table ids must be unique');
  if (!ids.has(settings.activeTableId)) problems.push(`the active table "${settings.activeTableId}" does not exist`);
  problems.push(...rateTableProblems(settings.customerTable));
  for (const band of settings.customerTable.bands) {
    if (band.tableId !== undefined && !ids.has(band.tableId)) {
      problems.push(`customer band "${band.label}" names a table "${band.tableId}" that does not exist`);
    }
  }
  return problems;
}

export function basicFeeProblems(basicFeeCents: number): string[] {
  return Number.isInteger(basicFeeCents) && basicFeeCents >= 0 && basicFeeCents <= MAX_BASIC_FEE_CENTS
    ? []
    : [`the basic fee must be a whole number of cents from 0 to ${MAX_BASIC_FEE_CENTS}`];
}

function assertValid(problems: string[]): void {
  if (problems.length > 0) throw new RangeError(problems.join('; '));
}

/** The band `uses` falls in: the last one starting at or below it. */
export function bandFor(table: RateTable, uses: number): RateBand {
  let found = table.bands[0]!;
  for (const band of table.bands) if (band.fromUses <= uses) found = band;
  return found;
}

/** The band after the one `uses` falls in, or null in the last band. */
export function nextBand(table: RateTable, uses: number): RateBand | null {
  return table.bands.find((band) => band.fromUses > uses) ?? null;
}

export function rateMillis(rate: number): number {
  return Math.round(rate * RATE_SCALE);
}

/** basic × a‰ × b‰, rounded half up to a whole minor unit, in exact integer arithmetic. */
export function applyRates(basicFeeCents: number, templateRate: number, customerRate: number): number {
  const scale = RATE_SCALE * RATE_SCALE;
  const product = basicFeeCents * rateMillis(templateRate) * rateMillis(customerRate);
  return Math.floor((product + scale / 2) / scale);
}

/** The template table a customer is priced by: their band's own table, else the event's active one. */
export function tableForCustomer(settings: FeeSettings, customerUses: number): RateTable {
  const band = bandFor(settings.customerTable, customerUses);
  const id = band.tableId ?? settings.activeTableId;
  const table = settings.tables.find((t) => t.id === id);
  if (!table) throw new RangeError(`fee-rate table "${id}" does not exist`);
  return table;
}

export function quoteTemplateFee(input: TemplateFeeInput): TemplateFeeQuote {
  assertValid([...basicFeeProblems(input.basicFeeCents), ...feeSettingsProblems(input.settings)]);
  const templateUses = Math.max(0, Math.floor(input.templateUses));
  const customerUses = Math.max(0, Math.floor(input.customerUses));
  const table = tableForCustomer(input.settings, customerUses);
  const templateBand = bandFor(table, templateUses);
  const customerBand = bandFor(input.settings.customerTable, customerUses);
  return {
    basicFeeCents: input.basicFeeCents,
    tableId: table.id,
    templateUses,
    templateRate: templateBand.rate,
    templateBand: templateBand.label,
    customerUses,
    customerRate: customerBand.rate,
    customerBand: customerBand.label,
    feeCents: applyRates(input.basicFeeCents, templateBand.rate, customerBand.rate),
  };
}

/** A billing row of the seed: what one use costs from `fromUses` uses on, in minor units. */
export interface BillingRow {
  fromUses: number;
  feeCents: number;
  label: string;
}

/** A fee-rate table derived from a billing table: each band's rate is its fee ÷ the basic fee. */
export function deriveRateTable(id: string, name: string, basicFeeCents: number, billing: BillingRow[]): RateTable {
  if (!(basicFeeCents > 0)) throw new RangeError('a rate table can only be derived from a basic fee above 0');
  const table: RateTable = {
    id,
    name,
    bands: billing.map((row) => ({
      fromUses: row.fromUses,
      rate: Math.round((row.feeCents / basicFeeCents) * RATE_SCALE) / RATE_SCALE,
      label: row.label,
    })),
  };
  assertValid(rateTableProblems(table));
  return table;
}

// --- the seed's tables ---------------------------------------------------------------------------

/**
 * The seed's Table 1 shapes, in venue numbers (a venue's template is used tens to hundreds of times,
 * not the seed's thousands): "normal" gets cheaper as a template is used (it has paid for itself),
 * "launch" makes little-used templates cheap to win customers, "profit" charges more than the
 * basic fee for popular templates.
 */
export const SEED_TEMPLATE_TABLES: readonly RateTable[] = [
  {
    id: 'normal',
    name: 'Normal',
    bands: [
      { fromUses: 0, rate: 1, label: 'new' },
      { fromUses: 10, rate: 0.9, label: 'known' },
      { fromUses: 50, rate: 0.8, label: 'popular' },
      { fromUses: 200, rate: 0.7, label: 'classic' },
    ],
  },
  {
    id: 'launch',
    name: 'Launch',
    bands: [
      { fromUses: 0, rate: 0.5, label: 'launch offer' },
      { fromUses: 10, rate: 0.7, label: 'launch' },
      { fromUses: 50, rate: 0.9, label: 'popular' },
      { fromUses: 200, rate: 1, label: 'classic' },
    ],
  },
  {
    id: 'profit',
    name: 'Profit',
    bands: [
      { fromUses: 0, rate: 1, label: 'new' },
      { fromUses: 10, rate: 1.1, label: 'known' },
      { fromUses: 50, rate: 1.25, label: 'popular' },
      { fromUses: 200, rate: 1.5, label: 'best seller' },
    ],
  },
];

/** A rate for returning customers (the seed's second embodiment), in printed units. */
export const DEFAULT_CUSTOMER_TABLE: RateTable = {
  id: 'customers',
  name: 'Customers',
  bands: [
    { fromUses: 0, rate: 1, label: 'new customer' },
    { fromUses: 3, rate: 0.9, label: 'regular customer' },
    { fromUses: 10, rate: 0.8, label: 'loyal customer' },
  ],
};

/**
 * The seed's Table 3 as data: initial customers (< 1000 uses) get little-used templates cheap (a
 * rising table), general customers (1000–9999) pay less as a template is used more (a falling
 * table), excellent customers (≥ 10 000) get both new and much-used templates cheap (a valley).
 */
export const SEED_TABLE_3_SETTINGS: FeeSettings = {
  activeTableId: 'normal',
  tables: [
    ...SEED_TEMPLATE_TABLES,
    {
      id: 'excellent',
      name: 'Excellent customers',
      bands: [
        { fromUses: 0, rate: 0.6, label: 'new' },
        { fromUses: 10, rate: 0.9, label: 'known' },
        { fromUses: 50, rate: 0.7, label: 'popular' },
        { fromUses: 200, rate: 0.5, label: 'classic' },
      ],
    },
  ],
  customerTable: {
    id: 'seed-customers',
    name: 'Seed customers',
    bands: [
      { fromUses: 0, rate: 1, label: 'initial customer', tableId: 'launch' },
      { fromUses: 1000, rate: 1, label: 'general customer', tableId: 'normal' },
      { fromUses: 10_000, rate: 1, label: 'excellent customer', tableId: 'excellent' },
    ],
  },
};

/** What a new event starts with: the seed's three tables, "normal" active, the default customer table. */
export function defaultFeeSettings(): FeeSettings {
  return structuredClone({
    tables: [...SEED_TEMPLATE_TABLES],
    activeTableId: 'normal',
    customerTable: DEFAULT_CUSTOMER_TABLE,
  });
}

// --- how a fee reads -------------------------------------------------------------------------------

const CURRENCY_SYMBOLS: Readonly<Record<string, string>> = { EUR: '€', USD: '$', GBP: '£', CHF: 'CHF ' };

export function formatCents(cents: number, currency: string): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const amount = `${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
  const symbol = CURRENCY_SYMBOLS[currency];
  return symbol ? `${sign}${symbol}${amount}` : `${sign}${amount} ${currency}`;
}

/** 0.8 → "0.8", 1 → "1", 1.25 → "1.25". */
export function formatRate(rate: number): string {
  return String(rateMillis(rate) / RATE_SCALE);
}

/** "Gold frame: €2.00 × 0.8 (popular) × 0.9 (regular customer) = €1.44" */
export function feeLine(templateName: string, quote: TemplateFeeQuote, currency: string): string {
  return (
    `${templateName}: ${formatCents(quote.basicFeeCents, currency)}` +
    ` × ${formatRate(quote.templateRate)} (${quote.templateBand})` +
    ` × ${formatRate(quote.customerRate)} (${quote.customerBand})` +
    ` = ${formatCents(quote.feeCents, currency)}`
  );
}
