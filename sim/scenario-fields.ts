/**
 * The scenario's field builders, shared by its sub-schemas (scenario-venue.ts, scenario-workload.ts,
 * scenario-strategies.ts): numbers whose error says what was expected, and the distribution of a
 * non-negative quantity.
 */
import { z } from 'zod';

export const num = (what = 'a number') => z.number({ error: `expected ${what}` });
export const positive = () => num('a number > 0').positive({ error: 'expected a number > 0' });
export const nonNegative = () => num('a number ≥ 0').min(0, { error: 'expected a number ≥ 0' });
export const count = (min = 1) =>
  z
    .number({ error: `expected a whole number ≥ ${min}` })
    .int({ error: `expected a whole number ≥ ${min}` })
    .min(min, { error: `expected a whole number ≥ ${min}` });

/** A distribution of non-negative values (bytes, seconds, counts; counts are rounded). */
const bounds = { min: nonNegative().optional(), max: positive().optional() };
export const distSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('fixed'), value: nonNegative() }),
    z.strictObject({ kind: z.literal('uniform'), min: nonNegative(), max: nonNegative() }),
    z.strictObject({ kind: z.literal('exponential'), mean: positive(), ...bounds }),
    z.strictObject({ kind: z.literal('lognormal'), median: positive(), sigma: nonNegative(), ...bounds }),
    z.strictObject({
      kind: z.literal('choice'),
      values: z.array(nonNegative()).min(1, { error: 'expected at least one value' }),
      weights: z.array(nonNegative()).optional(),
    }),
  ],
  { error: 'expected kind "fixed", "uniform", "exponential", "lognormal" or "choice"' },
);
export type Dist = z.infer<typeof distSchema>;
