import test from 'ava';
import { priceOrder } from '../shared/policy/pricing.ts';
import { bandFor, quoteTemplateFee, SEED_TEMPLATE_TABLES } from '../shared/policy/template-fees.ts';
import { main } from '../sim/cli.ts';
import { REVENUE_CSV_HEADER, RUN_CSV_HEADER, toCsv, toRevenueCsv, toSummaryCsv } from '../sim/report/csv.ts';
import { toHtml } from '../sim/report/html.ts';
import { toJson } from '../sim/report/json.ts';
import { drawChoices, drawCustomers, priceRun, type RevenueConfig } from '../sim/revenue/revenue.ts';
import { simFeeSettings } from '../sim/revenue/revenue-scenario.ts';
import { revenueTable } from '../sim/revenue/revenue-table.ts';
import { runModel, runScenario, simulateRun } from '../sim/run-model.ts';
import type { Scenario } from '../sim/scenario.ts';
import { createStrategy } from '../sim/strategies/index.ts';
import { builtIn, variant } from './sim-helpers.ts';

const club = builtIn('club');

/** A finished run, its sales choices and its priced order log (the log the revenue is the sum of). */
function pricedRun(scenario: Scenario, seed: number, feeTable?: string) {
  const done = simulateRun(scenario, createStrategy('mesh', scenario), seed, { feeTable });
  const config = scenario.revenue!;
  const choices = drawChoices(config, done.workload.orders, seed);
  const printed = {
    order: done.sim.desk.prints.order,
    unit: done.sim.desk.prints.unit,
    printedAt: done.sim.desk.printedAt,
  };
  const priced = priceRun(
    config,
    done.workload.orders,
    choices,
    printed,
    simFeeSettings(config, feeTable ?? config.feeTable),
  );
  return { ...done, config, choices, printed, priced };
}

test('club has a revenue section, and the same seed gives the same revenue byte for byte', (t) => {
  const a = runModel(club, 'mesh', 7);
  const b = runModel(club, 'mesh', 7);
  t.truthy(a.revenue);
  t.is(JSON.stringify(a.revenue), JSON.stringify(b.revenue));
  t.true(a.revenue!.framedPrints > 0 && a.revenue!.photosCents > 0 && a.revenue!.framesCents > 0);
  t.is(a.revenue!.totalCents, a.revenue!.photosCents + a.revenue!.framesCents);
  const other = runModel(club, 'mesh', 8);
  t.not(other.revenue!.totalCents, a.revenue!.totalCents, 'another seed sells other prints');
});

test('a revenue section changes nothing else in the run (its dice are its own streams)', (t) => {
  const without = variant('club', (raw) => {
    delete (raw as { revenue?: unknown }).revenue;
  });
  for (const strategy of ['mesh', 'on-demand'] as const) {
    const plain = runModel(without, strategy, 3);
    const { revenue, ...rest } = runModel(club, strategy, 3);
    t.truthy(revenue);
    t.is(plain.revenue, undefined);
    t.is(JSON.stringify(rest), JSON.stringify(plain));
  }
});

test('the revenue equals an independent recomputation from the order log with the product modules', (t) => {
  for (const seed of [1, 2]) {
    const { run, workload, config, printed, priced } = pricedRun(club, seed);
    t.deepEqual({ ...priced.revenue }, (({ feeTables: _, ...r }) => r)(run.revenue!), 'the report is the priced log');
    const settings = simFeeSettings(config);
    const templateIds = config.templates.map((x) => x.id);
    const byOrder = new Map(priced.log.map((e) => [e.order, e]));
    let photos = 0;
    let frames = 0;
    for (const entry of priced.log) {
      const order = workload.orders[entry.order]!;
      t.is(entry.pricedAt, order.purchaseAt);
      const lines = Array.from(order.images, (img, k) => ({ imageId: String(img), copies: order.copies[k]! }));
      const photoCents = priceOrder(config.priceList, lines).totalCents;
      t.is(entry.photosCents, photoCents);
      photos += photoCents;
      // Counted here from the print log directly: the customer's printed units and each template's
      // framed printed units that came out by the time the order was priced.
      let customerUses = 0;
      const usesByTemplate = new Map<number, number>();
      for (let k = 0; k < printed.order.length; k++) {
        if (printed.printedAt[k]! > entry.pricedAt) continue;
        const o = printed.order[k]!;
        const line = printed.unit[k]!;
        const copies = workload.orders[o]!.copies[line]!;
        if (byOrder.get(o)!.customer === entry.customer) customerUses += copies;
        const tpl = byOrder.get(o)!.lines[line]!.template;
        if (tpl >= 0) usesByTemplate.set(tpl, (usesByTemplate.get(tpl) ?? 0) + copies);
      }
      entry.lines.forEach((line, k) => {
        t.is(line.copies, order.copies[k]!);
        if (line.template < 0) {
          t.is(line.quote, null);
          return;
        }
        const basicFeeCents = config.templates[line.template]!.basicFeeCents;
        const templateUses = usesByTemplate.get(line.template) ?? 0;
        const expected = quoteTemplateFee({ basicFeeCents, templateUses, customerUses, settings });
        t.deepEqual(line.quote, expected, `${templateIds[line.template]} in order ${entry.order}`);
        frames += expected.feeCents * line.copies;
      });
    }
    t.is(run.revenue!.photosCents, photos);
    t.is(run.revenue!.framesCents, frames);
    t.is(run.revenue!.totalCents, photos + frames);
  }
});

