/**
 * The HTML report's revenue section (tables only): per strategy the revenue and what each fee-rate
 * table would have made on the same runs, and per template of the first run its prints, uses,
 * revenue and the bands it moved through.
 */
import { formatCents, formatRate } from '../../shared/policy/template-fees.ts';
import type { SimResults, StrategyRun, StrategySummary } from '../results-schema.ts';
import { escapeXml } from './svg.ts';

const NBSP = '\u00a0';

function money(cents: number, currency: string): string {
  return formatCents(Math.round(cents), currency).replace(' ', NBSP);
}

function withCi(mean: number, ci95: number, runs: number, currency: string): string {
  return runs < 2 ? money(mean, currency) : `${money(mean, currency)} ±${NBSP}${money(ci95, currency)}`;
}

function row(label: string, cells: string[]): string {
  return `<tr><th scope="row">${escapeXml(label)}</th>${cells.map((c) => `<td>${escapeXml(c)}</td>`).join('')}</tr>`;
}

function meanOf(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

function summaryTable(results: SimResults, summaries: StrategySummary[], currency: string): string {
  const runsOf = (s: StrategySummary) => results.runs.filter((r) => r.strategy === s.strategy && r.revenue);
  const first = results.runs.find((r) => r.revenue)!.revenue!;
  const rows = [
    row(
      'Revenue (photos + frames)',
      summaries.map((s) => (s.revenueCents ? withCi(s.revenueCents.mean, s.revenueCents.ci95, s.runs, currency) : '–')),
    ),
    row(
      'Photos',
      summaries.map((s) => money(meanOf(runsOf(s).map((r) => r.revenue!.photosCents)), currency)),
    ),
    row(
      `Frames at the selected table (${first.feeTable})`,
      summaries.map((s) => (s.framesCents ? withCi(s.framesCents.mean, s.framesCents.ci95, s.runs, currency) : '–')),
    ),
    ...first.feeTables.map((table) =>
      row(
        `Frames if quoted with "${table.name}"`,
        summaries.map((s) =>
          money(
            meanOf(
              runsOf(s).map((r) => r.revenue!.feeTables.find((x) => x.tableId === table.tableId)?.framesCents ?? 0),
            ),
            currency,
          ),
        ),
      ),
    ),
    row(
      'Framed prints sold',
      summaries.map((s) => meanOf(runsOf(s).map((r) => r.revenue!.framedPrints)).toFixed(0)),
    ),
    row(
      'Orders by repeat customers',
      summaries.map((s) => meanOf(runsOf(s).map((r) => r.revenue!.repeatCustomerOrders)).toFixed(0)),
    ),
  ];
  const head = summaries.map((s) => `<th scope="col">${escapeXml(s.strategy)}</th>`).join('');
  return (
    '<div class="table-wrap"><table><caption>Mean over seeds (± 95 % CI for the totals). Every table prices ' +
    'the same sales of the same runs: fees do not change what fans do in the model.</caption>' +
    `<thead><tr><th scope="col">Revenue</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`
  );
}

function templateTable(run: StrategyRun): string {
  const r = run.revenue!;
  const head = ['Template', 'Basic fee', 'Prints sold', 'Uses', 'Revenue', 'Final band', 'Price now', 'Bands reached']
    .map((h) => `<th scope="col">${escapeXml(h)}</th>`)
    .join('');
  const body = r.templates
    .map((t) =>
      row(t.name, [
        money(t.basicFeeCents, r.currency),
        String(t.prints),
        String(t.uses),
        money(t.revenueCents, r.currency),
        `${t.band} × ${formatRate(t.rate)}`,
        money(t.priceNowCents, r.currency),
        t.bandHistory
          .slice(1)
          .map((b) => `${b.band} (${b.fromUses}) at ${(b.atS / 60).toFixed(0)} min`)
          .join(', ') || '–',
      ]),
    )
    .join('');
  return `<div class="table-wrap"><table><caption>${escapeXml(
    `Per template, ${run.strategy} seed ${run.seed}, fee table "${r.feeTable}". Uses are printed units; ` +
      'each print was sold at the fee quoted when its order was priced; "price now" is a new customer\'s fee.',
  )}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

/** The revenue section, or '' when no run has a revenue report. */
export function revenueSection(results: SimResults): string {
  const first = results.runs.find((r) => r.revenue);
  if (!first) return '';
  return [
    '<h2>Revenue</h2>',
    summaryTable(results, results.summaries, first.revenue!.currency),
    '<h2>Templates (frames)</h2>',
    templateTable(first),
  ].join('\n');
}
