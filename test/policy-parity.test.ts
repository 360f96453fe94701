/**
 * The simulator plans with the edge node's own code: the same venue situation is given to the edge
 * node's BackgroundReplicator (fake feed cores, LAN and cloud) and to the simulator's mesh strategy
 * (a fake SimContext), and every background sync plan printer 0 makes must be the same on both.
 *
 * The layout makes the two units coincide: every photo is 4 feed blocks and photos are aligned to
 * the 16-block responsibility chunks, so the node's unit (an image's part in one chunk) is the
 * simulator's unit (an image); the simulator's feed key is the node's blobs key, and its printer keys
 * are the node's printer ids, so both compute the same shares.
 */
import test from 'ava';
import { BackgroundReplicator } from '../edge-node/mesh/background-replicator.ts';
import type { SyncReplica } from '../edge-node/mesh/sync-replica.ts';
import { PriorityGate } from '../edge-node/mesh/traffic.ts';
import { seededRng } from '../shared/policy/prng.ts';
import { RESPONSIBILITY_CHUNK_BLOCKS } from '../shared/policy/responsibility.ts';
import { DEFAULT_SOURCE_CONFIG } from '../shared/policy/source-choice.ts';
import type { SyncPlan } from '../shared/policy/sync-planner.ts';
import { TokenBucket } from '../shared/policy/token-bucket.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import { Network } from '../sim/model/network.ts';
import type { Workload } from '../sim/model/workload.ts';
import type { Scenario } from '../sim/scenario.ts';
import { MeshStrategy } from '../sim/strategies/mesh.ts';
import { printerKey } from '../sim/strategies/mesh-shares.ts';
import { HELD, type SimContext } from '../sim/strategies/strategy.ts';
import { variant } from './sim-helpers.ts';

const PRINTERS = 4;
const IMAGES = 64;
const BLOCKS_PER_IMAGE = 4;
const SEED = 7;
const SELF = 0;
/** How long the situation is followed: several sync intervals and one LAN deadline. */
const HORIZON_S = 400;

/** A venue situation, as a function of time (seconds since the run began). */
interface Situation {
  /** Images each printer holds (printer 0's are not planned). */
  held: ReadonlyArray<readonly number[]>;
  /** Printers that are down for the whole run. */
  down?: readonly number[];
  /** The cloud is unreachable from 0 until this time (null: never; Infinity: the whole run). */
  cloudDownUntilS?: number | null;
  /** Live, pipelined mode on both sides (default false: one cycle per tick, the two-phase plan). */
  live?: boolean;
}

function scenario(live = false): Scenario {
  return variant('club', (raw) => {
    raw.strategies = { mesh: { syncIntervalS: 30, feedPollS: 10, backgroundLanDeadlineMs: 120_000, live } };
  });
}

/** Image i is blocks [4i, 4i + 4): chunk-aligned (4 images per 16-block chunk). */
function workload(): Workload {
  return {
    images: IMAGES,
    imageBytes: new Float64Array(IMAGES).fill(BLOCKS_PER_IMAGE * 64 * 1024),
    uploadAt: new Float64Array(IMAGES),
    batchOf: new Int32Array(IMAGES),
    firstBlock: Float64Array.from({ length: IMAGES }, (_, i) => i * BLOCKS_PER_IMAGE),
    batches: [{ index: 0, atS: 0, first: 0, count: IMAGES, bytes: IMAGES * BLOCKS_PER_IMAGE * 64 * 1024 }],
    uniqueBytes: IMAGES * BLOCKS_PER_IMAGE * 64 * 1024,
    orders: [],
  };
}

function isUp(s: Situation, p: number): boolean {
  return !(s.down ?? []).includes(p);
}

function cloudUpSinceS(s: Situation, t: number): number | null {
  const until = s.cloudDownUntilS ?? null;
  if (until === null) return 0;
  return t < until ? null : until;
}

