import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../shared/ports/clock.ts';
import { growHeapForReplication, REPLICATION_HEAP_GROWING_PERCENT } from '../shared/process/heap-growth.ts';
import { waitFor } from '../test/fixtures/feed-fixtures.ts';
import { heldEverywhere } from '../test/fixtures/printer-holdings.ts';
import type { EdgeProcess } from '../tools/venue-kit/edge-process.ts';
import { noisyJpeg } from '../tools/venue-kit/photos.ts';
import { cpuSecondsOf, percentile, processCpuSeconds, processCpuTimes } from '../tools/venue-kit/process-cpu.ts';
import { neverSyncs, type SeededPhoto, VenueKit } from '../tools/venue-kit/venue-kit.ts';
import { type BaselineRun, pipedLink, replicationBaseline, swarmLink } from './fixtures/replication-baseline.ts';

/**
 * `npm run bench:mesh`: the edge node's replication economics and latencies, one run.
 *  - cloudEgressRatio: 10 printers fully replicate ≥ 200 MB; bytes pulled from the cloud ÷ unique bytes.
 *  - throughputRatio: one more printer replicating the whole event from its LAN peers, MB/s, ÷ two
 *    corestores piped in this process (same blocks).
 *  - scanToPrintLocalP99Ms: code in → photo out (file printer) for images already local and paid for,
 *    once the printers have rendered them ahead (prerenderSettleSeconds after the payments),
 *    over LOCAL_REDEMPTIONS scans after the station's first (scanToPrintFirstMs: that one pays for
 *    modules loaded on first use and code not yet optimised, once per process).
 *  - missingFetchRatio: redeeming a 5 MB photo the printer lacks, from LAN peers, while its background
 *    sync runs ÷ the same with background sync idle (medians of FETCH_SAMPLES each; each includes the
 *    same claim, render and print work, so the ratio understates the fetch's own slowdown a little).
 *  - cpuPerMbRatio (issue #16): CPU seconds per MB received by the late printer's edge-node process
 *    (user + system, from /proc/<pid>/stat: the process.cpuUsage() of that process), over the same
 *    window as replicationMBps, ÷ CPU seconds per MB of the piped baseline (process.cpuUsage() of
 *    this process while it runs both corestores, sender and receiver, over the same blocks; the median
 *    of BASELINE_SAMPLES runs, each listed in cpuPerMbBaselineSamples).
 *  - cpuPerMbSwarmRatio: the same edge figure ÷ the same two corestores joined as printers are (a
 *    Hyperswarm each on the venue's loopback DHT: UDX over UDP), so the transport's cost is in both;
 *    systemCpuPerMb* are the kernel's (system time) part of each figure.
 *  - scanPeersCpuSeconds / scanLateCpuSeconds: CPU seconds the ten other printers (together) and the
 *    scanning printer used during the LOCAL_REDEMPTIONS scans (scansSeconds of wall time).
 * Last stdout line: one JSON object. BENCH_PRINTERS, BENCH_IMAGES, BENCH_IMAGE_SIDE scale it.
 * BENCH_LATE_CPU_PROF=<dir>: the late printer runs with `node --cpu-prof` and writes its profile to <dir>
 * when it stops; the replication window is printed in the profile's clock (µs), to cut it out.
 */
const PRINTERS = Number(process.env.BENCH_PRINTERS ?? 10);
const IMAGES = Number(process.env.BENCH_IMAGES ?? 42);
const IMAGE_SIDE = Number(process.env.BENCH_IMAGE_SIDE ?? 2600);
const LATE_CPU_PROF_DIR = process.env.BENCH_LATE_CPU_PROF;
const LOCAL_REDEMPTIONS = 40;
/** Runs of the piped baseline; their medians (MB/s, CPU per MB) are the denominators. */
const BASELINE_SAMPLES = 3;
/** Redemptions of a missing photo per condition (idle, busy); the medians are compared. */
const FETCH_SAMPLES = 3;
/** The late printer's photos are rendered ahead within this, or the scans start anyway (and say so). */
const PRERENDER_SETTLE_TIMEOUT_MS = 60_000;
const MB = 1024 * 1024;

/**
 * The printers sync every 2 s, as in the tests, and report to the coordinator at the product's
 * default interval: the tests' 1 s reports would add a coordinator round trip a second to the CPU
 * per MB measured here, and a durable commit a second per printer under the scans' claims.
 */
