import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { heldImages, holdingsRecordOf } from '../coordinator/services/held-images.ts';
import type { HoldingsRecord } from '../coordinator/store/records.ts';
import { SqliteStore } from '../coordinator/store/sqlite-store.ts';
import { toSeqRanges } from '../shared/feed/seq-ranges.ts';
import { seededRng } from '../shared/policy/prng.ts';
import { holdingsReportSchema } from '../shared/protocol/printer-api.ts';
import { percentile } from '../tools/venue-kit/process-cpu.ts';

/**
 * `npm run bench:holdings`: what the printers' have-lists cost the coordinator at stadium scale,
 * BENCH_HOLDINGS_PHOTOS photos (default 20,000) and BENCH_HOLDINGS_PRINTERS printers (default 500),
 * each holding every photo but the newest few and a gap or two. Both forms, in one run, on the
 * SQLite store: image-id lists (printers before issue #16's seq ranges) and seq ranges.
 *  - reportBytes, reportMs: one printer's `PUT /api/printer/holdings` body, parsed, validated
 *    (holdingsReportSchema) and stored (putHoldings): what every printer sends after each change;
 *  - redeemMs: a redemption's read of the printer's have-list and its check of a 3-photo order
 *    (getHoldings + heldImages);
 *  - routingMs: the fan's routing hint's snapshot of every printer's have-list (listHoldings +
 *    heldImages for each), read at most every 2 s per event;
 *  - the ratios id lists ÷ seq ranges (p50 of each).
 * Last stdout line: one JSON object.
 */
const PHOTOS = Number(process.env.BENCH_HOLDINGS_PHOTOS ?? 20_000);
const PRINTERS = Number(process.env.BENCH_HOLDINGS_PRINTERS ?? 500);
const REPORT_SAMPLES = 20;
const REDEEM_SAMPLES = 200;
const ROUTING_SAMPLES = 3;
/** The newest photos a printer may still be fetching. */
const MAX_RECENT_MISSING = 20;
const progress = (msg: string) => process.stderr.write(`[bench:holdings] ${msg}\n`);

interface FormFigures {
  reportBytes: number;
  reportMsP50: number;
  redeemMsP50: number;
  redeemMsP99: number;
  routingMsP50: number;
}

const rng = seededRng(16);
const images = Array.from({ length: PHOTOS }, (_, seq) => ({ id: randomUUID(), seq }));
/** What printer `p` holds: all but its newest few and one or two gaps (photos it is still fetching). */
const heldSeqs = Array.from({ length: PRINTERS }, () => {
  const missing = new Set<number>();
  for (let k = rng.int(MAX_RECENT_MISSING); k > 0; k--) missing.add(PHOTOS - k);
  for (let g = 1 + rng.int(2); g > 0; g--) missing.add(rng.int(PHOTOS));
  return images.filter((i) => !missing.has(i.seq)).map((i) => i.seq);
});

function body(form: 'ids' | 'ranges', p: number): string {
  const held = heldSeqs[p]!;
  return JSON.stringify(
    form === 'ids'
      ? { eventId: 'e1', imageIds: held.map((s) => images[s]!.id) }
      : { eventId: 'e1', seqRanges: toSeqRanges(held) },
  );
}

/** What the holdings route does with a report body, but the event check (the same for both forms). */
function record(p: number, text: string): HoldingsRecord {
  return holdingsRecordOf(`printer-${p}`, 'e1', holdingsReportSchema.parse(JSON.parse(text)), 0);
}

async function measure(form: 'ids' | 'ranges'): Promise<FormFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'vpm-bench-holdings-'));
  const store = new SqliteStore({ path: join(dir, 'store.db') });
  try {
    await store.ready();
    // Every printer's have-list, as the coordinator holds them during the event.
    for (let p = 0; p < PRINTERS; p++) await store.putHoldings(record(p, body(form, p)));
    const reportMs: number[] = [];
    let reportBytes = 0;
    for (let i = 0; i < REPORT_SAMPLES; i++) {
      const text = body(form, i);
      reportBytes = Buffer.byteLength(text);
      const t0 = performance.now();
      await store.putHoldings(record(i, text));
      reportMs.push(performance.now() - t0);
    }
    const redeemMs: number[] = [];
    for (let i = 0; i < REDEEM_SAMPLES; i++) {
      const order = [images[rng.int(PHOTOS)]!, images[rng.int(PHOTOS)]!, images[rng.int(PHOTOS)]!];
      const t0 = performance.now();
      const holds = heldImages(await store.getHoldings(`printer-${i % PRINTERS}`, 'e1'));
      const lacking = order.filter((image) => !holds(image)).length;
      redeemMs.push(performance.now() - t0);
      if (lacking > order.length) throw new Error('unreachable');
    }
    const routingMs: number[] = [];
    for (let i = 0; i < ROUTING_SAMPLES; i++) {
      const wanted = images[rng.int(PHOTOS)]!;
      const t0 = performance.now();
      const held = new Map((await store.listHoldings('e1')).map((h) => [h.printerId, heldImages(h)]));
      const holders = [...held.values()].filter((holds) => holds(wanted)).length;
      routingMs.push(performance.now() - t0);
      if (holders > PRINTERS) throw new Error('unreachable');
    }
    return {
      reportBytes,
      reportMsP50: round(percentile(reportMs, 50)),
      redeemMsP50: round(percentile(redeemMs, 50), 3),
      redeemMsP99: round(percentile(redeemMs, 99), 3),
      routingMsP50: round(percentile(routingMs, 50)),
    };
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

progress(`${PHOTOS} photos, ${PRINTERS} printers`);
const ids = await measure('ids');
progress(`id lists: ${JSON.stringify(ids)}`);
const ranges = await measure('ranges');
progress(`seq ranges: ${JSON.stringify(ranges)}`);
const ratio = (a: number, b: number) => round(a / Math.max(b, 0.001), 0);
console.log(
  JSON.stringify({
    photos: PHOTOS,
    printers: PRINTERS,
    ids,
    ranges,
    reportBytesRatio: ratio(ids.reportBytes, ranges.reportBytes),
    reportMsRatio: ratio(ids.reportMsP50, ranges.reportMsP50),
    redeemMsRatio: ratio(ids.redeemMsP50, ranges.redeemMsP50),
    routingMsRatio: ratio(ids.routingMsP50, ranges.routingMsP50),
  }),
);