test('uses are counted once per printed unit, and only printed units count', (t) => {
  const { run, workload, printed, priced } = pricedRun(club, 4);
  const byOrder = new Map(priced.log.map((e) => [e.order, e]));
  const seen = new Set<string>();
  const expected = new Map<number, number>();
  for (let k = 0; k < printed.order.length; k++) {
    const key = `${printed.order[k]}/${printed.unit[k]}`;
    t.false(seen.has(key), `unit ${key} printed once`);
    seen.add(key);
    const tpl = byOrder.get(printed.order[k]!)!.lines[printed.unit[k]!]!.template;
    const copies = workload.orders[printed.order[k]!]!.copies[printed.unit[k]!]!;
    if (tpl >= 0) expected.set(tpl, (expected.get(tpl) ?? 0) + copies);
  }
  run.revenue!.templates.forEach((tpl, i) => {
    t.is(tpl.uses, expected.get(i) ?? 0, tpl.id);
    t.true(tpl.uses <= tpl.prints, 'a sold print is used at most once');
  });
  t.is(
    run.revenue!.templates.reduce((n, x) => n + x.prints, 0),
    run.revenue!.framedPrints,
  );

  // Fans who never get their prints: a down printer and no retry leave sold prints unprinted.
  const lossy = variant('club', (raw) => {
    raw.faults = { printerDown: [{ printers: [0, 1, 2, 3, 4], fromS: 3600, toS: 18000 }], wanOutages: [] };
    raw.redemption.maxAttempts = 1;
  });
  const lost = runModel(lossy, 'mesh', 4).revenue!;
  const sold = lost.templates.reduce((n, x) => n + x.prints, 0);
  const used = lost.templates.reduce((n, x) => n + x.uses, 0);
  t.true(used < sold, `${used} uses of ${sold} framed prints sold when most fans find no printer`);
});

test('bands only move up: each template is quoted at non-decreasing counts and bands as it is used', (t) => {
  const { run, config, priced } = pricedRun(club, 5);
  const normal = SEED_TEMPLATE_TABLES.find((x) => x.id === 'normal')!;
  const byTime = [...priced.log].sort((a, b) => a.pricedAt - b.pricedAt || a.order - b.order);
  const last = new Map<number, { uses: number; band: number }>();
  for (const entry of byTime) {
    for (const line of entry.lines) {
      if (!line.quote) continue;
      const band = normal.bands.indexOf(bandFor(normal, line.quote.templateUses));
      const before = last.get(line.template) ?? { uses: 0, band: 0 };
      t.true(line.quote.templateUses >= before.uses);
      t.true(band >= before.band);
      last.set(line.template, { uses: line.quote.templateUses, band });
    }
  }
  let moved = 0;
  run.revenue!.templates.forEach((tpl, i) => {
    t.is(tpl.bandHistory[0]!.fromUses, 0);
    for (let k = 1; k < tpl.bandHistory.length; k++) {
      t.true(tpl.bandHistory[k]!.fromUses > tpl.bandHistory[k - 1]!.fromUses);
      t.true(tpl.bandHistory[k]!.atS >= tpl.bandHistory[k - 1]!.atS);
    }
    t.is(tpl.band, tpl.bandHistory.at(-1)!.band);
    t.is(tpl.band, bandFor(normal, tpl.uses).label, config.templates[i]!.id);
    moved += tpl.bandHistory.length - 1;
  });
  t.true(moved >= 2, 'club templates are used enough to reach later bands');
});