const PRINTER_CONFIG = { schedule: { intervalMs: 2_000 } };
/** How often the bench asks printers whether they hold everything: each answer costs the printer a status report. */
const HOLDINGS_POLL_MS = 500;
const clock = systemClock;
const progress = (msg: string) => process.stderr.write(`[bench:mesh] ${msg}\n`);

async function main(kit: VenueKit): Promise<void> {
  progress(`uploading ${IMAGES} photos of ${IMAGE_SIDE}² px`);
  await kit.ready();
  const images = await kit.uploadPhotos(IMAGES, (i) => noisyJpeg(i, IMAGE_SIDE));
  const uniqueBytes = images.reduce((n, i) => n + i.bytes, 0);
  const edge = (name: string, extra: Record<string, unknown> = {}, nodeArgs: string[] = []) =>
    kit.startPrinter({ name, config: { ...PRINTER_CONFIG, ...extra }, process: { nodeArgs } });
  const holdsAll = (nodes: EdgeProcess[], timeoutMs: number) =>
    heldEverywhere(nodes, IMAGES, timeoutMs, HOLDINGS_POLL_MS);

  progress(`${(uniqueBytes / MB).toFixed(0)} MB unique; starting ${PRINTERS} printers`);
  const printers = await Promise.all(Array.from({ length: PRINTERS }, (_, i) => edge(`P${i}`)));
  const started = clock.now();
  if (!(await holdsAll(printers, 600_000))) throw new Error('full replication did not finish in 10 minutes');
  const fullReplicationSeconds = (clock.now() - started) / 1000;
  const statuses = await Promise.all(printers.map((p) => p.status()));
  const cloudBytes = statuses.reduce((n, s) => n + s.bytesFromCloud, 0);
  const lanBytes = statuses.reduce((n, s) => n + s.bytesFromLan, 0);

  progress('one more printer replicating the whole event from the LAN');
  const profArgs = LATE_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${LATE_CPU_PROF_DIR}`] : [];
  const late = await edge('LATE', {}, profArgs);
  // From its first byte: startup (pairing, DHT lookup, settling) is not replication throughput.
  await waitFor(async () => (await late.status()).bytesFromLan > 0, 60_000, 20);
  const lateStart = clock.now();
  const latePid = late.child.pid!;
  const lateCpuStart = await processCpuTimes(latePid);
  // CLOCK_MONOTONIC in µs: the clock of V8's .cpuprofile timestamps on Linux.
  const windowStartUs = process.hrtime.bigint() / 1000n;
  if (!(await holdsAll([late], 600_000))) throw new Error('the late printer did not finish');
  if (LATE_CPU_PROF_DIR)
    progress(`late printer pid ${latePid}: replication window ${windowStartUs}..${process.hrtime.bigint() / 1000n} µs`);
  const replicationMBps = uniqueBytes / MB / ((clock.now() - lateStart) / 1000);
  const lateStatus = await late.status();
  const lateCpuEnd = await processCpuTimes(latePid);
  const lateSystemSeconds = lateCpuEnd.system - lateCpuStart.system;
  const cpuPerMbEdge = lateCpuEnd.user - lateCpuStart.user + lateSystemSeconds;
  const receivedMB = (lateStatus.bytesFromLan + lateStatus.bytesFromCloud) / MB;
  // The baseline is short (a few seconds), so one run of it swings with whatever else the machine
  // does: the median of a few is the denominator.
  const baselines: BaselineRun[] = [];
  const swarmBaselines: BaselineRun[] = [];
  const imageBytes = images.map((img) => img.data);
  for (let i = 0; i < BASELINE_SAMPLES; i++) {
    baselines.push(await replicationBaseline(imageBytes, pipedLink));
    swarmBaselines.push(await replicationBaseline(imageBytes, swarmLink(kit.bootstrap)));
  }
  const median = (runs: BaselineRun[], of: (r: BaselineRun) => number) => percentile(runs.map(of), 50);
  const pipedBaselineMBps = median(baselines, (b) => b.mbps);
  const cpuPerMbBaseline = median(baselines, (b) => b.cpuSeconds / b.mb);
  const cpuPerMbSwarmBaseline = median(swarmBaselines, (b) => b.cpuSeconds / b.mb);

  // Fans scan photos that have been local for a while and that they paid for before walking to the
  // printer, so the stations have rendered them ahead (every printer renders the photos of paid
  // orders: pre-renderer.ts). In a venue each station has its own CPU; here the eleven share two
  // cores, so the scans wait until every printer is done, or the others' renders would sit in the
  // scanning printer's tail. How long that took is reported, and a render left for the fan's wait
  // shows in scanToPrintRenderedAtPrint.
  progress('fans pay for their photos; waiting for the printers to render them ahead');
  const everyone = [...printers, late];
  const ordersBefore = await Promise.all(everyone.map(async (p) => (await p.status()).offline?.ordersKnown ?? 0));
  const tokens: string[] = [];
  for (const image of [
    images.at(-1)!,
    ...Array.from({ length: LOCAL_REDEMPTIONS }, (_, i) => images[i % images.length]!),
  ]) {
    tokens.push((await kit.buyAndPay([{ imageId: image.id, copies: 1 }])).token);
  }
  const settleFrom = clock.now();
  const ordersArrived = await waitFor(
    async () =>
      (await Promise.all(everyone.map(async (p) => (await p.status()).offline?.ordersKnown ?? 0))).every(
        (known, i) => known >= ordersBefore[i]! + tokens.length,
      ),
    PRERENDER_SETTLE_TIMEOUT_MS,
    100,
  );
  // Each status query scans the holdings, which offers the paid photos to the pre-renderer.
  const rendered = async (p: EdgeProcess) => (await p.status()) && (await prerenderBacklog(p.url)) === 0;
  const settled =
    ordersArrived &&
    (await waitFor(
      async () => (await Promise.all(everyone.map(rendered))).every(Boolean),
      PRERENDER_SETTLE_TIMEOUT_MS,
      250,
    ));
  const prerenderSettleSeconds = (clock.now() - settleFrom) / 1000;
  if (!settled) progress(`paid photos not rendered ahead after ${PRERENDER_SETTLE_TIMEOUT_MS} ms; scanning anyway`);

  progress('scan to print, images local');
  const scans = await scanLocal(
    tokens,
    late,
    latePid,
    printers.map((p) => p.child.pid!),
  );

  progress('missing 5 MB photo fetched from the LAN, idle vs during background sync');
  const idleNode = await edge('IDLE', { schedule: neverSyncs() });
  await waitFor(async () => (await idleNode.status()).lanPeers >= PRINTERS, 20_000, 100);
  const idle: number[] = [];
  for (let i = 0; i < FETCH_SAMPLES; i++) idle.push(await timedLanRedeem(kit, images, idleNode, i));
  const busyNode = await edge('BUSY');
  await waitFor(async () => (await busyNode.status()).bytesFromLan > 0, 30_000, 50);
  const busy: number[] = [];
  for (let i = IMAGES - 1; i >= 0 && busy.length < FETCH_SAMPLES; i--) {
    const ms = await timedLanRedeem(kit, images, busyNode, i);
    if (!Number.isNaN(ms)) busy.push(ms);
  }
  const idleMs = percentile(idle, 50);
  const busyMs = percentile(busy, 50);

  const summary = {
    printers: PRINTERS,
    images: IMAGES,
    uniqueBytes,
    cloudBytes,
    lanBytes,
    cloudEgressRatio: Number((cloudBytes / uniqueBytes).toFixed(4)),
    fullReplicationSeconds: Number(fullReplicationSeconds.toFixed(1)),
    replicationMBps: Number(replicationMBps.toFixed(1)),
    pipedBaselineMBps: Number(pipedBaselineMBps.toFixed(1)),
    throughputRatio: Number((replicationMBps / pipedBaselineMBps).toFixed(3)),
    cpuPerMbEdge: Number((cpuPerMbEdge / receivedMB).toFixed(4)),
    cpuPerMbBaseline: Number(cpuPerMbBaseline.toFixed(4)),
    cpuPerMbBaselineSamples: baselines.map((b) => Number((b.cpuSeconds / b.mb).toFixed(4))),
    cpuPerMbRatio: Number((cpuPerMbEdge / receivedMB / cpuPerMbBaseline).toFixed(3)),
    systemCpuPerMbEdge: Number((lateSystemSeconds / receivedMB).toFixed(4)),
    systemCpuPerMbBaseline: Number(median(baselines, (b) => b.systemSeconds / b.mb).toFixed(4)),
    cpuPerMbSwarmBaseline: Number(cpuPerMbSwarmBaseline.toFixed(4)),
    cpuPerMbSwarmBaselineSamples: swarmBaselines.map((b) => Number((b.cpuSeconds / b.mb).toFixed(4))),
    systemCpuPerMbSwarmBaseline: Number(median(swarmBaselines, (b) => b.systemSeconds / b.mb).toFixed(4)),
    cpuPerMbSwarmRatio: Number((cpuPerMbEdge / receivedMB / cpuPerMbSwarmBaseline).toFixed(3)),
    lateReceivedMB: Number(receivedMB.toFixed(1)),
    scanToPrintFirstMs: scans.first.totalMs,
    scanToPrintFirstStagesMs: scans.first,
    scanToPrintLocalP50Ms: scans.p50Ms,
    scanToPrintLocalP99Ms: scans.p99Ms,
    scanToPrintLocalStagesMs: scans.stages,
    scansSeconds: scans.seconds,
    scanPeersCpuSeconds: scans.peersCpuSeconds,
    scanLateCpuSeconds: scans.lateCpuSeconds,
    prerenderSettleSeconds: Number(prerenderSettleSeconds.toFixed(1)),
    scanToPrintRenderedAhead: scans.renderedAhead,
    scanToPrintRenderedAtPrint: scans.renderedAtPrint,
    missingFetchIdleMs: Math.round(idleMs),
    missingFetchBusyMs: Math.round(busyMs),
    missingFetchSamples: { idle: idle.map(Math.round), busy: busy.map(Math.round) },
    missingFetchRatio: Number((busyMs / idleMs).toFixed(3)),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

interface ScanResults {
  /** The station's first redemption since it started, before the LOCAL_REDEMPTIONS measured ones. */
  first: ScanSample;
  p50Ms: number;
  p99Ms: number;
  stages: {
    median: StageTimes;
    slowest: ScanSample;
    slowestFive: ScanSample[];
  };
  seconds: number;
  peersCpuSeconds: number;
  lateCpuSeconds: number;
  renderedAhead: number;
  renderedAtPrint: number;
}
type ScanSample = StageTimes & {
  scan: number;
  totalMs: number;
  renderedAhead: boolean;
  gcMs: number;
  loopDelayMaxMs: number;
};

/**
 * LOCAL_REDEMPTIONS fans scan at the late printer, one after the other, photos it holds; scan →
 * print times with their stages, and the CPU the printers used meanwhile.
 */
async function scanLocal(
  /** Paid orders' codes: the station's first scan, then LOCAL_REDEMPTIONS. */
  tokens: readonly string[],
  late: EdgeProcess,
  latePid: number,
  peerPids: number[],
): Promise<ScanResults> {
  const scan = async (i: number, token: string): Promise<ScanSample> => {
    const before = await stageTotals(late.url);
    const t0 = performance.now();
    const res = await late.redeem(token);
    if (res.status !== 200 || res.body.units?.[0]?.state !== 'printed')
      throw new Error(`redeem failed: ${JSON.stringify(res.body)}`);
    const totalMs = performance.now() - t0;
    const after = await stageTotals(late.url);
    return {
      scan: i,
      totalMs: Math.round(totalMs),
      ...stageDelta(before, after),
      renderedAhead: after.ahead > before.ahead,
      gcMs: Math.round((after.gcSeconds - before.gcSeconds) * 1000),
      loopDelayMaxMs: Math.round(after.loopDelayMaxMs),
    };
  };
  // The station's first redemption since it started pays once for what later ones find ready
  // (modules loaded on first use, code not yet optimised): measured on its own, not in the tail.
  const first = await scan(-1, tokens[0]!);
  const samples: ScanSample[] = [];
  const rendersBefore = await stageTotals(late.url);
  // What following the fans' orders costs the printers that only watch: the orders feed and the
  // scanning printer's claims log reach every one of them.
  const peersCpuBefore = await cpuSecondsOf(peerPids);
  const lateCpuBefore = await processCpuSeconds(latePid);
  const from = clock.now();
  for (let i = 0; i < LOCAL_REDEMPTIONS; i++) samples.push(await scan(i, tokens[i + 1]!));
  const local = samples.map((x) => x.totalMs);
  const seconds = (clock.now() - from) / 1000;
  const peersCpuSeconds = (await cpuSecondsOf(peerPids)) - peersCpuBefore;
  const lateCpuSeconds = (await processCpuSeconds(latePid)) - lateCpuBefore;
  const rendersAfter = await stageTotals(late.url);
  const bySlowest = [...samples].sort((a, b) => b.totalMs - a.totalMs);
  return {
    first,
    p50Ms: Math.round(percentile(local, 50)),
    p99Ms: Math.round(percentile(local, 99)),
    stages: { median: medianStages(samples), slowest: bySlowest[0]!, slowestFive: bySlowest.slice(0, 5) },
    seconds: Number(seconds.toFixed(1)),
    peersCpuSeconds: Number(peersCpuSeconds.toFixed(2)),
    lateCpuSeconds: Number(lateCpuSeconds.toFixed(2)),
    renderedAhead: rendersAfter.ahead - rendersBefore.ahead,
    renderedAtPrint: rendersAfter.atPrint - rendersBefore.atPrint,
  };
}

type StageTimes = Record<'claim' | 'image' | 'print' | 'receipt', number>;
interface StageTotals {
  ms: StageTimes;
  ahead: number;
  atPrint: number;
  /** The node's GC pauses so far, all kinds (s). */
  gcSeconds: number;
  /** The longest event-loop delay since the previous scrape (prom-client resets it per scrape), ms. */
  loopDelayMaxMs: number;
}

/** The node's redemption stage sums (ms) and render counters, from its /metrics. */
async function stageTotals(nodeUrl: string): Promise<StageTotals> {
  const text = await metricsText(nodeUrl);
  const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
  const ms = {} as StageTimes;
  for (const stage of ['claim', 'image', 'print', 'receipt'] as const) {
    ms[stage] = value(new RegExp(`^vpm_edge_redemption_stage_seconds_sum\\{stage="${stage}"\\} (\\S+)$`, 'm')) * 1000;
  }
  let gcSeconds = 0;
  for (const m of text.matchAll(/^nodejs_gc_duration_seconds_sum\{kind="\w+"\} (\S+)$/gm)) gcSeconds += Number(m[1]);
  return {
    ms,
    gcSeconds,
    loopDelayMaxMs: value(/^nodejs_eventloop_lag_max_seconds (\S+)$/m) * 1000,
    ahead: value(/^vpm_edge_prints_rendered_total\{when="ahead"\} (\S+)$/m),
    atPrint: value(/^vpm_edge_prints_rendered_total\{when="at_print"\} (\S+)$/m),
  };
}

async function metricsText(nodeUrl: string): Promise<string> {
  return (await fetch(`${nodeUrl}/metrics`)).text();
}

async function prerenderBacklog(nodeUrl: string): Promise<number> {
  const match = /^vpm_edge_prerender_backlog_photos (\S+)$/m.exec(await metricsText(nodeUrl));
  if (!match) throw new Error('the node does not report vpm_edge_prerender_backlog_photos');
  return Number(match[1]);
}

function stageDelta(before: StageTotals, after: StageTotals): StageTimes {
  const d = {} as StageTimes;
  for (const k of Object.keys(after.ms) as Array<keyof StageTimes>) d[k] = Math.round(after.ms[k] - before.ms[k]);
  return d;
}

function medianStages(all: StageTimes[]): StageTimes {
  const m = {} as StageTimes;
  for (const k of ['claim', 'image', 'print', 'receipt'] as const)
    m[k] = Math.round(
      percentile(
        all.map((s) => s[k]),
        50,
      ),
    );
  return m;
}

/** Redeems one photo the node lacks; the time, or NaN if it turned out to be local already. */
async function timedLanRedeem(
  kit: VenueKit,
  images: readonly SeededPhoto[],
  node: EdgeProcess,
  index: number,
): Promise<number> {
  const { token } = await kit.buyAndPay([{ imageId: images[index]!.id, copies: 1 }]);
  const t0 = performance.now();
  const res = await node.redeem(token);
  const ms = performance.now() - t0;
  const unit = res.body.units?.[0];
  if (unit?.state !== 'printed') throw new Error(`redeem failed: ${JSON.stringify(res.body)}`);
  return unit.source === 'lan' ? ms : Number.NaN;
}

// The baselines replicate in this process: at the daemons' heap factor, like for like with the printers.
growHeapForReplication(REPLICATION_HEAP_GROWING_PERCENT);
const dir = await mkdtemp(join(tmpdir(), 'vpm-bench-mesh-'));
const kit = new VenueKit({ dir });
try {
  await main(kit);
} finally {
  await kit.close();
  await rm(dir, { recursive: true, force: true });
}
