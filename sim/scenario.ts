/**
 * Simulator scenarios, schema version 1: a venue, an event, its orders, how fans redeem, faults,
 * the strategies' knobs and the seed, as JSON or YAML. Every field is documented in sim/MODEL.md.
 * A bad file is rejected with every problem listed as "<field path>: <what was expected>", e.g.
 * "venue.lan.capacityMbps: expected a number > 0".
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { AppError } from '../shared/errors.ts';
import { type SyncSchedule, validateSchedule } from '../shared/policy/schedule.ts';
import { DEFAULT_SOURCE_CONFIG } from '../shared/policy/source-choice.ts';
import { revenueProblems, revenueSchema } from './revenue/revenue-scenario.ts';

export const SCENARIO_SCHEMA_VERSION = 1;
/** Larger scenarios than this are refused: they would not fit the model's per-printer arrays. */
export const MAX_PRINTERS = 10_000;
export const MAX_IMAGES = 1_000_000;
export const MAX_ORDERS = 5_000_000;
/** The model keeps 9 bytes per (printer, image) pair: 50 M pairs ≈ 450 MB. */
export const MAX_PRINTER_IMAGE_PAIRS = 50_000_000;
export const MAX_LAG_SAMPLES = 100_000;

const num = (what = 'a number') => z.number({ error: `expected ${what}` });
const positive = () => num('a number > 0').positive({ error: 'expected a number > 0' });
const nonNegative = () => num('a number ≥ 0').min(0, { error: 'expected a number ≥ 0' });
const count = (min = 1) =>
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

const window = z.strictObject({ fromS: nonNegative(), toS: positive() });

/**
 * A printer model: its print time and, optionally, what its station's CPU costs (issue #16 item 4;
 * measured by `npm run bench:mesh` and `npm run bench:print`, say where in `measured`). Without the
 * CPU figures a station is never CPU-bound (sim/model/station-cpu.ts has the arithmetic).
 */
const printerModelSchema = z.strictObject({
  /** Seconds per print (by the printer itself; bench:print's `measured s/print`). */
  printSeconds: positive(),
  /** CPU milliseconds per MB the edge node receives (verify, decrypt, store: bench:mesh cpuPerMbEdge × 1000). */
  cpuMsPerMb: positive().optional(),
  /** CPU milliseconds per MB it serves to its LAN peers (a swarm serves about what it receives). */
  cpuMsPerMbServed: nonNegative().optional(),
  /** CPU milliseconds to render one print from its master (decode, resize, colour; bench:print). */
  cpuMsPerPrint: nonNegative().optional(),
  /** Cores the edge node's replication can use (default 1: one Node.js event loop verifies). */
  cores: positive().optional(),
  /** Where the figures come from (command, machine, date): shown in reports, never read. */
  measured: z.string().optional(),
});
export type PrinterModel = z.infer<typeof printerModelSchema>;

const lanSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('switched'),
      portUpMbps: positive(),
      portDownMbps: positive(),
      rttMs: nonNegative().default(1),
    }),
    z.strictObject({
      kind: z.literal('shared'),
      capacityMbps: positive(),
      /** Air used per printer-to-printer byte: 2 when the access point relays it. */
      airtimeFactor: num('a number ≥ 1').min(1, { error: 'expected a number ≥ 1' }).default(2),
      stationMbps: positive().optional(),
      rttMs: nonNegative().default(3),
    }),
  ],
  { error: 'expected kind "switched" or "shared"' },
);

const uploadsSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('periodic'),
      images: count(1),
      startS: nonNegative(),
      endS: positive(),
      batchIntervalS: positive(),
    }),
    z.strictObject({
      kind: z.literal('explicit'),
      batches: z
        .array(z.strictObject({ atS: nonNegative(), images: count(1) }))
        .min(1, { error: 'expected at least one batch' }),
    }),
  ],
  { error: 'expected kind "periodic" or "explicit"' },
);

const ordersSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('generated'),
      count: count(0),
      purchase: z.strictObject({ startS: nonNegative(), endS: positive() }),
      itemsPerOrder: distSchema,
      copiesPerItem: distSchema,
      popularity: z
        .discriminatedUnion(
          'kind',
          [
            z.strictObject({ kind: z.literal('uniform') }),
            z.strictObject({ kind: z.literal('recency'), halfLifeS: positive() }),
          ],
          { error: 'expected kind "uniform" or "recency"' },
        )
        .default({ kind: 'uniform' }),
    }),
    z.strictObject({
      kind: z.literal('explicit'),
      list: z.array(
        z.strictObject({
          purchaseAtS: nonNegative(),
          /** 0-based indices in upload order. */
          images: z.array(count(0)).min(1, { error: 'expected at least one image' }),
          copies: count(1).default(1),
          redeemAtS: nonNegative().optional(),
          printer: count(0).optional(),
        }),
      ),
    }),
  ],
  { error: 'expected kind "generated" or "explicit"' },
);

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
    venue: z.strictObject({
      printerModels: z.record(z.string(), printerModelSchema),
      printers: z
        .array(
          z.strictObject({
            count: count(1),
            model: z.string({ error: 'expected a printer model name' }),
            portUpMbps: positive().optional(),
            portDownMbps: positive().optional(),
          }),
        )
        .min(1, { error: 'expected at least one printer group' }),
      lan: lanSchema,
      wan: z.strictObject({ bandwidthMbps: positive(), rttMs: nonNegative() }),
    }),
    event: z.strictObject({ uploads: uploadsSchema, imageSizeBytes: distSchema }),
    orders: ordersSchema,
    redemption: z.strictObject({
      delayS: distSchema,
      notBeforeS: nonNegative().optional(),
      choice: z.enum(['nearest', 'random', 'shortest-queue'], {
        error: 'expected "nearest", "random" or "shortest-queue"',
      }),
      hotspotSkew: nonNegative().default(0),
      fetchTimeoutS: positive().default(60),
      retryAfterS: positive().default(600),
      maxAttempts: count(1).default(2),
    }),
    faults: z
      .strictObject({
        printerDown: z.array(z.strictObject({ printers: z.array(count(0)).min(1), ...window.shape })).default([]),
        wanOutages: z.array(window).default([]),
      })
      .prefault({}),
    strategies: z
      .strictObject({
        starPeriodic: z
          .strictObject({ intervalS: positive().default(1800), firstPushAtS: nonNegative().optional() })
          .prefault({}),
        mesh: z
          .strictObject({
            syncIntervalS: num('a number ≥ 1').min(1, { error: 'expected a number ≥ 1' }).default(30),
            feedPollS: positive().default(10),
            syncWindows: z
              .array(z.strictObject({ start: z.string(), end: z.string(), days: z.array(z.number().int()).optional() }))
              .default([]),
            utcOffsetMinutes: z.number().int().min(-720).max(840).default(0),
            backgroundCapMbps: positive().optional(),
            onDemandLanDeadlineMs: nonNegative().default(DEFAULT_SOURCE_CONFIG.onDemandLanDeadlineMs),
            backgroundLanDeadlineMs: nonNegative().default(DEFAULT_SOURCE_CONFIG.backgroundLanDeadlineMs),
            claimRequiresWan: z.boolean({ error: 'expected true or false' }).default(false),
            /** Live, pipelined replication (sim/strategies/mesh-live.ts); false: one cycle per tick (mesh-sync.ts). */
            live: z.boolean({ error: 'expected true or false' }).default(true),
            /**
             * Live mode only. `pipelined`: a printer's cloud lane and LAN lane run at the same time (the
             * design of issue #16). `sequential`: its LAN lane waits until its cloud lane has nothing
             * left, as the edge node runs a cycle today (background-replicator.ts: cloud phase, then
             * LAN phase), for comparing the model with emulation.
             */
            lanes: z
              .enum(['pipelined', 'sequential'], { error: 'expected "pipelined" or "sequential"' })
              .default('pipelined'),
          })
          .prefault({}),
      })
      .prefault({}),
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

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    // A key that is not a plain name (empty, spaces, dots) is quoted, so the path stays readable.
    else if (typeof part !== 'string' || !PLAIN_KEY.test(part)) out += `[${JSON.stringify(String(part))}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out === '' ? '(top level)' : out;
}

/** "field.path: problem" lines, one per zod issue. */
export function describeIssues(issues: ReadonlyArray<z.core.$ZodIssue>): string[] {
  return issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => `${formatPath([...issue.path, k])}: unknown field`).join('; ');
    }
    return `${formatPath(issue.path)}: ${issue.message}`;
  });
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
