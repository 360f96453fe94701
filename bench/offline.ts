import { OFFLINE_CLAIM_HOLD_MS } from '../shared/policy/offline-claim-rule.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { waitFor } from '../test/fixtures/feed-fixtures.ts';
import {
  accountFor,
  buyOrders,
  startOfflinePrinter,
  startOfflineVenue,
  status,
  venueReadyForOutage,
} from '../test/fixtures/offline-venue.ts';
import { CloseStack } from '../tools/venue-kit/close-stack.ts';
import type { EdgeProcess } from '../tools/venue-kit/edge-process.ts';
import { api } from '../tools/venue-kit/http.ts';

/**
 * `npm run bench:offline`: offline redemption (issue #6), one run.
 *  1. A coordinator process (which also runs the venue's only cloud DHT bootstrap node) sells
 *     BENCH_ORDERS + BENCH_RACES paid orders; BENCH_PRINTERS printers replicate the photos and the
 *     orders feed; then the coordinator is killed with SIGKILL.
 *  2. The printers redeem BENCH_ORDERS codes with no cloud (round robin, printers in parallel):
 *     `offlineRedemptions`, `offlineRedeemP50Ms` / `P99Ms` (code in → photos and receipt out,
 *     including the claim hold).
 *  3. BENCH_RACES codes are each presented at two printers at the same moment: `racesWonOnce`.
 *     `maxDoubleRedeemWindowMs`: the longest a claim took to reach another printer (a second
 *     redemption in that window would not see the first; the hold, `holdMs`, must exceed it).
 *  4. The coordinator restarts: `reconcileSeconds` until every offline redemption is reported and
 *     acknowledged; then `doublePrints` (units printed twice, from the print folders) and
 *     `lostConfirmations` (photos the coordinator never received, or did not count) — both must be 0.
 * Last stdout line: one JSON object.
 */
const PRINTERS = Number(process.env.BENCH_PRINTERS ?? 3);
const ORDERS = Number(process.env.BENCH_ORDERS ?? 24);
const RACES = Number(process.env.BENCH_RACES ?? 10);
const READY_TIMEOUT_MS = 180_000;
const RECONCILE_TIMEOUT_MS = 120_000;

const owner = new CloseStack();
const clock = systemClock;
const progress = (msg: string) => process.stderr.write(`[bench:offline] ${msg}\n`);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

async function main(): Promise<void> {
  progress(`venue with ${ORDERS + RACES} paid orders`);
  const venue = await startOfflineVenue(owner, { images: 3, imageSide: 400 });
  const orders = await buyOrders(
    venue,
    Array.from({ length: ORDERS + RACES }, (_, i) => 1 + (i % 2)),
  );
  const names = Array.from({ length: PRINTERS }, (_, i) => `P${i}`);
  progress(`starting ${PRINTERS} printers`);
  const nodes = await Promise.all(names.map((n) => startOfflinePrinter(owner, venue, n)));
  const printers = names.map((name, i) => ({ name, node: nodes[i]! }));
  if (!(await venueReadyForOutage(venue, printers, orders.length, READY_TIMEOUT_MS)))
    throw new Error('printers did not get the photos, the orders and each other in time');

  progress('SIGKILL to the coordinator (HTTP, seeder and DHT bootstrap)');
  await venue.coordinator.crash();

  const latencies: number[] = [];
  let offlineRedemptions = 0;
  const failures: string[] = [];
  const redeem = async (node: EdgeProcess, token: string) => {
    const started = performance.now();
    const res = await node.redeem(token);
    if (res.status === 200 && res.body.units?.every((u) => u.state === 'printed')) {
      latencies.push(performance.now() - started);
      offlineRedemptions++;
    } else failures.push(`${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
  };
  progress(`${ORDERS} offline redemptions`);
  await Promise.all(
    nodes.map(async (node, p) => {
      for (let i = p; i < ORDERS; i += PRINTERS) await redeem(node, orders[i]!.token);
    }),
  );

  progress(`${RACES} codes raced at two printers`);
  let racesWonOnce = 0;
  for (let r = 0; r < RACES; r++) {
    const { token } = orders[ORDERS + r]!;
    const pair = [nodes[r % PRINTERS]!, nodes[(r + 1) % PRINTERS]!];
    const results = await Promise.all(pair.map((n) => n.redeem(token)));
    const statuses = results.map((x) => x.status).sort();
    if (statuses[0] === 200 && statuses[1] === 409) {
      racesWonOnce++;
      offlineRedemptions++;
    } else failures.push(`race ${r}: ${statuses.join('/')}`);
  }
  const windows = await Promise.all(nodes.map(async (n) => (await status(n)).offline?.maxClaimPropagationMs ?? 0));

  progress('coordinator restarts: reconciliation');
  const restartedAt = clock.now();
  const cloud = await venue.coordinator.restart();
  const reconciled = await waitFor(
    async () => {
      const reported = await api<{ offlineRedemptions: unknown[] }>(cloud.url, 'GET', '/api/offline-redemptions', {
        token: venue.operator,
      });
      if ((reported.body.offlineRedemptions?.length ?? 0) < offlineRedemptions) return false;
      const left = await Promise.all(nodes.map((n) => status(n).catch(() => null)));
      return left.every((s) => s?.offline?.unreconciled === 0);
    },
    RECONCILE_TIMEOUT_MS,
    100,
  );
  if (!reconciled) throw new Error('reconciliation did not finish in time');
  const reconcileSeconds = (clock.now() - restartedAt) / 1000;
  const books = await accountFor(
    venue,
    cloud.url,
    names,
    orders.map((o) => o.orderId),
  );
  if (failures.length > 0) progress(`failures: ${failures.join('; ')}`);

  const result = {
    printers: PRINTERS,
    offlineRedemptions,
    races: RACES,
    racesWonOnce,
    doublePrints: books.doublePrints,
    lostConfirmations: books.lostConfirmations,
    conflicts: books.conflicts.length,
    maxDoubleRedeemWindowMs: Math.max(...windows),
    holdMs: OFFLINE_CLAIM_HOLD_MS,
    offlineRedeemP50Ms: Math.round(percentile(latencies, 50)),
    offlineRedeemP99Ms: Math.round(percentile(latencies, 99)),
    reconcileSeconds: Number(reconcileSeconds.toFixed(1)),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

let failed = false;
try {
  await main();
} catch (err) {
  failed = true;
  process.stderr.write(`[bench:offline] failed: ${(err as Error).stack ?? err}\n`);
} finally {
  await owner.close().catch((err: Error) => {
    failed = true;
    process.stderr.write(`[bench:offline] closing failed: ${err.stack ?? err}\n`);
  });
}
process.exit(failed ? 1 : 0);
