import type { MeanCi, SimResults, StrategyName, StrategyRun, StrategySummary } from '../results-schema.ts';
import { revenueSection } from './revenue-html.ts';
import { barChart, escapeXml, type LineSeries, lineChart, wantsLogScale } from './svg.ts';

/** Okabe–Ito colours (distinguishable with colour-vision deficiency) plus a dash per strategy. */
const STRATEGY_STYLE: Record<StrategyName, { color: string; dash?: string }> = {
  'star-periodic': { color: '#0072B2' },
  'on-demand': { color: '#D55E00', dash: '7 3' },
  mesh: { color: '#009E73', dash: '2 3' },
};
const FALLBACK_COLORS = ['#CC79A7', '#56B4E9', '#E69F00', '#000000'];
const WAIT_COLORS = { p50: '#9ecae1', p95: '#4292c6', p99: '#08519c' };
const BOUND_COLOR = '#222222';

const STYLE = `
body{font:16px/1.45 system-ui,sans-serif;color:#222;background:#fff;margin:0}
main{max-width:760px;margin:0 auto;padding:12px}
h1{font-size:1.5rem;margin:.4em 0}h2{font-size:1.2rem;margin:1.6em 0 .4em}
.meta{color:#444}.meta span{display:inline-block;margin-right:1em}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;min-width:100%}
caption{text-align:left;color:#444;padding:.3em 0}
th,td{padding:.35em .5em;border-bottom:1px solid #ddd;text-align:right;vertical-align:top}
th[scope=row],thead th:first-child{text-align:left}
@media (max-width:520px){table{font-size:.82rem}th,td{padding:.3em .25em}}
figure{margin:0}svg{width:100%;height:auto;max-width:560px;display:block}
figcaption,.note{color:#444;font-size:.92rem}
`;

function styleOf(strategy: StrategyName, index: number): { color: string; dash?: string } {
  return STRATEGY_STYLE[strategy] ?? { color: FALLBACK_COLORS[index % FALLBACK_COLORS.length] ?? '#000' };
}

/** Fixed decimals by magnitude, so a column of numbers reads evenly and tiny CIs stay visible. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs === 0) return '0';
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 0.01) return value.toFixed(2);
  return value.toPrecision(2);
}

const BYTE_UNITS: ReadonlyArray<readonly [number, string]> = [
  [1e12, 'TB'],
  [1e9, 'GB'],
  [1e6, 'MB'],
  [1e3, 'kB'],
];

/** No-break spaces keep "± 0.20 GB" together, so a narrow table cell wraps only before the "±". */
const NBSP = '\u00a0';

function withCi(m: MeanCi, runs: number, scale: number, unit: string): string {
  const sep = unit === '' ? '' : `${NBSP}${unit}`;
  const mean = formatNumber(m.mean / scale);
  // Float noise from identical seeds (1e-14) is not an interval worth printing.
  const ci = m.ci95 <= Math.abs(m.mean) * 1e-9 ? 0 : m.ci95;
  return runs < 2 ? `${mean}${sep}` : `${mean} ±${NBSP}${formatNumber(ci / scale)}${sep}`;
}

export function formatBytesCi(m: MeanCi, runs: number): string {
  const [scale, unit] = BYTE_UNITS.find(([s]) => Math.abs(m.mean) >= s) ?? [1, 'B'];
  return withCi(m, runs, scale, unit);
}

/** Max without spreading into arguments (lag series can hold many thousand samples). */
function maxOf(values: number[]): number {
  return values.reduce((m, v) => Math.max(m, v), 0);
}

/** Picks seconds, minutes or hours so axis numbers stay short. */
function timeUnit(maxSeconds: number): { scale: number; label: string } {
  if (maxSeconds >= 2 * 3600) return { scale: 3600, label: 'h' };
  if (maxSeconds >= 600) return { scale: 60, label: 'min' };
  return { scale: 1, label: 's' };
}

const ROWS: ReadonlyArray<readonly [string, (s: StrategySummary) => string]> = [
  ['WAN bytes', (s) => formatBytesCi(s.wanBytes, s.runs)],
  ['WAN ratio (ideal 1.0)', (s) => withCi(s.wanRatio, s.runs, 1, '')],
  ['LAN bytes', (s) => formatBytesCi(s.lanBytes, s.runs)],
  ['Fan wait p50', (s) => withCi(s.fanWaitP50, s.runs, 1, 's')],
  ['Fan wait p95', (s) => withCi(s.fanWaitP95, s.runs, 1, 's')],
  ['Fan wait p99', (s) => withCi(s.fanWaitP99, s.runs, 1, 's')],
  ['Fan wait p99, pooled-queue ideal', (s) => (s.pooledWaitP99 ? withCi(s.pooledWaitP99, s.runs, 1, 's') : 'n/a')],
  ['Share all-local', (s) => withCi(s.allLocalShare, s.runs, 0.01, '%')],
  ['Mean replication lag', (s) => withCi(s.meanLagSeconds, s.runs, 1, 's')],
];

