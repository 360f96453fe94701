import type { ReorderState } from '../../shared/policy/order-state.ts';
import type { ReorderEventSummary, ReorderRecord } from './records.ts';

/** States after payment that count as sold (refunded money is not revenue). */
const SOLD: readonly ReorderState[] = ['paid', 'sent_to_lab', 'in_production', 'shipped', 'delivered', 'rejected'];

/** Per event: reorders by state, paid reorders, their revenue and the download part of it. */
export function summariseReorders(reorders: Iterable<ReorderRecord>): ReorderEventSummary[] {
  const byEvent = new Map<string, ReorderEventSummary>();
  for (const r of reorders) {
    const s = byEvent.get(r.eventId) ?? {
      eventId: r.eventId,
      currency: r.currency,
      byState: {},
      paidReorders: 0,
      revenueCents: 0,
      downloadRevenueCents: 0,
    };
    s.byState[r.state] = (s.byState[r.state] ?? 0) + 1;
    if (SOLD.includes(r.state)) {
      s.paidReorders++;
      s.revenueCents += r.totalCents;
      s.downloadRevenueCents +=
        r.lines.filter((l) => !l.physical).reduce((n, l) => n + l.totalCents, 0) + (r.bundle?.priceCents ?? 0);
    }
    byEvent.set(r.eventId, s);
  }
  return [...byEvent.values()];
}
