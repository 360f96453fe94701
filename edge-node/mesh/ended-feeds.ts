import { readFile } from 'node:fs/promises';
import type Corestore from 'corestore';
import type { Logger } from 'pino';
import type { EventFeedDescriptor } from '../../shared/feed/feed-layout.ts';
import { writeAtomically } from '../../shared/fs/write-atomically.ts';

/** Ended feeds remembered as reclaimed (one line each in the file); older ones are forgotten first. */
const MAX_REMEMBERED = 1_000;

/**
 * Printing at the venue is over for an event (the coordinator lists it in the profile's
 * `endedFeeds`): the printer closes its replica and clears every block of the event's cores from its
 * corestore, once (remembered in `reclaimed-feeds.json`, so a restart does not open them again).
 */
export class EndedFeeds {
  readonly #corestore: Corestore;
  readonly #file: string;
  readonly #logger: Logger | undefined;
  #done: string[] | null = null;

  constructor(opts: { corestore: Corestore; file: string; logger?: Logger }) {
    this.#corestore = opts.corestore;
    this.#file = opts.file;
    this.#logger = opts.logger;
  }

  async #load(): Promise<string[]> {
    if (this.#done) return this.#done;
    try {
      const parsed = JSON.parse(await readFile(this.#file, 'utf8')) as unknown;
      this.#done = Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
      this.#done = [];
    }
    return this.#done;
  }

  /**
   * Reclaims the feeds not reclaimed yet; `closeReplica` is called first for each (the runtime closes
   * an open replica). Returns the event ids reclaimed now, with the blocks cleared.
   */
  async reclaim(
    feeds: readonly EventFeedDescriptor[],
    closeReplica: (eventId: string) => Promise<void>,
  ): Promise<Array<{ eventId: string; blocks: number }>> {
    const done = await this.#load();
    const out: Array<{ eventId: string; blocks: number }> = [];
    for (const feed of feeds) {
      if (done.includes(feed.eventId)) continue;
      await closeReplica(feed.eventId);
      const encryption = { key: Buffer.from(feed.encryptionKey, 'hex') };
      let blocks = 0;
      for (const key of [feed.blobsKey, feed.catalogKey]) {
        const core = this.#corestore.get({ key: Buffer.from(key, 'hex'), encryption });
        try {
          await core.ready();
          const held = core.contiguousLength;
          if (core.length > 0) await core.clear(0, core.length);
          blocks += held;
        } finally {
          await core.close();
        }
      }
      done.push(feed.eventId);
      if (done.length > MAX_REMEMBERED) done.splice(0, done.length - MAX_REMEMBERED);
      await writeAtomically(this.#file, JSON.stringify(done));
      this.#logger?.info({ eventId: feed.eventId, blocks }, 'event ended: its feed is closed and its space freed');
      out.push({ eventId: feed.eventId, blocks });
    }
    return out;
  }
}