function summaryTable(summaries: StrategySummary[]): string {
  const head = summaries.map((s) => `<th scope="col">${escapeXml(s.strategy)}</th>`).join('');
  const runs = `<tr><th scope="row">Runs (seeds)</th>${summaries.map((s) => `<td>${s.runs}</td>`).join('')}</tr>`;
  const body = ROWS.map(
    ([label, cell]) =>
      `<tr><th scope="row">${escapeXml(label)}</th>${summaries.map((s) => `<td>${escapeXml(cell(s))}</td>`).join('')}</tr>`,
  ).join('');
  return (
    '<div class="table-wrap"><table><caption>Mean ± half-width of the 95 % confidence interval over seeds ' +
    '(Student t, df = runs − 1).</caption>' +
    `<thead><tr><th scope="col">Metric</th>${head}</tr></thead><tbody>${runs}${body}</tbody></table></div>`
  );
}

function figure(svg: string, caption: string): string {
  return `<figure>${svg}<figcaption>${escapeXml(caption)}</figcaption></figure>`;
}

function firstRuns(results: SimResults, strategies: StrategyName[]): StrategyRun[] {
  return strategies.flatMap((s) => results.runs.find((r) => r.strategy === s) ?? []);
}

function lagChart(runs: StrategyRun[], strategies: StrategyName[]): string {
  const samples = runs.flatMap((r) => r.lagSeries);
  const xUnit = timeUnit(maxOf(samples.map((p) => p.t)));
  const yUnit = timeUnit(maxOf(samples.map((p) => p.meanLagSeconds)));
  const series: LineSeries[] = runs.map((run) => ({
    name: run.strategy,
    ...styleOf(run.strategy, strategies.indexOf(run.strategy)),
    points: run.lagSeries.map((p) => [p.t / xUnit.scale, p.meanLagSeconds / yUnit.scale] as const),
  }));
  const svg = lineChart({
    id: 'lag',
    title: 'Replication lag over time',
    description: `Mean over printers of the age of the oldest image not yet held, one line per strategy (first seed).`,
    xLabel: `simulated time (${xUnit.label})`,
    yLabel: `mean lag (${yUnit.label})`,
    series,
  });
  const seeds = runs.map((r) => `${r.strategy} seed ${r.seed}`).join(', ');
  return figure(
    svg,
    `Lower is better: how long printers trail the upload stream. First seed of each strategy: ${seeds}.`,
  );
}

function batchChart(runs: StrategyRun[], strategies: StrategyName[]): string {
  const bound = runs[0]?.batches ?? [];
  const all = [
    ...runs.flatMap((r) => r.batches.map((b) => b.completeSeconds ?? 0)),
    ...bound.map((b) => b.boundSeconds),
  ];
  const log = wantsLogScale(all);
  // On a log axis the unit follows the smallest value, so ticks read 1, 10, 100 and not 0.0001 h.
  const yUnit = log
    ? timeUnit(all.reduce((m, v) => (v > 0 ? Math.min(m, v) : m), Number.POSITIVE_INFINITY))
    : timeUnit(maxOf(all));
  const series: LineSeries[] = runs.map((run) => ({
    name: run.strategy,
    ...styleOf(run.strategy, strategies.indexOf(run.strategy)),
    points: run.batches.map(
      (b) => [b.batch, b.completeSeconds === null ? null : b.completeSeconds / yUnit.scale] as const,
    ),
  }));
  series.push({
    name: 'Kumar–Ross bound',
    color: BOUND_COLOR,
    dash: '3 3',
    points: bound.map((b) => [b.batch, b.boundSeconds / yUnit.scale] as const),
  });
  const svg = lineChart({
    id: 'batches',
    title: 'Batch completion time vs the Kumar–Ross bound',
    description:
      'Seconds from upload until every printer held each batch, per strategy (first seed), next to the lower bound for that batch.',
    xLabel: 'upload batch',
    yLabel: `time to all printers (${yUnit.label})`,
    yScale: log ? 'log' : 'linear',
    series,
  });
  const missing = runs
    .map((r) => [r.strategy, r.batches.filter((b) => b.completeSeconds === null).length, r.batches.length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n, total]) => `${s}: ${n} of ${total} batches never reached every printer (gaps in its line)`);
  const caption =
    'No scheme can finish below the bound; the closer a line runs to it, the better the strategy uses the venue. ' +
    (missing.length ? `${missing.join('; ')}.` : 'Every batch reached every printer.');
  return figure(svg, caption);
}

