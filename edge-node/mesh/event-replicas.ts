import type Corestore from 'corestore';
import type { Logger } from 'pino';
import { AppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { PrinterProfile, ProfileFeed, RedeemJob } from '../../shared/protocol/printer-api.ts';
import type { QueueBoard } from '../routing/queue-board.ts';
import type { NodeMetrics } from '../status/node-metrics.ts';
import type { StorageHealth } from '../status/storage-health.ts';
import type { BackgroundReplicator } from './background-replicator.ts';
import type { CloudLane } from './cloud-lane.ts';
import { EndedFeeds } from './ended-feeds.ts';
import { EventReplica } from './event-replica.ts';
import type { PriorityGate } from './traffic.ts';
import type { VenueMesh } from './venue-mesh.ts';

export interface EventReplicasOptions {
  corestore: Corestore;
  lane: CloudLane;
  mesh: Pick<VenueMesh, 'isCloudKey' | 'block' | 'overlay' | 'detours'>;
  gate: Pick<PriorityGate, 'onDemandActive'>;
  /** Queues travel on the catalog cores every venue printer replicates with every other. */
  queues: Pick<QueueBoard, 'attach'>;
  metrics: Pick<NodeMetrics, 'countBytes' | 'photoArrivalSeconds'>;
  storage: Pick<StorageHealth, 'report'>;
  clock: Clock;
  logger: Logger;
  /** Where the ended feeds reclaimed here are remembered (EndedFeeds). */
  endedFile: string;
  /** Background sync, once it exists: it hears of replicated bytes and of new blocks to fetch. */
  replicator: () => Pick<BackgroundReplicator, 'noteProgress' | 'wake'> | null;
}

/**
 * The event replicas open on one opening of the storage (node-runtime.ts), by event id: each opened
 * once, for its feed in the profile or for a redemption, and closed when its event's printing is over
 * (its feed is then cleared once, issue #15) or when the runtime closes.
 */
export class EventReplicas {
  readonly #o: EventReplicasOptions;
  readonly #replicas = new Map<string, EventReplica>();
  /**
   * Replicas being opened, by event id: the profile and a fan's redemption may both open one event
   * at once, and the second must get the first's replica, not a second one left open beside it.
   */
  readonly #opening = new Map<string, Promise<EventReplica>>();
  #closing = false;
  /** Feeds of events whose printing is over: closed and cleared once (issue #15). */
  readonly #ended: EndedFeeds;

  constructor(opts: EventReplicasOptions) {
    this.#o = opts;
    this.#ended = new EndedFeeds({ corestore: opts.corestore, file: opts.endedFile, logger: opts.logger });
  }

  get size(): number {
    return this.#replicas.size;
  }

  all(): EventReplica[] {
    return [...this.#replicas.values()];
  }

  get(eventId: string): EventReplica | undefined {
    return this.#replicas.get(eventId);
  }

  /** Opens the profile's feeds, then closes and clears those of ended events. */
  async follow(profile: PrinterProfile): Promise<void> {
    for (const feed of profile.feeds) await this.open(feed);
    await this.#reclaimEnded(profile);
  }

  /** The event's replica: open already, or opened from a redemption's job (null: no job to open it from). */
  async forRedemption(eventId: string, job?: RedeemJob): Promise<EventReplica | null> {
    if (this.#closing) throw shuttingDown();
    const existing = this.#replicas.get(eventId);
    if (existing) return existing;
    if (job) return this.open(job.feed);
    return null;
  }

  async open(feed: ProfileFeed | RedeemJob['feed']): Promise<EventReplica> {
    if (this.#closing) throw shuttingDown();
    const existing = this.#replicas.get(feed.eventId);
    if (existing) return existing;
    let opening = this.#opening.get(feed.eventId);
    if (!opening) {
      opening = this.#open(feed).finally(() => this.#opening.delete(feed.eventId));
      this.#opening.set(feed.eventId, opening);
    }
    return opening;
  }

  async #open(feed: ProfileFeed | RedeemJob['feed']): Promise<EventReplica> {
    const { metrics, clock, storage, mesh, replicator } = this.#o;
    const replica = new EventReplica(
      this.#o.corestore,
      {
        eventId: feed.eventId,
        blobsKey: feed.blobsKey,
        catalogKey: feed.catalogKey,
        encryptionKey: feed.encryptionKey,
      },
      {
        onBytes: (source, bytes) => {
          metrics.countBytes(source, bytes);
          if (source !== 'served') replicator()?.noteProgress(clock.now(), source);
        },
        isCloud: (key) => mesh.isCloudKey(key),
        onBadPeer: (key, reason) => mesh.block(key, reason),
        overlay: mesh.overlay,
        detours: mesh.detours,
        onStorageError: (err) => storage.report(err),
        clock,
        lane: this.#o.lane,
        // The coordinator's clock and ours differ by their skew: a negative lag is that, not time travel.
        onArrival: (a) => {
          metrics.photoArrivalSeconds.observe(Math.max(0, a.wholeAt - a.registeredAt) / 1000);
          this.#o.logger.debug({ seq: a.seq, afterRegistrationMs: a.wholeAt - a.registeredAt }, 'photo printable here');
        },
        onArrivalError: (err) => this.#o.logger.warn({ err }, 'could not tell when a photo arrived here'),
        raceDuplicates: () => this.#o.gate.onDemandActive > 0,
      },
    );
    // The board lets go of the catalog when it closes, with the replica.
    this.#o.queues.attach(replica.catalog.core);
    try {
      await replica.ready();
      // The runtime began closing while this one opened: its opener gets `shutting_down`, not a
      // replica about to close under it.
      if (this.#closing) throw shuttingDown();
    } catch (err) {
      await replica.close().catch(() => {});
      throw err;
    }
    this.#replicas.set(feed.eventId, replica);
    // Live replication: the feed grew (the cloud or a peer announced new blocks) → sync now.
    replica.onGrowth(() => replicator()?.wake('grew'));
    // A peer has new photos: what this printer could not get from anyone may be there now.
    replica.have.onAnnouncement(() => replicator()?.wake('holdings'));
    return replica;
  }

  /** Closes every replica, those still opening included (their openers get `shutting_down`). */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled(this.#opening.values());
    await Promise.allSettled([...this.#replicas.values()].map((r) => r.close()));
    this.#replicas.clear();
  }

  async #reclaimEnded(profile: PrinterProfile): Promise<void> {
    if (!profile.endedFeeds?.length) return;
    await this.#ended.reclaim(profile.endedFeeds, async (eventId) => {
      // A replica still opening is waited for (its failure is its opener's to report), so that it is
      // closed here rather than added to the map after its cores are cleared.
      await this.#opening.get(eventId)?.catch(() => {});
      const replica = this.#replicas.get(eventId);
      this.#replicas.delete(eventId);
      await replica?.close();
    });
  }
}

function shuttingDown(): AppError {
  return new AppError('shutting_down', 'The printer is shutting down; the event opens again when it restarts.');
}
