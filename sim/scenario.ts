/**
 * Simulator scenarios, schema version 1: a venue, an event, its orders, how fans redeem, faults,
 * the strategies' knobs and the seed, as JSON or YAML. Every field is documented in sim/MODEL.md.
 * A bad file is rejected with every problem listed as "<field path>: <what was expected>", e.g.
 * "venue.lan.capacityMbps: expected a number > 0". The sections' own schemas are in scenario-venue.ts,
 * scenario-workload.ts and scenario-strategies.ts; the cross-field checks are here.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { AppError } from '../shared/errors.ts';
import { type SyncSchedule, validateSchedule } from '../shared/policy/schedule.ts';
import { revenueProblems, revenueSchema } from './revenue/revenue-scenario.ts';
import { count, type Dist, distSchema, nonNegative, positive } from './scenario-fields.ts';
import { describeIssues } from './scenario-issues.ts';
import { strategiesSchema } from './scenario-strategies.ts';
import { venueSchema } from './scenario-venue.ts';
import { eventSchema, ordersSchema, redemptionSchema } from './scenario-workload.ts';

export const SCENARIO_SCHEMA_VERSION = 1;
/** Larger scenarios than this are refused: they would not fit the model's per-printer arrays. */
export const MAX_PRINTERS = 10_000;
export const MAX_IMAGES = 1_000_000;
export const MAX_ORDERS = 5_000_000;
/** The model keeps 9 bytes per (printer, image) pair: 50 M pairs ≈ 450 MB. */
export const MAX_PRINTER_IMAGE_PAIRS = 50_000_000;
export const MAX_LAG_SAMPLES = 100_000;

const window = z.strictObject({ fromS: nonNegative(), toS: positive() });

export const scenarioSchema = z
  .strictObject({
    schemaVersion: z.literal(SCENARIO_SCHEMA_VERSION, { error: `expected ${SCENARIO_SCHEMA_VERSION}` }),
    name: z.string({ error: 'expected a name' }).regex(/^[a-z0-9][a-z0-9-]{0,63}$/, {
      error: 'expected lower-case letters, digits and dashes (at most 64)',
    }),
    description: z.string().optional(),
    seed: count(0),
    durationS: positive(),
    startsAtUtc: z.iso
      .datetime({ error: 'expected an ISO 8601 UTC time, e.g. 2025-06-01T17:00:00Z' })
      .default('2025-06-01T17:00:00Z'),
    venue: venueSchema,
    event: eventSchema,
    orders: ordersSchema,
    redemption: redemptionSchema,
    faults: z
      .strictObject({
        printerDown: z.array(z.strictObject({ printers: z.array(count(0)).min(1), ...window.shape })).default([]),
        wanOutages: z.array(window).default([]),
      })
      .prefault({}),
    strategies: strategiesSchema,
    output: z.strictObject({ sampleIntervalS: positive().default(60) }).prefault({}),
    /** Optional: prices, templates and fee tables for the revenue report (sim/revenue/). */
    revenue: revenueSchema(distSchema).optional(),
  })
  .superRefine((s, ctx) => crossChecks(s, ctx));

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;

/** The mesh strategy's sync schedule as the shared planner takes it (validated here, run by both mesh models). */
export function meshSyncSchedule(
  mesh: Pick<Scenario['strategies']['mesh'], 'syncIntervalS' | 'syncWindows' | 'utcOffsetMinutes'>,
): SyncSchedule {
  return { intervalMs: mesh.syncIntervalS * 1000, windows: mesh.syncWindows, utcOffsetMinutes: mesh.utcOffsetMinutes };
}

type Ctx = z.RefinementCtx;

function problem(ctx: Ctx, path: Array<string | number>, message: string): void {
  ctx.addIssue({ code: 'custom', path, message });
}