function header(results: SimResults, summaries: StrategySummary[]): string {
  const s = results.scenario;
  const runs = [...new Set(summaries.map((x) => x.runs))].join('/');
  const items = [
    `mode: ${results.mode}`,
    `printers: ${s.printers}`,
    `images: ${s.images}`,
    `orders: ${s.orders}`,
    `base seed: ${s.seed}`,
    `runs per strategy: ${runs || 0}`,
    ...(results.timeCompression === undefined ? [] : [`time compression: ${results.timeCompression}×`]),
    `results schema v${results.schemaVersion}`,
  ];
  return (
    `<h1>Simulator report: ${escapeXml(s.name)}</h1>` +
    `<p class="meta">${items.map((i) => `<span>${escapeXml(i)}</span>`).join(' ')}</p>`
  );
}

/** The whole report as one self-contained HTML page (inline CSS and SVG, no scripts). */
export function toHtml(results: SimResults): string {
  const summaries = results.summaries;
  const strategies = [...new Set([...summaries.map((s) => s.strategy), ...results.runs.map((r) => r.strategy)])];
  const colors = summaries.map((s) => styleOf(s.strategy, strategies.indexOf(s.strategy)).color);
  const first = firstRuns(results, strategies);
  const wan = barChart({
    id: 'wan-ratio',
    title: 'WAN bytes ÷ unique bytes per strategy',
    description: 'Mean over seeds with 95 % confidence whiskers; the dashed line at 1.0 is the ideal.',
    xLabel: 'strategy',
    yLabel: 'WAN ÷ unique bytes',
    groups: summaries.map((s) => s.strategy),
    series: [
      {
        name: 'WAN ratio',
        color: '#0072B2',
        barColors: colors,
        values: summaries.map((s) => s.wanRatio.mean),
        errors: summaries.map((s) => s.wanRatio.ci95),
      },
    ],
    reference: { value: 1, label: 'ideal 1.0' },
  });
  const waitSeries = (['p50', 'p95', 'p99'] as const).map((q) => {
    const pick = (s: StrategySummary) => (q === 'p50' ? s.fanWaitP50 : q === 'p95' ? s.fanWaitP95 : s.fanWaitP99);
    return {
      name: q,
      color: WAIT_COLORS[q],
      values: summaries.map((s) => pick(s).mean),
      errors: summaries.map((s) => pick(s).ci95),
    };
  });
  const wait = barChart({
    id: 'fan-wait',
    title: 'Fan wait at the printer: p50, p95, p99',
    description: 'Seconds from scan to last print out, mean over seeds with 95 % confidence whiskers.',
    xLabel: 'strategy',
    yLabel: 'fan wait (s)',
    groups: summaries.map((s) => s.strategy),
    series: waitSeries,
  });
  const body = [
    header(results, summaries),
    '<h2>Summary</h2>',
    summaryTable(summaries),
    '<h2>WAN bytes ÷ unique bytes</h2>',
    figure(
      wan,
      'Bytes fetched over the venue WAN per unique byte uploaded. 1.0 means each image crossed the WAN once.',
    ),
    '<h2>Fan wait p50 / p95 / p99</h2>',
    figure(wait, 'Lower is better. p99 is the wait the unluckiest 1 % of fans saw.'),
    '<h2>Replication lag over time</h2>',
    lagChart(first, strategies),
    '<h2>Batch completion vs the Kumar–Ross bound</h2>',
    batchChart(first, strategies),
    ...[revenueSection(results)].filter((section) => section !== ''),
    '<p class="note">Metric definitions: see sim/README.md. Per-run numbers: runs.csv and results.json.</p>',
  ].join('\n');
  return (
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    `<title>Simulator report: ${escapeXml(results.scenario.name)}</title>\n<style>${STYLE}</style>\n</head>\n` +
    `<body>\n<main>\n${body}\n</main>\n</body>\n</html>\n`
  );
}
