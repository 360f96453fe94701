import test from 'ava';
import fc from 'fast-check';
import {
  applyRates,
  bandFor,
  DEFAULT_CUSTOMER_TABLE,
  defaultFeeSettings,
  deriveRateTable,
  type FeeSettings,
  feeLine,
  feeSettingsProblems,
  MAX_BASIC_FEE_CENTS,
  MAX_RATE,
  MIN_RATE,
  nextBand,
  quoteTemplateFee,
  type RateTable,
  rateTableProblems,
  SEED_TABLE_3_SETTINGS,
  SEED_TEMPLATE_TABLES,
} from '../shared/policy/template-fees.ts';

const rateArb = fc.integer({ min: MIN_RATE * 1000, max: MAX_RATE * 1000 }).map((m) => m / 1000);
const tableArb: fc.Arbitrary<RateTable> = fc
  .uniqueArray(fc.integer({ min: 1, max: 10_000 }), { maxLength: 6 })
  .chain((starts) =>
    fc.array(rateArb, { minLength: starts.length + 1, maxLength: starts.length + 1 }).map((rates) => ({
      id: 't',
      name: 'T',
      bands: [0, ...starts.sort((a, b) => a - b)].map((fromUses, i) => ({ fromUses, rate: rates[i]!, label: `b${i}` })),
    })),
  );
const settingsArb: fc.Arbitrary<FeeSettings> = fc.tuple(tableArb, tableArb).map(([table, customers]) => ({
  tables: [table],
  activeTableId: 't',
  customerTable: { ...customers, id: 'c', name: 'C' },
}));
const table = (id: string) => SEED_TEMPLATE_TABLES.find((t) => t.id === id)!;
const ratesOver = (t: RateTable, uses: number[]) => uses.map((u) => bandFor(t, u).rate);
const USE_POINTS = [0, 5, 10, 49, 50, 199, 200, 10_000];

test('a fee is never negative, never above basic × the largest rates, and exactly basic × rates rounded half up', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: MAX_BASIC_FEE_CENTS }),
      fc.nat(20_000),
      fc.nat(20_000),
      settingsArb,
      (basic, uses, customerUses, settings) => {
        const q = quoteTemplateFee({ basicFeeCents: basic, templateUses: uses, customerUses, settings });
        t.true(q.feeCents >= 0);
        t.true(q.feeCents <= Math.ceil(basic * MAX_RATE * MAX_RATE));
        // The rule, checked against exact rational arithmetic (BigInt), not the implementation's.
        const exact =
          BigInt(basic) * BigInt(Math.round(q.templateRate * 1000)) * BigInt(Math.round(q.customerRate * 1000));
        const floor = exact / 1_000_000n;
        const expected = exact - floor * 1_000_000n >= 500_000n ? floor + 1n : floor;
        t.is(BigInt(q.feeCents), expected);
      },
    ),
  );
});

test('the fee follows the table: monotone where the bands are, and the band is the last one started', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: MAX_BASIC_FEE_CENTS }),
      fc.nat(20_000),
      fc.nat(20_000),
      settingsArb,
      (basic, a, b, settings) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const qa = quoteTemplateFee({ basicFeeCents: basic, templateUses: lo, customerUses: 0, settings });
        const qb = quoteTemplateFee({ basicFeeCents: basic, templateUses: hi, customerUses: 0, settings });
        // Between two use counts the fee moves the way the rates between their bands move.
        if (qa.templateRate <= qb.templateRate) t.true(qa.feeCents <= qb.feeCents);
        else t.true(qa.feeCents >= qb.feeCents);
        const band = bandFor(settings.tables[0]!, hi);
        t.true(band.fromUses <= hi);
        const next = nextBand(settings.tables[0]!, hi);
        if (next) t.true(next.fromUses > hi);
      },
    ),
  );
});

test('the seed tables have the seed Table 1 shapes: normal falls, launch rises from cheap, profit rises above the basic fee', (t) => {
  const normal = ratesOver(table('normal'), USE_POINTS);
  const launch = ratesOver(table('launch'), USE_POINTS);
  const profit = ratesOver(table('profit'), USE_POINTS);
  const falling = (r: number[]) => r.every((x, i) => i === 0 || x <= r[i - 1]!);
  const rising = (r: number[]) => r.every((x, i) => i === 0 || x >= r[i - 1]!);
  t.true(falling(normal) && normal[0]! > normal.at(-1)!, `normal ${normal}`);
  t.true(rising(launch) && launch[0]! < 1 && launch.every((r) => r <= 1), `launch ${launch}`);
  t.true(rising(profit) && profit.at(-1)! > 1 && profit.every((r) => r >= 1), `profit ${profit}`);
  t.deepEqual(feeSettingsProblems(defaultFeeSettings()), []);
});

