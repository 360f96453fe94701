import type { ConflictRecord } from '../store/offline-records.ts';
import type { Store } from '../store/port.ts';
import type { PrinterRecord } from '../store/records.ts';

/**
 * Offline-redemption conflicts as operators read them: order codes and printer names instead of ids.
 * Shared by the dashboard alerts and the Conflicts page, so both name things the same way.
 */

/** Order codes remembered per process; beyond this the cache starts over (codes are cheap to re-read). */
export const MAX_CACHED_ORDER_CODES = 10_000;

export interface ConflictView {
  conflict: ConflictRecord;
  /** The order's short code (what the fan's receipt shows); null when this coordinator has no such order. */
  orderCode: string | null;
  /** The printer whose offline report revealed the conflict. */
  printerName: string;
  /** The printers whose prints of the order were counted. */
  otherPrinterNames: string[];
}

/** An order's code never changes once issued, so a code read once is never read again. */
export class OrderCodes {
  readonly #known = new Map<string, string>();

  async of(store: Pick<Store, 'getOrder'>, orderIds: Iterable<string>): Promise<Map<string, string | null>> {
    const ids = [...new Set(orderIds)];
    const missing = ids.filter((id) => !this.#known.has(id));
    if (this.#known.size + missing.length > MAX_CACHED_ORDER_CODES) this.#known.clear();
    const read = await Promise.all(missing.map((id) => store.getOrder(id)));
    for (const order of read) if (order) this.#known.set(order.id, order.code);
    return new Map(ids.map((id) => [id, this.#known.get(id) ?? null]));
  }
}

/** A printer's name; a printer this coordinator does not know (any more) by the start of its key. */
export function printerNameOf(names: ReadonlyMap<string, string>, printerId: string): string {
  return names.get(printerId) ?? `unknown printer ${printerId.slice(0, 8)}`;
}

export async function buildConflictViews(opts: {
  store: Pick<Store, 'getOrder'>;
  conflicts: readonly ConflictRecord[];
  printers: readonly PrinterRecord[];
  codes: OrderCodes;
}): Promise<ConflictView[]> {
  const names = new Map(opts.printers.map((p) => [p.id, p.name]));
  const codes = await opts.codes.of(
    opts.store,
    opts.conflicts.map((c) => c.orderId),
  );
  return opts.conflicts.map((conflict) => ({
    conflict,
    orderCode: codes.get(conflict.orderId) ?? null,
    printerName: printerNameOf(names, conflict.printerId),
    otherPrinterNames: conflict.otherPrinterIds.map((id) => printerNameOf(names, id)),
  }));
}

/** "A", "A and B", "A, B and C". */
export function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
