import type { SimResults } from '../results-schema.ts';

/**
 * Key order for every object in the schema, listed in the order the schema declares them, so the file
 * reads like the schema (schemaVersion first) instead of alphabetically. Keys not listed (a newer
 * writer's extra fields) follow in alphabetical order, so output never depends on insertion order.
 */
const KEY_ORDER: readonly (readonly string[])[] = [
  ['schemaVersion', 'mode', 'scenario', 'timeCompression', 'runs', 'summaries'],
  ['name', 'printers', 'images', 'orders', 'seed'],
  [
    'strategy',
    'seed',
    'runs',
    'wanBytes',
    'uniqueBytes',
    'wanRatio',
    'lanBytes',
    'fanWaitSeconds',
    'fanWaitP50',
    'fanWaitP95',
    'fanWaitP99',
    'pooledFanWaitSeconds',
    'pooledWaitP99',
    'allLocalShare',
    'meanLagSeconds',
    'lagSeries',
    'batches',
    'redemptions',
    'failedRedemptions',
    'kioskWalks',
    'events',
    'wallSeconds',
  ],
  ['p50', 'p95', 'p99', 'mean', 'ci95', 'max', 'count'],
  ['t', 'meanLagSeconds', 'maxLagSeconds'],
  ['batch', 'bytes', 'completeSeconds', 'boundSeconds'],
  [
    'currency',
    'feeTable',
    'orders',
    'prints',
    'framedPrints',
    'repeatCustomerOrders',
    'photosCents',
    'framesCents',
    'totalCents',
    'templates',
    'feeTables',
  ],
  ['id', 'name', 'basicFeeCents', 'prints', 'uses', 'revenueCents', 'band', 'rate', 'priceNowCents', 'bandHistory'],
  ['band', 'fromUses', 'atS'],
  ['tableId', 'name', 'framesCents', 'totalCents'],
];

function orderFor(keys: string[]): string[] {
  // The schema object a key set belongs to is the listed order sharing most keys with it.
  let known: readonly string[] | undefined;
  let best = 0;
  for (const order of KEY_ORDER) {
    const shared = keys.filter((k) => order.includes(k)).length;
    if (shared > best) {
      best = shared;
      known = order;
    }
  }
  const rank = (k: string) => known?.indexOf(k) ?? -1;
  return [...keys].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    if (ra >= 0 && rb >= 0) return ra - rb;
    if (ra >= 0) return -1;
    if (rb >= 0) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of orderFor(Object.keys(source))) {
    if (source[key] !== undefined) out[key] = canonical(source[key]);
  }
  return out;
}

/** The results as JSON: schema key order, 2-space indent, trailing newline; same input, same bytes. */
export function toJson(results: SimResults): string {
  return `${JSON.stringify(canonical(results), null, 2)}\n`;
}