function checkDist(ctx: Ctx, d: Dist, path: Array<string | number>): void {
  if (d.kind === 'uniform' && d.max < d.min) problem(ctx, [...path, 'max'], 'expected max ≥ min');
  if (
    (d.kind === 'exponential' || d.kind === 'lognormal') &&
    d.min !== undefined &&
    d.max !== undefined &&
    d.max < d.min
  )
    problem(ctx, [...path, 'max'], 'expected max ≥ min');
  if (d.kind === 'choice' && d.weights !== undefined) {
    if (d.weights.length !== d.values.length) problem(ctx, [...path, 'weights'], 'expected one weight per value');
    else if (!d.weights.some((w) => w > 0)) problem(ctx, [...path, 'weights'], 'expected at least one weight > 0');
  }
}

export function totalPrinters(s: Pick<Scenario, 'venue'>): number {
  return s.venue.printers.reduce((n, g) => n + g.count, 0);
}

export function totalImages(s: Pick<Scenario, 'event'>): number {
  const u = s.event.uploads;
  return u.kind === 'periodic' ? u.images : u.batches.reduce((n, b) => n + b.images, 0);
}

/** Upload batches in time order: when each arrives and how many images it brings. */
export function uploadBatches(s: Pick<Scenario, 'event'>): Array<{ atS: number; images: number }> {
  const u = s.event.uploads;
  if (u.kind === 'explicit') return u.batches.map((b) => ({ ...b })).sort((a, b) => a.atS - b.atS);
  const n = Math.max(1, Math.ceil((u.endS - u.startS) / u.batchIntervalS));
  const base = Math.floor(u.images / n);
  const extra = u.images % n;
  const out: Array<{ atS: number; images: number }> = [];
  // Batches past the image count are empty: a tiny batchIntervalS (1e-9 s) must not mean 10^12 turns.
  for (let k = 0; k < Math.min(n, u.images); k++) {
    const images = base + (k < extra ? 1 : 0);
    if (images > 0) out.push({ atS: u.startS + k * u.batchIntervalS, images });
  }
  return out;
}

