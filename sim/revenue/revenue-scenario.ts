/**
 * The scenario's optional `revenue` section: the event's price list, its templates (frames) with
 * basic fees, the fee-rate tables and the one selected, how many prints take a frame, and how many
 * fans come back. Validated here with the product's own rules (shared/policy/template-fees.ts), so
 * a table the console would refuse is refused here too, with the same sentence.
 */
import { z } from 'zod';
import { MAX_PRINTS_PER_ORDER } from '../../shared/policy/pricing.ts';
import {
  basicFeeProblems,
  DEFAULT_CUSTOMER_TABLE,
  type FeeSettings,
  feeSettingsProblems,
  MAX_BANDS,
  rateTableProblems,
  SEED_TEMPLATE_TABLES,
} from '../../shared/policy/template-fees.ts';

/** More templates than this is a typo: a venue offers a handful of frames. */
export const MAX_SIM_TEMPLATES = 50;
/** The coordinator's own limit on a price (events.ts). */
export const MAX_PRICE_CENTS = 1_000_000;

const share = () =>
  z
    .number({ error: 'expected a number from 0 to 1' })
    .min(0, { error: 'expected a number from 0 to 1' })
    .max(1, { error: 'expected a number from 0 to 1' });
const cents = () =>
  z
    .number({ error: `expected a whole number of cents from 0 to ${MAX_PRICE_CENTS}` })
    .int({ error: `expected a whole number of cents from 0 to ${MAX_PRICE_CENTS}` })
    .min(0, { error: `expected a whole number of cents from 0 to ${MAX_PRICE_CENTS}` })
    .max(MAX_PRICE_CENTS, { error: `expected a whole number of cents from 0 to ${MAX_PRICE_CENTS}` });

const rateTableSchema = z.strictObject({
  id: z.string({ error: 'expected a table id' }),
  name: z.string({ error: 'expected a table name' }),
  bands: z
    .array(
      z.strictObject({
        fromUses: z.number({ error: 'expected a whole number ≥ 0' }),
        rate: z.number({ error: 'expected a rate' }),
        label: z.string({ error: 'expected a label' }),
        tableId: z.string().optional(),
      }),
    )
    .max(MAX_BANDS, { error: `expected at most ${MAX_BANDS} bands` }),
});

export function revenueSchema<D extends z.ZodType>(distSchema: D) {
  return z.strictObject({
    priceList: z.strictObject({
      currency: z.string().regex(/^[A-Z]{3}$/, { error: 'expected an ISO 4217 code such as "EUR"' }),
      unitPriceCents: cents(),
      bundles: z
        .array(
          z.strictObject({
            copies: z
              .number()
              .int({ error: `expected a whole number from 2 to ${MAX_PRINTS_PER_ORDER}` })
              .min(2, { error: `expected a whole number from 2 to ${MAX_PRINTS_PER_ORDER}` })
              .max(MAX_PRINTS_PER_ORDER, { error: `expected a whole number from 2 to ${MAX_PRINTS_PER_ORDER}` }),
            priceCents: cents(),
          }),
        )
        .default([]),
    }),
    templates: z
      .array(
        z.strictObject({
          id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, {
            error: 'expected lower-case letters, digits and dashes (at most 64)',
          }),
          name: z.string().min(1, { error: 'expected a name' }).max(80, { error: 'expected at most 80 characters' }),
          basicFeeCents: z.number({ error: 'expected a whole number of cents' }),
          /** How often fans pick it, relative to the others. */
          weight: z.number().min(0, { error: 'expected a number ≥ 0' }).default(1),
        }),
      )
      .max(MAX_SIM_TEMPLATES, { error: `expected at most ${MAX_SIM_TEMPLATES} templates` })
      .default([]),
    /** Share of order lines (a photo and its copies) that take a frame. */
    framedShare: share().default(0),
    /** The fee-rate table quotes use; the others are priced on the same run for comparison. */
    feeTable: z.string().default('normal'),
    feeTables: z.array(rateTableSchema).optional(),
    customerTable: rateTableSchema.optional(),
    repeatCustomers: z
      .strictObject({
        /** Share of fans who order more than once. */
        share: share().default(0),
        /** Orders per repeat customer: drawn counts are rounded and at least 2. Default: 3. */
        ordersPerRepeatCustomer: distSchema.optional(),
      })
      .prefault({}),
  });
}
/** The parsed section, with D the scenario's distribution type (scenario.ts passes its own). */
export type RevenueScenarioOf<D> = z.infer<ReturnType<typeof revenueSchema<z.ZodType<D>>>>;
type RevenueScenario = RevenueScenarioOf<unknown>;

/** The event's fee settings as the coordinator would hold them. */
export function simFeeSettings(r: RevenueScenario, feeTable = r.feeTable): FeeSettings {
  return structuredClone({
    tables: r.feeTables ?? [...SEED_TEMPLATE_TABLES],
    activeTableId: feeTable,
    customerTable: r.customerTable ?? DEFAULT_CUSTOMER_TABLE,
  });
}

/** Problems as [path below `revenue`, message]: the product's sentences for tables and fees. */
export function revenueProblems(r: RevenueScenario): Array<[Array<string | number>, string]> {
  const out: Array<[Array<string | number>, string]> = [];
  const settings = simFeeSettings(r);
  const reported = new Set<string>();
  settings.tables.forEach((table, i) => {
    for (const p of rateTableProblems(table)) {
      reported.add(p);
      out.push([r.feeTables ? ['feeTables', i] : ['feeTables'], p]);
    }
  });
  const customerProblems = new Set(rateTableProblems(settings.customerTable));
  for (const p of feeSettingsProblems(settings)) {
    if (reported.has(p)) continue;
    const where = /^the active table/.test(p)
      ? 'feeTable'
      : customerProblems.has(p) || /^customer band/.test(p)
        ? 'customerTable'
        : 'feeTables';
    out.push([[where], p]);
  }
  const ids = new Set<string>();
  r.templates.forEach((t, i) => {
    for (const p of basicFeeProblems(t.basicFeeCents)) out.push([['templates', i, 'basicFeeCents'], p]);
    if (ids.has(t.id)) out.push([['templates', i, 'id'], `template id "${t.id}" is used twice`]);
    ids.add(t.id);
  });
  if (r.framedShare > 0 && !r.templates.some((t) => t.weight > 0)) {
    out.push([['framedShare'], 'a framed share above 0 needs at least one template with a weight > 0']);
  }
  return out;
}
