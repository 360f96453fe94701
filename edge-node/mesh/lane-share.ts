/**
 * A printer's own share through its cloud lane (cloud-lane.ts): the lane fetches the blocks from the
 * cloud seeder while the main core takes each one from the lane as it lands and serves it on to the
 * LAN peers asking for it (their `ownerFetching`). Hypercore cannot aim a request at one peer, so the
 * main core never sees the seeder; the lane is the only way the cloud's blocks reach it.
 */
import type { Clock } from '../../shared/ports/clock.ts';
import type { BackgroundBatches } from './background-batches.ts';
import { type BlockRun, type DownloadHandle, downloadBlocks } from './block-runs.ts';
import type { MeshLogger } from './venue-mesh.ts';

/** A cloud batch is given up for this cycle (and the cloud hung up on) after this long without cloud bytes. */
export const CLOUD_BATCH_STALL_MS = 20_000;
/** Blocks the cloud lane holds reach the main core in-process; waiting longer than this means they never came. */
export const LANE_HANDOFF_MS = 5_000;

/** What this needs of an event replica (EventReplica; the replicator's SyncReplica has it all). */
export interface LaneReplica {
  readonly eventId: string;
  readonly blobsCore: {
    readonly length: number;
    readonly contiguousLength?: number;
    has(block: number): Promise<boolean>;
    download(range: BlockRun): DownloadHandle;
  };
  fetchFromCloud?(range: BlockRun): DownloadHandle;
  releaseCloudCopies?(blocks: Iterable<number>): Promise<void>;
  /** Says the lane core's length to the main core again if it has not heard it (length-announcements.ts). */
  repeatLaneLength?(): boolean;
  /** Says the main core's length again to LAN peers that have not acknowledged it (length-announcements.ts). */
  repeatLengthToLanPeers?(): number;
  cloudLanePeers?(): unknown;
  mainCorePeers?(): unknown;
}

export interface LaneShareDeps {
  batches: BackgroundBatches;
  clock: Clock;
  logger: MeshLogger;
  /** Diagnostics for the stall warning: the cloud connections as they stand. */
  cloudConnections?: () => unknown;
  /** Aborted when the replicator closes: the hand-off wait ends with it. */
  signal?: AbortSignal;
}

export interface LaneShareResult {
  /** The lane received every block (false: the cloud session went silent for CLOUD_BATCH_STALL_MS). */
  complete: boolean;
  /** The main core took every block from the lane within LANE_HANDOFF_MS. */
  handedOff: boolean;
}

/** Fetches `blocks` through the lane and hands them to the main core; the lane then forgets them. */
export async function fetchShareThroughLane(
  deps: LaneShareDeps,
  replica: LaneReplica,
  blocks: number[],
): Promise<LaneShareResult> {
  const fetchFromCloud = replica.fetchFromCloud;
  if (!fetchFromCloud) throw new TypeError('fetchShareThroughLane needs a replica with a cloud lane');
  // Asked of the main core first, so it takes each block from the lane the moment the lane has it.
  const handoff = downloadBlocks((run) => replica.blobsCore.download(run), blocks);
  const startedAt = deps.clock.now();
  try {
    const complete = await deps.batches.fetch(blocks, CLOUD_BATCH_STALL_MS, 'cloud', (batch) =>
      downloadBlocks((run) => fetchFromCloud.call(replica, run), batch),
    );
    const laneDoneAt = deps.clock.now();
    // The lane grew while fetching; Hypercore may have lost the message that tells the main core.
    const lengthRepeated = complete && (replica.repeatLaneLength?.() ?? false);
    if (!complete) {
      deps.logger.warn(
        {
          eventId: replica.eventId,
          blocks: blocks.length,
          stallMs: CLOUD_BATCH_STALL_MS,
          lane: replica.cloudLanePeers?.(),
          cloud: deps.cloudConnections?.(),
          main: mainView(replica),
        },
        'the cloud delivered nothing for a while: hanging up, the next cycle dials again',
      );
    }
    const stop = new AbortController();
    const handedOff = await Promise.race([
      handoff.done().then(
        () => true,
        () => false,
      ),
      deps.clock.sleep(LANE_HANDOFF_MS, deps.signal ? AbortSignal.any([stop.signal, deps.signal]) : stop.signal).then(
        () => false,
        () => false,
      ),
    ]);
    stop.abort();
    // The share is here and LAN peers want it: make sure each has heard how long our core is now.
    const lanPeersTold = handedOff ? (replica.repeatLengthToLanPeers?.() ?? 0) : 0;
    deps.logger.debug?.(
      {
        eventId: replica.eventId,
        blocks: blocks.length,
        complete,
        handedOff,
        lengthRepeated,
        lanPeersTold,
        laneMs: laneDoneAt - startedAt,
        handoffMs: deps.clock.now() - laneDoneAt,
      },
      'cloud share through the lane',
    );
    if (complete && !handedOff) {
      // The known cause (a lost length announcement) is repaired above; should another appear,
      // say what both cores see.
      let notInMain = 0;
      for (const b of blocks) if (!(await replica.blobsCore.has(b))) notInMain++;
      deps.logger.warn(
        {
          eventId: replica.eventId,
          blocks: blocks.length,
          notInMain,
          waitedMs: LANE_HANDOFF_MS,
          lengthRepeated,
          lane: replica.cloudLanePeers?.(),
          main: { ...mainView(replica), peers: replica.mainCorePeers?.() },
        },
        'the cloud share reached the cloud lane but not the main core in time: the next cycle asks again at once',
      );
    }
    return { complete, handedOff };
  } finally {
    handoff.destroy();
    await replica.releaseCloudCopies?.(blocks);
  }
}

function mainView(replica: LaneReplica): { length: number; contiguous: number | undefined } {
  return { length: replica.blobsCore.length, contiguous: replica.blobsCore.contiguousLength };
}
