/**
 * `sim compare`'s revenue table: per strategy, the mean revenue over its seeds at the selected fee
 * table, and the frames revenue the same sales would have made with each of the event's tables.
 */
import { formatCents } from '../../shared/policy/template-fees.ts';
import type { SimResults } from '../results-schema.ts';

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

/** A fixed-width text table, or '' when the runs have no revenue report. */
export function revenueTable(results: SimResults): string {
  const first = results.runs.find((r) => r.revenue)?.revenue;
  if (!first) return '';
  const money = (cents: number) => formatCents(Math.round(cents), first.currency);
  const header = [
    'strategy',
    'revenue',
    'photos',
    `frames (${first.feeTable})`,
    ...first.feeTables.map((t) => `frames if ${t.tableId}`),
    'framed prints',
  ];
  const rows = results.summaries.map((s) => {
    const runs = results.runs.filter((r) => r.strategy === s.strategy && r.revenue).map((r) => r.revenue!);
    const total = s.revenueCents
      ? s.runs < 2
        ? money(s.revenueCents.mean)
        : `${money(s.revenueCents.mean)} ± ${money(s.revenueCents.ci95)}`
      : 'n/a';
    return [
      s.strategy,
      total,
      money(mean(runs.map((r) => r.photosCents))),
      money(mean(runs.map((r) => r.framesCents))),
      ...first.feeTables.map((t) =>
        money(mean(runs.map((r) => r.feeTables.find((x) => x.tableId === t.tableId)?.framesCents ?? 0))),
      ),
      mean(runs.map((r) => r.framedPrints)).toFixed(0),
    ];
  });
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c]?.length ?? 0)));
  const line = (r: string[]) =>
    r.map((text, c) => (c === 0 ? text.padEnd(widths[c] ?? 0) : text.padStart(widths[c] ?? 0))).join('  ');
  return `${all.map(line).join('\n')}\n(revenue at fee table "${first.feeTable}"; every table priced on the same runs)\n`;
}