/** The simulator's side: its mesh strategy on a fake context in which no transfer ever moves a byte. */
function simulatorPlans(s: Situation): Array<{ t: number; plan: SyncPlan }> {
  const sc = scenario(s.live);
  const w = workload();
  const state = new Uint8Array(PRINTERS * IMAGES);
  for (const [p, images] of s.held.entries()) for (const i of images) state[p * IMAGES + i] = HELD;
  const agenda: Array<{ t: number; seq: number; fn: () => void }> = [];
  let seq = 0;
  let now = 0;
  const plans: Array<{ t: number; plan: SyncPlan }> = [];
  const ctx: SimContext = {
    get now() {
      return now;
    },
    seed: SEED,
    scenario: sc,
    workload: w,
    printers: PRINTERS,
    network: new Network(new Float64Array(3 + PRINTERS).fill(1e9)),
    tracing: false,
    wanRttS: 0.05,
    lanRttS: 0.002,
    at: (t, fn) => agenda.push({ t: Math.max(t, now), seq: seq++, fn }),
    uploadedCount: () => IMAGES,
    state: (p, i) => state[p * IMAGES + i]!,
    setState: (p, i, v) => {
      state[p * IMAGES + i] = v;
    },
    heldCount: (p) => state.subarray(p * IMAGES, (p + 1) * IMAGES).filter((v) => v === HELD).length,
    onlineHolders: (i) => {
      let n = 0;
      for (let p = 0; p < PRINTERS; p++) if (isUp(s, p) && state[p * IMAGES + i] === HELD) n++;
      return n;
    },
    isPrinterUp: (p) => isUp(s, p),
    isWanUp: () => cloudUpSinceS(s, now) !== null,
    wanUpSince: () => cloudUpSinceS(s, now),
    onlinePrinters: () => Array.from({ length: PRINTERS }, (_, p) => p).filter((p) => isUp(s, p)),
    // Nothing is ever delivered: the plans stay comparable cycle after cycle.
    startWanFlow: () => null,
    startLanFlow: () => null,
    rng: (name) => seededRng(`${SEED}/mesh/${name}`),
    trace: () => {},
    deliver: () => {},
  };
  // A copy: the strategy goes on using the plan's lists.
  const strategy = new MeshStrategy(sc, {
    onPlan: (p, plan) => p === SELF && plans.push({ t: now, plan: structuredClone(plan) }),
  });
  strategy.start(ctx);
  strategy.onUpload(ctx, w.batches[0]!);
  for (;;) {
    agenda.sort((a, b) => a.t - b.t || a.seq - b.seq);
    const next = agenda.shift();
    if (!next || next.t > HORIZON_S) break;
    now = next.t;
    next.fn();
  }
  return plans;
}

