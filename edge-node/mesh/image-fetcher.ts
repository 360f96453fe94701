import { AppError } from '../../shared/errors.ts';
import type { CatalogEntry } from '../../shared/feed/feed-layout.ts';
import {
  chooseSource,
  DEFAULT_SOURCE_CONFIG,
  ON_DEMAND_TIMEOUT_MS,
  type SourceConfig,
} from '../../shared/policy/source-choice.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { EventReplica } from './event-replica.ts';
import type { Detour } from './photo-detours.ts';
import type { CloudSessions, PriorityGate } from './traffic.ts';
import type { VenueMesh } from './venue-mesh.ts';

const PROGRESS_POLL_MS = 50;

export type FetchSource = 'local' | 'lan' | 'cloud';

export interface ImageFetcherOptions {
  mesh: VenueMesh;
  cloud: CloudSessions;
  gate: PriorityGate;
  clock: Clock;
  /** No LAN progress for this long at redemption: the cloud is asked too (default: the shared policy's). */
  onDemandLanDeadlineMs?: number;
}

/**
 * On-demand fetch at redemption: top priority (background sync pauses), LAN first, the cloud only
 * when no LAN peer delivers within the on-demand deadline (shared/policy/source-choice.ts), and a
 * hard timeout so a stalled peer never stalls a print. What arrives is checked against the
 * catalog's sha256 before it is handed to the printer.
 */
export class ImageFetcher {
  readonly #o: ImageFetcherOptions;

  readonly #sourceConfig: SourceConfig;

  constructor(opts: ImageFetcherOptions) {
    this.#o = opts;
    this.#sourceConfig = {
      ...DEFAULT_SOURCE_CONFIG,
      onDemandLanDeadlineMs: opts.onDemandLanDeadlineMs ?? DEFAULT_SOURCE_CONFIG.onDemandLanDeadlineMs,
    };
  }

  async fetch(
    replica: EventReplica,
    entry: CatalogEntry,
    opts: { signal?: AbortSignal; onSource?: (source: FetchSource) => void; timeoutMs?: number } = {},
  ): Promise<{ bytes: Buffer; source: FetchSource }> {
    const local = await replica.readLocal(entry);
    if (local) {
      opts.onSource?.('local');
      return { bytes: local, source: 'local' };
    }
    const { mesh, cloud, gate, clock } = this.#o;
    const leave = gate.enterOnDemand();
    const started = clock.now();
    const { blockOffset, blockLength } = entry.blob;
    const range = replica.blobsCore.download({ start: blockOffset, end: blockOffset + blockLength });
    let cloudSession: { release: () => void } | null = null;
    let cloudRange: { destroy(): void } | null = null;
    let source: FetchSource = 'lan';
    opts.onSource?.('lan');
    const useCloud = () => {
      if (source === 'cloud') return;
      source = 'cloud';
      opts.onSource?.('cloud');
    };
    // The cloud seeder may already be connected (another fetch, the catalog): its blocks count as
    // the cloud's whatever this fetch decided, so the fan's screen and the report say where they came from.
    const stopWatching = replica.onBlockDownload((index, from) => {
      if (from === 'cloud' && index >= blockOffset && index < blockOffset + blockLength) useCloud();
    });
    let lastMissing = blockLength + 1;
    let lastProgressAt = started;
    // At a large venue a photo no overlay neighbour holds is asked of a printer that does: each poll
    // until one is known (a holder announces a photo within a second of having it), and of others when the
    // ones asked decline or go, until the cloud is asked.
    let detour: Detour | null = null;
    const declined = new Set<string>();
    try {
      for (;;) {
        if (opts.signal?.aborted) throw new AppError('fetch_aborted', 'The fetch was cancelled.');
        const missing = (await replica.missingBlocks(entry)).length;
        if (missing === 0) break;
        if (detour?.ended) {
          for (const remote of detour.remotes) declined.add(remote);
          detour.close();
          detour = null;
        }
        if (!cloudSession) detour ??= replica.openDetour(entry, declined);
        const now = clock.now();
        if (missing < lastMissing) {
          lastMissing = missing;
          lastProgressAt = now;
        }
        if (now - started > (opts.timeoutMs ?? ON_DEMAND_TIMEOUT_MS)) {
          throw new AppError(
            'image_unavailable',
            'The photo could not be fetched from any printer or the cloud in time.',
          );
        }
        if (!cloudSession) {
          // Blocks arriving from the LAN count as a LAN holder; a stall does not.
          const lanProgressing =
            source === 'lan' && now - lastProgressAt < PROGRESS_POLL_MS * 10 && lastMissing <= blockLength;
          const decision = chooseSource(
            {
              priority: 'on_demand',
              lanHolders: lanProgressing ? 1 : 0,
              lanPeersConnected: mesh.lanPeers().length,
              ownedByMe: false,
              waitedMs: now - lastProgressAt,
              cloudReachable: true,
            },
            this.#sourceConfig,
          );
          if (decision.source === 'cloud') {
            const session = await cloud.acquire();
            cloudSession = session;
            // Through the cloud lane: the main core's range above takes the blocks as the lane gets them.
            if (replica.hasCloudLane)
              cloudRange = replica.fetchFromCloud({ start: blockOffset, end: blockOffset + blockLength });
            useCloud();
          }
        }
        const poll = new AbortController();
        await Promise.race([range.done().catch(() => {}), clock.sleep(PROGRESS_POLL_MS, poll.signal).catch(() => {})]);
        poll.abort();
      }
      const bytes = await replica.readLocal(entry);
      if (!bytes) {
        throw new AppError('image_corrupt', 'The photo arrived but does not match its checksum; it was not printed.');
      }
      replica.have.announceAlso(entry.seq);
      return { bytes, source };
    } finally {
      detour?.close();
      stopWatching();
      range.destroy();
      cloudRange?.destroy();
      cloudSession?.release();
      leave();
      if (cloudRange) {
        // The lane's copies are dropped in the background; a lane closing meanwhile starts empty next time.
        const blocks = Array.from({ length: blockLength }, (_, i) => blockOffset + i);
        replica.releaseCloudCopies(blocks).catch(() => {});
      }
    }
  }
}
