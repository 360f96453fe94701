import type Corestore from 'corestore';
import type Hypercore from 'hypercore';
import { systemClock } from '../shared/ports/clock.ts';
import { MeshedStores } from './fixtures/meshed-stores.ts';

/**
 * `npm run bench:fanout`: what one small append (a claims-log record, an orders-feed entry) costs
 * every printer of a venue that replicates the core, by how many printers replicate it.
 *
 * For each venue size in BENCH_FANOUT_SIZES (3, 6, 11): that many corestores in this process, every
 * pair connected by a replication stream (the venue mesh is all-to-all), one writer and the others
 * following the core live, as printers follow each other's claims logs. The writer appends
 * BENCH_FANOUT_APPENDS records of ~80 bytes, one every APPEND_GAP_MS, and waits until every follower
 * holds them. Reported per size:
 *  - readsPerAppendPerFollower: RocksDB gets (hypercore-storage's db stats) per append per follower;
 *  - cpuMsPerAppendPerStore: this process's CPU per append, divided by the stores in it.
 * A cost that grows with the venue is one every printer pays for every order redeemed anywhere
 * (BENCHMARKS.md, 8th session). Last stdout line: one JSON object.
 */
const SIZES = (process.env.BENCH_FANOUT_SIZES ?? '3,6,11').split(',').map(Number);
const APPENDS = Number(process.env.BENCH_FANOUT_APPENDS ?? 50);
const APPEND_GAP_MS = 20;
/** Streams settle (handshakes, channel opens) before the appends are counted. */
const SETTLE_MS = 500;
const FOLLOW_TIMEOUT_MS = 60_000;
const POLL_MS = 20;
const clock = systemClock;

interface FanoutResult {
  stores: number;
  readsPerAppendPerFollower: number;
  cpuMsPerAppendPerStore: number;
}

function dbGets(store: Corestore): number {
  return (store as unknown as { storage: { db: { stats: { gets: number } } } }).storage.db.stats.gets;
}

async function measure(size: number): Promise<FanoutResult> {
  const mesh = await MeshedStores.open(size, 'vpm-bench-fanout-');
  try {
    const { stores } = mesh;
    const log = stores[0]!.get({ name: 'claims-log' });
    await log.ready();
    const followers: Hypercore[] = [];
    for (const store of stores.slice(1)) {
      const core = store.get({ key: log.key });
      await core.ready();
      core.download({ start: 0, end: -1 });
      followers.push(core);
    }
    mesh.connectAll();
    await clock.sleep(SETTLE_MS);
    const readsBefore = followers.reduce((n, _, k) => n + dbGets(stores[k + 1]!), 0);
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < APPENDS; i++) {
      await log.append(Buffer.from(JSON.stringify({ t: 'claim', orderId: `order-${i}`, hlc: { wall: i, count: 0 } })));
      await clock.sleep(APPEND_GAP_MS);
    }
    const deadline = clock.now() + FOLLOW_TIMEOUT_MS;
    while (followers.some((f) => f.contiguousLength < APPENDS)) {
      if (clock.now() > deadline)
        throw new Error(`followers did not get ${APPENDS} appends in ${FOLLOW_TIMEOUT_MS} ms`);
      await clock.sleep(POLL_MS);
    }
    const cpu = process.cpuUsage(cpuBefore);
    const reads = followers.reduce((n, _, k) => n + dbGets(stores[k + 1]!), 0) - readsBefore;
    return {
      stores: size,
      readsPerAppendPerFollower: Number((reads / APPENDS / followers.length).toFixed(1)),
      cpuMsPerAppendPerStore: Number(((cpu.user + cpu.system) / 1000 / APPENDS / size).toFixed(2)),
    };
  } finally {
    await mesh.close();
  }
}

const results: FanoutResult[] = [];
for (const size of SIZES) {
  const result = await measure(size);
  process.stderr.write(`[bench:fanout] ${JSON.stringify(result)}\n`);
  results.push(result);
}
process.stdout.write(`${JSON.stringify({ appends: APPENDS, results })}\n`);