test('Table 3: initial customers get little-used templates cheap, general customers pay less as use grows, excellent ones get new and much-used templates cheap', (t) => {
  t.deepEqual(feeSettingsProblems(SEED_TABLE_3_SETTINGS), []);
  const fees = (customerUses: number) =>
    USE_POINTS.map(
      (templateUses) =>
        quoteTemplateFee({ basicFeeCents: 1000, templateUses, customerUses, settings: SEED_TABLE_3_SETTINGS }).feeCents,
    );
  const initial = fees(10);
  const general = fees(5000);
  const excellent = fees(20_000);
  t.true(initial[0]! < initial.at(-1)!, `initial ${initial}`);
  t.true(general[0]! > general.at(-1)!, `general ${general}`);
  const middle = Math.max(...excellent.slice(1, -1));
  t.true(excellent[0]! < middle && excellent.at(-1)! < middle, `excellent (a valley) ${excellent}`);
  t.true(Math.max(...excellent) <= Math.max(...general), 'excellent customers never pay more than general ones');
});

test('the receipt line states the fee as computed', (t) => {
  const settings: FeeSettings = {
    tables: [
      {
        id: 'n',
        name: 'N',
        bands: [
          { fromUses: 0, rate: 1, label: 'new' },
          { fromUses: 50, rate: 0.8, label: 'popular' },
        ],
      },
    ],
    activeTableId: 'n',
    customerTable: DEFAULT_CUSTOMER_TABLE,
  };
  const q = quoteTemplateFee({ basicFeeCents: 200, templateUses: 60, customerUses: 4, settings });
  t.is(feeLine('Gold frame', q, 'EUR'), 'Gold frame: €2.00 × 0.8 (popular) × 0.9 (regular customer) = €1.44');
  // Half a cent rounds up: 125 × 0.5 × 1 = 62.5 → 63.
  t.is(applyRates(125, 0.5, 1), 63);
  t.is(applyRates(125, 0.499, 1), 62);
});

test('bands and rates are validated with sentences an operator can act on', (t) => {
  const bad = (bands: RateTable['bands']) => rateTableProblems({ id: 'x', name: 'X', bands });
  t.deepEqual(bad([{ fromUses: 0, rate: 1, label: 'a' }]), []);
  t.regex(bad([{ fromUses: 5, rate: 1, label: 'a' }]).join(), /first band must start at 0/);
  t.regex(
    bad([
      { fromUses: 0, rate: 1, label: 'a' },
      { fromUses: 0, rate: 1, label: 'b' },
    ]).join(),
    /strictly increasing/,
  );
  t.regex(bad([{ fromUses: 0, rate: 0, label: 'a' }]).join(), /between 0.1 and 5/);
  t.regex(bad([{ fromUses: 0, rate: 1.0005, label: 'a' }]).join(), /three decimals/);
  t.regex(bad([{ fromUses: 0, rate: Number.NaN, label: 'a' }]).join(), /between/);
  t.regex(bad([]).join(), /no bands/);
  t.throws(() =>
    quoteTemplateFee({ basicFeeCents: -1, templateUses: 0, customerUses: 0, settings: defaultFeeSettings() }),
  );
  const settings = { ...defaultFeeSettings(), activeTableId: 'gone' };
  t.regex(feeSettingsProblems(settings).join(), /active table "gone" does not exist/);
});

test('a rate table derives from a billing table of fees per use band', (t) => {
  const derived = deriveRateTable('d', 'Derived', 200, [
    { fromUses: 0, feeCents: 200, label: 'new' },
    { fromUses: 20, feeCents: 160, label: 'popular' },
    { fromUses: 100, feeCents: 150, label: 'classic' },
  ]);
  t.deepEqual(
    derived.bands.map((b) => b.rate),
    [1, 0.8, 0.75],
  );
  const settings: FeeSettings = { ...defaultFeeSettings(), tables: [derived], activeTableId: 'd' };
  // Pricing from the derived table gives back the billing table's fees.
  t.is(quoteTemplateFee({ basicFeeCents: 200, templateUses: 25, customerUses: 0, settings }).feeCents, 160);
  t.is(quoteTemplateFee({ basicFeeCents: 200, templateUses: 100, customerUses: 0, settings }).feeCents, 150);
  t.throws(() => deriveRateTable('d', 'D', 0, []));
});
