import type { CloudSessions } from './traffic.ts';
import type { MeshLogger } from './venue-mesh.ts';

/**
 * The owner of an event's catalog (one printer per venue, by the same rendezvous hashing as the
 * shares) keeps its cloud connection open while it syncs, so the venue hears of a new photo the
 * moment the coordinator appends it: the seeder tells the lane, the lane the main core, the main
 * core its LAN peers, and each of them wakes ('append' → wake('grew')). With every printer hung up
 * between bursts, the first photo of a burst waited for a profile refresh (up to
 * `reportIntervalMs`, 10 s): a burst uploaded in 10 s was all on the feed before most printers
 * started on it (validation-8's first batch: 1.8–8.5 × its bound). Only through a cloud lane: the
 * seeder must never sit on the main store (cloud-once); the replicator decides when to watch.
 * The dial runs in the background: with the WAN down a sync cycle must not wait for it (the next
 * cycle asks again).
 */
export class FeedWatch {
  readonly #cloud: Pick<CloudSessions, 'acquire'>;
  readonly #logger: MeshLogger;
  /** The cloud connection kept open while this printer watches. */
  #session: { release: () => void } | null = null;
  /** Its dial, under way in the background. */
  #dial: Promise<void> | null = null;
  #wanted = false;
  #closed = false;

  constructor(cloud: Pick<CloudSessions, 'acquire'>, logger: MeshLogger) {
    this.#cloud = cloud;
    this.#logger = logger;
  }

  /** Watch (dialling if need be) or stop watching; a no-op once closed. */
  keep(want: boolean): void {
    if (!want || this.#closed) {
      this.drop();
      return;
    }
    this.#wanted = true;
    if (this.#session || this.#dial) return;
    this.#dial = (async () => {
      const session = await this.#cloud.acquire();
      if (session.connected && this.#wanted && !this.#closed) this.#session = session;
      else session.release();
    })()
      .catch((err: unknown) => this.#logger.warn({ err }, 'could not dial the cloud to watch the feeds'))
      .finally(() => {
        this.#dial = null;
      });
  }

  /** Releases the connection (the cloud sessions hang it up once nobody else uses it). */
  drop(): void {
    this.#wanted = false;
    this.#session?.release();
    this.#session = null;
  }

  /** Stops watching for good; resolves once a dial under way has ended (and released what it got). */
  async close(): Promise<void> {
    this.#closed = true;
    this.drop();
    await this.#dial;
  }
}
