import type { BlockRun, DownloadHandle } from './block-runs.ts';

/** What background replication needs of an event replica (EventReplica; a fake in the parity test). */
export interface SyncReplica {
  readonly eventId: string;
  readonly descriptor: { readonly blobsKey: string; readonly catalogKey: string };
  readonly blobsCore: {
    readonly length: number;
    /** Blocks [0, contiguousLength) are all held (Hypercore's own count): no need to ask about them. */
    readonly contiguousLength?: number;
    has(block: number): Promise<boolean>;
    /** Blocks [start, end) (block-runs.ts: never a block list). */
    download(range: BlockRun): DownloadHandle;
  };
  readonly catalog: { readonly core: { readonly contiguousLength: number } };
  readonly have: { holders(seq: number): number };
  /**
   * The cloud lane (cloud-lane.ts): `fetchFromCloud` asks the cloud for blocks the main core takes as
   * they arrive, so LAN fetches may run at the same time. Without it the cloud attaches to the main
   * core, and the LAN phase waits until the cloud phase has hung up.
   */
  readonly hasCloudLane?: boolean;
  fetchFromCloud?(range: BlockRun): DownloadHandle;
  releaseCloudCopies?(blocks: Iterable<number>): Promise<void>;
  /** Says the lane core's length to the main core again if it has not heard it (length-announcements.ts). */
  repeatLaneLength?(): boolean;
  /** Says the main core's length again to LAN peers that have not acknowledged it (length-announcements.ts). */
  repeatLengthToLanPeers?(): number;
  cloudLanePeers?(): unknown;
  /** Diagnostics: the main blobs core's peers as it sees them. */
  mainCorePeers?(): unknown;
  updateCatalog(): Promise<void>;
  entries(): Promise<SyncEntry[]>;
  holds(entry: SyncEntry): Promise<boolean>;
  announceHoldings(): Promise<unknown>;
}

export interface SyncEntry {
  seq: number;
  blob: { blockOffset: number; blockLength: number };
}