test('the fee tables are compared on the same run; --fee-table quotes with another one', (t) => {
  const normal = runModel(club, 'mesh', 6).revenue!;
  const profit = runModel(club, 'mesh', 6, { feeTable: 'profit' }).revenue!;
  t.deepEqual(
    normal.feeTables.map((x) => x.tableId),
    ['normal', 'launch', 'profit'],
  );
  t.is(normal.feeTables[0]!.framesCents, normal.framesCents);
  t.is(profit.feeTable, 'profit');
  t.is(profit.framesCents, normal.feeTables[2]!.framesCents);
  t.is(profit.photosCents, normal.photosCents, 'photo prices do not depend on the fee table');
  t.deepEqual(profit.feeTables, normal.feeTables);
  t.true(profit.framesCents > normal.framesCents, 'the profit table charges more once templates are used');
});

test('repeat customers order more than once and get the customer rate', (t) => {
  const config = club.revenue!;
  const fans = drawCustomers({ ...config, repeatCustomers: { share: 0.3 } } as RevenueConfig, 20_000, 9);
  const counts = new Map<number, number>();
  for (const fan of fans) counts.set(fan, (counts.get(fan) ?? 0) + 1);
  const repeaters = [...counts.values()].filter((n) => n > 1).length / counts.size;
  t.true(Math.abs(repeaters - 0.3) < 0.02, `share of fans ordering more than once: ${repeaters}`);
  t.true(
    [...counts.values()].every((n) => n <= 3),
    'default: a repeat customer places 3 orders',
  );

  const none = variant('club', (raw) => {
    raw.revenue!.repeatCustomers = { share: 0 };
  });
  t.is(runModel(none, 'mesh', 2).revenue!.repeatCustomerOrders, 0);
  const loyal = variant('club', (raw) => {
    raw.revenue!.repeatCustomers = { share: 1, ordersPerRepeatCustomer: { kind: 'fixed', value: 8 } };
    raw.revenue!.framedShare = 1;
  });
  const { priced } = pricedRun(loyal, 2);
  const rates = new Set(priced.log.flatMap((e) => e.lines.map((l) => l.quote!.customerBand)));
  t.true(rates.has('regular customer'), [...rates].join(', '));
  t.true(rates.has('new customer'));
  t.true(runModel(loyal, 'mesh', 2).revenue!.repeatCustomerOrders > 300);
});

function problemsOf(text: string, needle: string): number {
  return text.split('\n').filter((line) => line.includes(needle)).length;
}

test('a bad revenue section names every wrong field', (t) => {
  const err = t.throws(() =>
    variant('club', (raw) => {
      const r = raw.revenue!;
      r.feeTable = 'weekend';
      r.framedShare = 1.5;
      r.templates = [
        { id: 'gold', name: 'Gold', basicFeeCents: -5 },
        { id: 'gold', name: 'Gold again', basicFeeCents: 100 },
      ];
      r.feeTables = [
        {
          id: 'normal',
          name: 'Normal',
          bands: [
            { fromUses: 0, rate: 1, label: 'new' },
            { fromUses: 0, rate: 9, label: 'oops' },
          ],
        },
      ];
      r.priceList.currency = 'euro';
    }),
  );
  const problems = (err as { details?: { problems?: string[] } }).details?.problems ?? [];
  const text = problems.join('\n');
  t.regex(text, /revenue\.framedShare: expected a number from 0 to 1/);
  t.regex(text, /revenue\.priceList\.currency: expected an ISO 4217 code/);
  t.regex(text, /revenue\.templates\[0\]\.basicFeeCents: the basic fee must be a whole number/);
  t.regex(text, /revenue\.templates\[1\]\.id: template id "gold" is used twice/);
  // framedShare fails the schema, so the cross checks run on a second try without it.
  const again = t.throws(() =>
    variant('club', (raw) => {
      raw.revenue!.feeTable = 'weekend';
      raw.revenue!.feeTables = [
        {
          id: 'normal',
          name: 'Normal',
          bands: [
            { fromUses: 0, rate: 1, label: 'new' },
            { fromUses: 0, rate: 9, label: 'oops' },
          ],
        },
      ];
      raw.revenue!.templates = [];
    }),
  );
  const more = ((again as { details?: { problems?: string[] } }).details?.problems ?? []).join('\n');
  t.regex(more, /revenue\.feeTable: the active table "weekend" does not exist/);
  t.regex(more, /revenue\.feeTables\[0\]: table "Normal", band 2: bands must start at strictly increasing use counts/);
  t.regex(more, /revenue\.feeTables\[0\]: table "Normal", band 2: the rate must be between 0\.1 and 5/);
  t.is(problemsOf(more, 'strictly increasing'), 1, 'each problem once');
  t.regex(more, /revenue\.framedShare: a framed share above 0 needs at least one template/);
});