function crossChecks(s: Scenario, ctx: Ctx): void {
  const printers = totalPrinters(s);
  if (printers > MAX_PRINTERS) problem(ctx, ['venue', 'printers'], `expected at most ${MAX_PRINTERS} printers in all`);
  s.venue.printers.forEach((g, i) => {
    if (!Object.hasOwn(s.venue.printerModels, g.model))
      problem(
        ctx,
        ['venue', 'printers', i, 'model'],
        `expected one of venue.printerModels (${Object.keys(s.venue.printerModels).join(', ') || 'none defined'})`,
      );
  });
  const u = s.event.uploads;
  if (u.kind === 'periodic' && u.endS <= u.startS) problem(ctx, ['event', 'uploads', 'endS'], 'expected endS > startS');
  const images = totalImages(s);
  if (images > MAX_IMAGES) problem(ctx, ['event', 'uploads'], `expected at most ${MAX_IMAGES} images`);
  if (printers * images > MAX_PRINTER_IMAGE_PAIRS) {
    problem(
      ctx,
      ['venue', 'printers'],
      `printers × images must be at most ${MAX_PRINTER_IMAGE_PAIRS} (is ${printers * images})`,
    );
  }
  if (s.durationS / s.output.sampleIntervalS > MAX_LAG_SAMPLES) {
    problem(ctx, ['output', 'sampleIntervalS'], `expected at most ${MAX_LAG_SAMPLES} samples over durationS`);
  }
  checkDist(ctx, s.event.imageSizeBytes, ['event', 'imageSizeBytes']);
  const o = s.orders;
  if (o.kind === 'generated') {
    if (o.purchase.endS <= o.purchase.startS) problem(ctx, ['orders', 'purchase', 'endS'], 'expected endS > startS');
    if (o.count > MAX_ORDERS) problem(ctx, ['orders', 'count'], `expected at most ${MAX_ORDERS} orders`);
    checkDist(ctx, o.itemsPerOrder, ['orders', 'itemsPerOrder']);
    checkDist(ctx, o.copiesPerItem, ['orders', 'copiesPerItem']);
  } else if (images <= MAX_IMAGES) {
    const uploadedAt: number[] = [];
    for (const b of uploadBatches(s)) for (let k = 0; k < b.images; k++) uploadedAt.push(b.atS);
    o.list.forEach((order, i) => {
      order.images.forEach((img, k) => {
        if (img >= images) problem(ctx, ['orders', 'list', i, 'images', k], `expected an image index < ${images}`);
        else if (uploadedAt[img]! > order.purchaseAtS)
          problem(
            ctx,
            ['orders', 'list', i, 'images', k],
            `image ${img} is uploaded at ${uploadedAt[img]} s, after the purchase`,
          );
      });
      if (order.printer !== undefined && order.printer >= printers)
        problem(ctx, ['orders', 'list', i, 'printer'], `expected a printer index < ${printers}`);
      if (order.redeemAtS !== undefined && order.redeemAtS < order.purchaseAtS)
        problem(ctx, ['orders', 'list', i, 'redeemAtS'], 'expected redeemAtS ≥ purchaseAtS');
    });
  }
  checkDist(ctx, s.redemption.delayS, ['redemption', 'delayS']);
  if (s.redemption.kioskSuggestion && s.redemption.choice === 'shortest-queue')
    problem(
      ctx,
      ['redemption', 'kioskSuggestion'],
      'fans sent to the shortest queue are at the best station already: remove kioskSuggestion, or choose "nearest" or "random"',
    );
  s.faults.printerDown.forEach((w, i) => {
    if (w.toS <= w.fromS) problem(ctx, ['faults', 'printerDown', i, 'toS'], 'expected toS > fromS');
    w.printers.forEach((p, k) => {
      if (p >= printers)
        problem(ctx, ['faults', 'printerDown', i, 'printers', k], `expected a printer index < ${printers}`);
    });
  });
  const m = s.strategies.mesh;
  for (const p of validateSchedule(meshSyncSchedule(m))) problem(ctx, ['strategies', 'mesh', 'syncWindows'], p);
  s.faults.wanOutages.forEach((w, i) => {
    if (w.toS <= w.fromS) problem(ctx, ['faults', 'wanOutages', i, 'toS'], 'expected toS > fromS');
  });
  if (s.revenue) {
    for (const [path, message] of revenueProblems(s.revenue)) problem(ctx, ['revenue', ...path], message);
    const perRepeat = s.revenue.repeatCustomers.ordersPerRepeatCustomer;
    if (perRepeat) checkDist(ctx, perRepeat, ['revenue', 'repeatCustomers', 'ordersPerRepeatCustomer']);
  }
}

/**
 * Parses a scenario from JSON or YAML text: by extension (.json, .yaml/.yml), else JSON when the
 * text starts with "{". Throws AppError 'invalid_scenario' naming every bad field.
 */
export function parseScenario(text: string, fileName = 'scenario'): Scenario {
  let raw: unknown;
  const lower = fileName.toLowerCase();
  const isYaml = lower.endsWith('.yaml') || lower.endsWith('.yml');
  const looksJson = !isYaml && (lower.endsWith('.json') || text.trimStart().startsWith('{'));
  try {
    raw = looksJson ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new AppError(
      'invalid_scenario',
      `${fileName}: not valid ${looksJson ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    );
  }
  return validateScenario(raw, fileName);
}

/** Validates an already parsed object (e.g. built in code) and applies the defaults. */
export function validateScenario(raw: unknown, fileName = 'scenario'): Scenario {
  const result = scenarioSchema.safeParse(raw);
  if (!result.success) {
    const lines = describeIssues(result.error.issues);
    throw new AppError('invalid_scenario', `${fileName}: ${lines.join('; ')}`, { problems: lines });
  }
  return result.data;
}