/** The edge node's side: its replicator, with fake cores holding what printer 0 holds. */
function edgeNode(s: Situation, clock: ManualClock) {
  const sc = scenario(s.live);
  const mine = new Set(s.held[SELF] ?? []);
  const peers = Array.from({ length: PRINTERS }, (_, p) => p).filter((p) => p !== SELF);
  const connected = peers.filter((p) => isUp(s, p));
  const replica: SyncReplica = {
    eventId: 'event-1',
    descriptor: { blobsKey: `sim-${SEED}/blobs`, catalogKey: `sim-${SEED}/catalog` },
    blobsCore: {
      length: IMAGES * BLOCKS_PER_IMAGE,
      has: async (block) => mine.has(Math.floor(block / BLOCKS_PER_IMAGE)),
      download: () => ({ done: () => Promise.reject(new Error('nobody sends anything here')), destroy: () => {} }),
    },
    catalog: { core: { contiguousLength: 1 } },
    have: { holders: (seq) => connected.filter((p) => (s.held[p] ?? []).includes(seq)).length },
    updateCatalog: async () => {},
    entries: async () =>
      Array.from({ length: IMAGES }, (_, i) => ({
        seq: i,
        blob: { blockOffset: i * BLOCKS_PER_IMAGE, blockLength: BLOCKS_PER_IMAGE },
      })),
    holds: async (e) => mine.has(e.seq),
    announceHoldings: async () => {},
  };
  const cfg = sc.strategies.mesh;
  return new BackgroundReplicator({
    mesh: { settle: async () => {}, lanPeers: () => connected.map(printerKey) },
    cloud: {
      acquire: async () => ({
        connected: cloudUpSinceS(s, (clock.now() - START_MS) / 1000) !== null,
        release: () => {},
      }),
      hangUpIfIdle: () => {},
    },
    gate: new PriorityGate(),
    replicas: () => [replica],
    profile: () => ({
      feeds: [{ eventId: 'event-1', head: { blobsLength: IMAGES * BLOCKS_PER_IMAGE, catalogLength: 1 } }],
      peers: { printers: peers.map((p) => ({ id: printerKey(p), lastSeenAt: null })) },
    }),
    selfKey: printerKey(SELF),
    clock,
    rng: seededRng('parity'),
    schedule: {
      intervalMs: cfg.syncIntervalS * 1000,
      windows: cfg.syncWindows,
      utcOffsetMinutes: cfg.utcOffsetMinutes,
    },
    // No cap worth the name: a wait for tokens would need the manual clock moved mid-cycle.
    bucket: new TokenBucket({ rateBytesPerSec: 1e12, burstBytes: 1e15, now: clock.now() }),
    logger: { info: () => {}, warn: () => {}, error: () => {} },
    source: {
      ...DEFAULT_SOURCE_CONFIG,
      onDemandLanDeadlineMs: cfg.onDemandLanDeadlineMs,
      backgroundLanDeadlineMs: cfg.backgroundLanDeadlineMs,
    },
    live: cfg.live,
  });
}

const START_MS = Date.parse('2026-06-01T18:00:00Z');

/** Runs the node's cycles at the simulator's planning times (and one at the upload) and pairs the plans. */
async function edgeNodePlans(s: Situation, times: readonly number[]): Promise<SyncPlan[]> {
  const clock = new ManualClock(START_MS);
  const node = edgeNode(s, clock);
  const setCloud = (t: number) => {
    const since = cloudUpSinceS(s, t);
    node.cloudReachable(since !== null, START_MS + (since ?? t) * 1000);
  };
  setCloud(0);
  await node.runCycle(); // the node learns of the photos when they appear (the simulator: their upload)
  const out: SyncPlan[] = [];
  for (const t of times) {
    await clock.tick(START_MS + t * 1000 - clock.now());
    setCloud(t);
    const report = await node.runCycle();
    out.push(report.plans[0]!.plan);
  }
  return out;
}

/** A plan in image numbers, each list sorted (the LAN phase orders its images itself). */
function normalise(plan: SyncPlan, unitToImage: (id: number) => number) {
  const side = (ids: number[]) => ids.map(unitToImage).sort((a, b) => a - b);
  return { cloud: side(plan.cloud), lan: side(plan.lan), later: side(plan.later) };
}

async function comparePlans(s: Situation) {
  const sim = simulatorPlans(s);
  const node = await edgeNodePlans(
    s,
    sim.map((p) => p.t),
  );
  return sim.map((p, k) => ({
    t: p.t,
    simulator: normalise(p.plan, (i) => i),
    edgeNode: normalise(node[k]!, (block) => block / BLOCKS_PER_IMAGE),
  }));
}

test('layout: photos are chunk-aligned, so the node’s units are the simulator’s images', (t) => {
  t.is(RESPONSIBILITY_CHUNK_BLOCKS % BLOCKS_PER_IMAGE, 0);
});