test('reports: revenue columns only for revenue runs, revenue.csv per template, HTML tables, compare table', (t) => {
  const results = runScenario(club, ['mesh', 'star-periodic'], [1, 2]);
  const csv = toCsv(results).split('\r\n');
  const header = csv[0]!.split(',');
  t.deepEqual(header.slice(0, RUN_CSV_HEADER.length), [...RUN_CSV_HEADER], 'existing columns first, unchanged');
  t.deepEqual(header.slice(RUN_CSV_HEADER.length), [
    'currency',
    'feeTable',
    'photosCents',
    'framesCents',
    'revenueCents',
    'framedPrints',
    'repeatCustomerOrders',
    'framesCents_normal',
    'framesCents_launch',
    'framesCents_profit',
  ]);
  const first = csv[1]!.split(',');
  t.is(Number(first[header.indexOf('revenueCents')]), results.runs[0]!.revenue!.totalCents);
  const summary = toSummaryCsv(results).split('\r\n')[0]!;
  t.true(summary.endsWith(',revenueCentsMean,revenueCentsCi95,framesCentsMean,framesCentsCi95'));
  t.true(results.summaries[0]!.revenueCents!.ci95 > 0, 'two seeds, two revenues');

  const perTemplate = toRevenueCsv(results)!.trimEnd().split('\r\n');
  t.is(perTemplate[0], REVENUE_CSV_HEADER.join(','));
  t.is(perTemplate.length, 1 + results.runs.length * club.revenue!.templates.length);
  t.true(perTemplate[1]!.startsWith('mesh,1,normal,gold,Gold frame,200,'));

  const json = JSON.parse(toJson(results));
  t.deepEqual(Object.keys(json.runs[0].revenue).slice(0, 3), ['currency', 'feeTable', 'orders']);
  t.is(Object.keys(json.runs[0]).at(-1), 'revenue', 'a new field at the end');

  const html = toHtml(results);
  t.is(html.match(/<svg /g)?.length, 4, 'tables only, no new chart');
  for (const text of [
    '<h2>Revenue</h2>',
    'Gold frame',
    'Club logo border',
    'Frames if quoted with &quot;Profit&quot;',
  ]) {
    t.true(html.includes(text), text);
  }
  const table = revenueTable(results).split('\n');
  t.regex(
    table[0]!,
    /^strategy\s+revenue\s+photos\s+frames \(normal\)\s+frames if normal\s+frames if launch\s+frames if profit\s+framed prints$/,
  );
  t.regex(table[1]!, /^mesh\s+€\d+\.\d\d ± €\d+\.\d\d/);

  const plain = variant('club', (raw) => {
    delete (raw as { revenue?: unknown }).revenue;
  });
  const without = runScenario(plain, ['mesh'], [1]);
  t.is(toCsv(without).split('\r\n')[0], RUN_CSV_HEADER.join(','));
  t.is(toRevenueCsv(without), null);
  t.is(revenueTable(without), '');
  t.false(toHtml(without).includes('<h2>Revenue</h2>'));
});

test('--fee-table is refused (exit 2, before any run) when unknown, without a revenue section, or in emulation', async (t) => {
  const stderr = process.stderr.write;
  const said: string[] = [];
  process.stderr.write = ((chunk: string) => {
    said.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    t.is(await main(['compare', 'club', '--fee-table', 'weekend']), 2);
    t.is(await main(['compare', 'arena', '--fee-table', 'normal']), 2);
    t.is(await main(['run', '--scenario', 'club', '--mode', 'emulation', '--fee-table', 'normal']), 2);
  } finally {
    process.stderr.write = stderr;
  }
  const text = said.join('');
  t.regex(text, /--fee-table must be one of normal, launch, profit, got "weekend"/);
  t.regex(text, /--fee-table needs a scenario with a revenue section/);
  t.regex(text, /--fee-table needs --mode model/);
});
