import { randomBytes } from 'node:crypto';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import type Hypercore from 'hypercore';
import { LanOverlay } from '../edge-node/mesh/lan-overlay.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { MeshedStores } from './fixtures/meshed-stores.ts';

/**
 * `npm run bench:photo-fanout`: what a photo's blocks cost each printer, by the venue's size, with
 * the photos on the full mesh and on the photo overlay (issue #16: in a full mesh Hypercore announces
 * each block a printer gets to every peer that lacks it, so the venue pays O(N²) messages per block;
 * the overlay, shared/policy/photo-overlay.ts, bounds each printer's photo peers at 10).
 *
 * For each size in BENCH_PHOTO_FANOUT_SIZES (3, 6, 11, 21, 41) and each topology in
 * BENCH_PHOTO_FANOUT_TOPOLOGIES (`full`, `overlay`): that many corestores in this process, every pair
 * joined by a replication stream (guarded by each store's LAN overlay for `overlay`, as the edge node
 * guards its connections), the first one the photos' source (the printer that took them from the
 * cloud) and the others following the core live, as printers follow an event's photos. The source
 * appends BENCH_PHOTO_FANOUT_PHOTOS photos of PHOTO_BYTES in 64 KiB blocks, one every PHOTO_GAP_MS,
 * and waits until every follower holds them all. Reported per size:
 *  - cpuMsPerMbPerFollower: this process's CPU (user + system) per MB a follower received, i.e. the
 *    whole venue's CPU ÷ (MB × followers): constant if a printer's cost did not grow with its peers;
 *  - messagesPerBlockPerFollower: Hypercore wire messages sent and received per block per follower
 *    (its replicator's own counters), with the `range` announcements apart;
 *  - readsPerBlockPerFollower: RocksDB gets per block per follower;
 *  - sourceShare: data messages the source itself sent ÷ blocks the followers received (about 1 =
 *    every follower took every block from the source; upgrade-only messages count too);
 *  - catchUpMs: from the last append until every follower holds every block (what relaying costs
 *    the last printer to get a photo);
 *  - idleCpuMsPerSecond: this process's CPU per second before the first photo, with every stream
 *    open and nothing to replicate;
 *  - mainThreadMsPerMbPerFollower, gcMsPerMbPerFollower: of the CPU per MB, the main thread's busy
 *    time and V8's garbage-collection pauses (the rest runs on other threads: storage, libuv).
 * Last stdout line: one JSON object. In-process pipes leave out the transport (UDX), which costs the
 * same per byte at any venue size.
 */