test('fresh photos, some already on peers: the same cloud, LAN and later sets, cycle after cycle', async (t) => {
  const pairs = await comparePlans({ held: [[], [0, 1, 2, 3, 9], [4, 5, 9], []] });
  t.true(pairs.length >= 3, `${pairs.length} cycles`);
  for (const p of pairs) t.deepEqual(p.edgeNode, p.simulator, `at ${p.t} s`);
  const first = pairs[0]!.simulator;
  // Not vacuous: printer 0 owns some photos, peers hold some, and the rest wait for their owners.
  t.deepEqual(first.lan, [0, 1, 2, 3, 4, 5, 9]);
  t.true(first.cloud.length > 0 && first.later.length > 0, JSON.stringify(first));
  // The LAN deadline passes within the horizon: everything left then comes from the cloud.
  const last = pairs.at(-1)!;
  t.true(last.t >= 120, `${last.t}`);
  t.deepEqual(last.simulator.later, []);
});

test('photos printer 0 already holds are not planned on either side', async (t) => {
  const pairs = await comparePlans({ held: [[0, 1, 2, 3, 10, 11], [10], [], [12, 13]] });
  for (const p of pairs) t.deepEqual(p.edgeNode, p.simulator, `at ${p.t} s`);
  const all = [...pairs[0]!.simulator.cloud, ...pairs[0]!.simulator.lan, ...pairs[0]!.simulator.later];
  t.is(all.length, IMAGES - 6);
  t.false(all.includes(10));
});

test('cloud unreachable: only LAN holders are planned, the rest waits (and the deadline clock stops)', async (t) => {
  const pairs = await comparePlans({ held: [[], [0, 1], [2], []], cloudDownUntilS: Number.POSITIVE_INFINITY });
  for (const p of pairs) t.deepEqual(p.edgeNode, p.simulator, `at ${p.t} s`);
  for (const p of pairs) {
    t.deepEqual(p.simulator.cloud, []);
    t.deepEqual(p.simulator.lan, [0, 1, 2]);
  }
});

test('the cloud comes back: owners pull at once, the deadline counts from the return', async (t) => {
  const pairs = await comparePlans({ held: [[], [0], [], []], cloudDownUntilS: 100 });
  for (const p of pairs) t.deepEqual(p.edgeNode, p.simulator, `at ${p.t} s`);
  const after = pairs.filter((p) => p.t >= 100);
  t.true(after.length > 0);
  t.true(after[0]!.simulator.cloud.length > 0, 'own share from the cloud once it is back');
  t.true(
    after.every((p) => p.t >= 220 || p.simulator.later.length > 0),
    'no deadline before 100 s + 120 s',
  );
});

test('a printer down: shares are computed over the printers up, on both sides', async (t) => {
  const pairs = await comparePlans({ held: [[], [], [7], [8]], down: [3] });
  for (const p of pairs) t.deepEqual(p.edgeNode, p.simulator, `at ${p.t} s`);
  t.deepEqual(pairs[0]!.simulator.lan, [7], 'the down printer’s photos are not on the LAN');
});

test('live: someone else’s share goes to the LAN at once (streamed from its owner), own share to the cloud, on both sides', async (t) => {
  const pairs = await comparePlans({ held: [[], [0, 1], [2], []], live: true });
  t.true(pairs.length >= 3, `${pairs.length} plans`);
  for (const p of pairs) t.deepEqual(p.edgeNode, p.simulator, `at ${p.t} s`);
  const first = pairs[0]!.simulator;
  // The first plan is the append notification's, at the upload (+ one WAN round trip), not a tick.
  t.true(pairs[0]!.t < 1, `${pairs[0]!.t}`);
  t.true(first.cloud.length > 0, 'printer 0 pulls its own share');
  t.deepEqual(first.later, [], 'nothing waits for a later cycle while the owners are online');
  t.is(first.cloud.length + first.lan.length, IMAGES);
});

test('live, the cloud unreachable: no streaming from owners who cannot fetch; LAN holders only, on both sides', async (t) => {
  const pairs = await comparePlans({
    held: [[], [0, 1], [2], []],
    cloudDownUntilS: Number.POSITIVE_INFINITY,
    live: true,
  });
  for (const p of pairs) t.deepEqual(p.edgeNode, p.simulator, `at ${p.t} s`);
  for (const p of pairs) t.deepEqual(p.simulator.lan, [0, 1, 2]);
});
