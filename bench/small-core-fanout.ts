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
const clock = systemClock;

interface FanoutResult {
  stores: number;
  readsPerAppendPerFollower: number;
  cpuMsPerAppendPerStore: number;
}

async function measure(size: number): Promise<FanoutResult> {
  const mesh = await MeshedStores.open(size, 'vpm-bench-fanout-');
  try {
    const { source: log, followers } = await mesh.follow('claims-log');
    mesh.connectAll();
    await clock.sleep(SETTLE_MS);
    const readsBefore = mesh.followerReads();
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < APPENDS; i++) {
      await log.append(Buffer.from(JSON.stringify({ t: 'claim', orderId: `order-${i}`, hlc: { wall: i, count: 0 } })));
      await clock.sleep(APPEND_GAP_MS);
    }
    await mesh.untilFollowed(followers, APPENDS, FOLLOW_TIMEOUT_MS);
    const cpu = process.cpuUsage(cpuBefore);
    const reads = mesh.followerReads() - readsBefore;
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