const SIZES = (process.env.BENCH_PHOTO_FANOUT_SIZES ?? '3,6,11,21,41').split(',').map(Number);
const PHOTOS = Number(process.env.BENCH_PHOTO_FANOUT_PHOTOS ?? 4);
const TOPOLOGIES = (process.env.BENCH_PHOTO_FANOUT_TOPOLOGIES ?? 'full,overlay').split(',');
type Topology = 'full' | 'overlay';
const isTopology = (t: string): t is Topology => t === 'full' || t === 'overlay';
if (
  !SIZES.every((n) => Number.isInteger(n) && n >= 2) ||
  !(Number.isInteger(PHOTOS) && PHOTOS >= 1) ||
  !TOPOLOGIES.every(isTopology)
) {
  process.stderr.write(
    'BENCH_PHOTO_FANOUT_SIZES must list whole numbers ≥ 2 (a source and a follower), BENCH_PHOTO_FANOUT_PHOTOS ≥ 1, BENCH_PHOTO_FANOUT_TOPOLOGIES full and/or overlay\n',
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
/** The venue's CPU with nothing to replicate is sampled this long (keep-alives, timers of N × (N − 1) streams). */
const IDLE_SAMPLE_MS = 2_000;
const FOLLOW_TIMEOUT_MS = 180_000;
const BYTES_PER_MB = 1_000_000;
const clock = systemClock;

interface WireCounts {
  [name: string]: { tx: number; rx: number };
}

interface PhotoFanoutResult {
  stores: number;
  topology: Topology;
  /** Most photo peers any printer had (the overlay's bound, or everyone). */
  maxPhotoPeers: number;
  cpuMsPerMbPerFollower: number;
  /** Of it, the main thread's busy time (event-loop utilisation's active time): the rest is other threads (storage, libuv). */
  mainThreadMsPerMbPerFollower: number;
  /** Of the main thread's, garbage-collection pauses (V8's `gc` performance entries). */
  gcMsPerMbPerFollower: number;
  messagesPerBlockPerFollower: number;
  rangeMessagesPerBlockPerFollower: number;
  readsPerBlockPerFollower: number;
  sourceShare: number;
  catchUpMs: number;
  /** The whole venue's CPU per second before any photo (what N × (N − 1) idle streams cost here). */
  idleCpuMsPerSecond: number;
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

/**
 * Sums V8's garbage-collection pauses from now until `stop()`: all stores share this process's one
 * heap, which grows with the venue's size, where a printer in a venue has a heap of its own.
 */
function gcPauses(): { stop(): number } {
  let ms = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) ms += entry.duration;
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop: () => {
      for (const entry of observer.takeRecords()) ms += entry.duration;
      observer.disconnect();
      return ms;
    },
  };
}

/** One LAN overlay per store, members named by index, the photo core registered. */
function overlaysFor(size: number, photoCore: Buffer): LanOverlay[] {
  const members = Array.from({ length: size }, (_, i) => String(i));
  return members.map((self) => {
    const overlay = new LanOverlay(self);
    overlay.setPrinters(members);
    overlay.register(photoCore, 'photos');
    return overlay;
  });
}

async function measure(size: number, topology: Topology): Promise<PhotoFanoutResult> {
  const mesh = await MeshedStores.open(size, 'vpm-bench-photo-fanout-');
  try {
    const { source, followers } = await mesh.follow('photos');
    mesh.connectAll(topology === 'overlay' ? overlaysFor(size, source.key) : undefined);
    await clock.sleep(SETTLE_MS);
    const idleBefore = process.cpuUsage();
    await clock.sleep(IDLE_SAMPLE_MS);
    const idle = process.cpuUsage(idleBefore);
    const idleCpuMsPerSecond = (idle.user + idle.system) / 1000 / (IDLE_SAMPLE_MS / 1000);
    const all = () => sumWire(followers, () => true);
    const ranges = () => sumWire(followers, (n) => n === 'wireRange');
    const reads = () => mesh.followerReads();
    // Made before the CPU is counted: the photos' bytes are not replication.
    const photos = Array.from({ length: PHOTOS }, () =>
      Array.from({ length: BLOCKS_PER_PHOTO }, () => randomBytes(BLOCK_BYTES)),
    );
    const before = { all: all(), ranges: ranges(), reads: reads(), sent: wire(source).wireData!.tx };
    const gc = gcPauses();
    const eluBefore = performance.eventLoopUtilization();
    const cpuBefore = process.cpuUsage();
    const started = clock.now();
    for (const blocks of photos) {
      await clock.sleep(PHOTO_GAP_MS);
      await source.append(blocks);
    }
    const lastAppend = clock.now();
    const total = PHOTOS * BLOCKS_PER_PHOTO;
    await mesh.untilFollowed(followers, total, FOLLOW_TIMEOUT_MS);
    const catchUpMs = clock.now() - lastAppend;
    const cpu = process.cpuUsage(cpuBefore);
    const gcMs = gc.stop();
    const mainMs = performance.eventLoopUtilization(eluBefore).active;
    const wallSeconds = (clock.now() - started) / 1000;
    const perFollowerBlock = total * followers.length;
    const mb = (PHOTOS * PHOTO_BYTES) / BYTES_PER_MB;
    return {
      stores: size,
      topology,
      maxPhotoPeers: Math.max(source.peers.length, ...followers.map((f) => f.peers.length)),
      cpuMsPerMbPerFollower: Number(((cpu.user + cpu.system) / 1000 / mb / followers.length).toFixed(2)),
      mainThreadMsPerMbPerFollower: Number((mainMs / mb / followers.length).toFixed(2)),
      gcMsPerMbPerFollower: Number((gcMs / mb / followers.length).toFixed(2)),
      messagesPerBlockPerFollower: Number(((all() - before.all) / perFollowerBlock).toFixed(1)),
      rangeMessagesPerBlockPerFollower: Number(((ranges() - before.ranges) / perFollowerBlock).toFixed(1)),
      readsPerBlockPerFollower: Number(((reads() - before.reads) / perFollowerBlock).toFixed(1)),
      sourceShare: Number(((wire(source).wireData!.tx - before.sent) / perFollowerBlock).toFixed(3)),
      catchUpMs: Math.round(catchUpMs),
      idleCpuMsPerSecond: Number(idleCpuMsPerSecond.toFixed(1)),
      wallSeconds: Number(wallSeconds.toFixed(1)),
    };
  } finally {
    await mesh.close();
  }
}

const results: PhotoFanoutResult[] = [];
for (const size of SIZES) {
  for (const topology of TOPOLOGIES.filter(isTopology)) {
    const result = await measure(size, topology);
    process.stderr.write(`[bench:photo-fanout] ${JSON.stringify(result)}\n`);
    results.push(result);
  }
}
process.stdout.write(`${JSON.stringify({ photos: PHOTOS, photoBytes: PHOTO_BYTES, results })}\n`);
