import { randomBytes } from 'node:crypto';
import type Hypercore from 'hypercore';
import { systemClock } from '../shared/ports/clock.ts';
import { MeshedStores } from './fixtures/meshed-stores.ts';

/**
 * `npm run bench:photo-fanout`: what a photo's blocks cost each printer of an all-to-all venue mesh,
 * by the venue's size (issue #16: photos keep the full mesh, and Hypercore announces each block a
 * printer gets to every peer that lacks it, so the venue pays O(N²) messages per block).
 *
 * For each size in BENCH_PHOTO_FANOUT_SIZES (3, 6, 11, 21, 41): that many corestores in this process,
 * every pair joined by a replication stream, the first one the photos' source (the cloud seeder's
 * role) and the others following the core live, as printers follow an event's photos. The source
 * appends BENCH_PHOTO_FANOUT_PHOTOS photos of PHOTO_BYTES in 64 KiB blocks, one every PHOTO_GAP_MS,
 * and waits until every follower holds them all. Reported per size:
 *  - cpuMsPerMbPerFollower: this process's CPU (user + system) per MB a follower received, i.e. the
 *    whole venue's CPU ÷ (MB × followers): constant if a printer's cost did not grow with its peers;
 *  - messagesPerBlockPerFollower: Hypercore wire messages sent and received per block per follower
 *    (its replicator's own counters), with the `range` announcements apart;
 *  - readsPerBlockPerFollower: RocksDB gets per block per follower;
 *  - sourceShare: data messages the source itself sent ÷ blocks the followers received (about 1 =
 *    every follower took every block from the source; upgrade-only messages count too).
 * Last stdout line: one JSON object. In-process pipes leave out the transport (UDX), which costs the
 * same per byte at any venue size.
 */
const SIZES = (process.env.BENCH_PHOTO_FANOUT_SIZES ?? '3,6,11,21,41').split(',').map(Number);
const PHOTOS = Number(process.env.BENCH_PHOTO_FANOUT_PHOTOS ?? 4);
if (!SIZES.every((n) => Number.isInteger(n) && n >= 2) || !(Number.isInteger(PHOTOS) && PHOTOS >= 1)) {
  process.stderr.write(
    'BENCH_PHOTO_FANOUT_SIZES must list whole numbers ≥ 2 (a source and a follower), BENCH_PHOTO_FANOUT_PHOTOS ≥ 1\n',
  );
  process.exit(2);
}
const BLOCK_BYTES = 64 * 1024;
/** A 5 MB master in 64 KiB blocks, as the feed stores it. */
const BLOCKS_PER_PHOTO = 80;
const PHOTO_BYTES = BLOCK_BYTES * BLOCKS_PER_PHOTO;
const PHOTO_GAP_MS = 200;
/** Streams settle (handshakes, channel opens) before anything is counted. */
const SETTLE_MS = 500;
const FOLLOW_TIMEOUT_MS = 180_000;
const BYTES_PER_MB = 1_000_000;
const clock = systemClock;

interface WireCounts {
  [name: string]: { tx: number; rx: number };
}

interface PhotoFanoutResult {
  stores: number;
  cpuMsPerMbPerFollower: number;
  messagesPerBlockPerFollower: number;
  rangeMessagesPerBlockPerFollower: number;
  readsPerBlockPerFollower: number;
  sourceShare: number;
  wallSeconds: number;
}

function wire(core: Hypercore): WireCounts {
  return (core as unknown as { replicator: { stats: WireCounts } }).replicator.stats;
}

function sumWire(cores: Hypercore[], pick: (name: string) => boolean): number {
  let n = 0;
  for (const core of cores) {
    for (const [name, c] of Object.entries(wire(core))) if (name.startsWith('wire') && pick(name)) n += c.tx + c.rx;
  }
  return n;
}

async function measure(size: number): Promise<PhotoFanoutResult> {
  const mesh = await MeshedStores.open(size, 'vpm-bench-photo-fanout-');
  try {
    const { source, followers } = await mesh.follow('photos');
    mesh.connectAll();
    await clock.sleep(SETTLE_MS);
    const all = () => sumWire(followers, () => true);
    const ranges = () => sumWire(followers, (n) => n === 'wireRange');
    const reads = () => mesh.followerReads();
    // Made before the CPU is counted: the photos' bytes are not replication.
    const photos = Array.from({ length: PHOTOS }, () =>
      Array.from({ length: BLOCKS_PER_PHOTO }, () => randomBytes(BLOCK_BYTES)),
    );
    const before = { all: all(), ranges: ranges(), reads: reads(), sent: wire(source).wireData!.tx };
    const cpuBefore = process.cpuUsage();
    const started = clock.now();
    for (const blocks of photos) {
      await source.append(blocks);
      await clock.sleep(PHOTO_GAP_MS);
    }
    const total = PHOTOS * BLOCKS_PER_PHOTO;
    await mesh.untilFollowed(followers, total, FOLLOW_TIMEOUT_MS);
    const cpu = process.cpuUsage(cpuBefore);
    const wallSeconds = (clock.now() - started) / 1000;
    const perFollowerBlock = total * followers.length;
    const mb = (PHOTOS * PHOTO_BYTES) / BYTES_PER_MB;
    return {
      stores: size,
      cpuMsPerMbPerFollower: Number(((cpu.user + cpu.system) / 1000 / mb / followers.length).toFixed(2)),
      messagesPerBlockPerFollower: Number(((all() - before.all) / perFollowerBlock).toFixed(1)),
      rangeMessagesPerBlockPerFollower: Number(((ranges() - before.ranges) / perFollowerBlock).toFixed(1)),
      readsPerBlockPerFollower: Number(((reads() - before.reads) / perFollowerBlock).toFixed(1)),
      sourceShare: Number(((wire(source).wireData!.tx - before.sent) / perFollowerBlock).toFixed(3)),
      wallSeconds: Number(wallSeconds.toFixed(1)),
    };
  } finally {
    await mesh.close();
  }
}

const results: PhotoFanoutResult[] = [];
for (const size of SIZES) {
  const result = await measure(size);
  process.stderr.write(`[bench:photo-fanout] ${JSON.stringify(result)}\n`);
  results.push(result);
}
process.stdout.write(`${JSON.stringify({ photos: PHOTOS, photoBytes: PHOTO_BYTES, results })}\n`);
