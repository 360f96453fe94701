import type Hypercore from 'hypercore';
import { type Clock, systemClock, type Timer } from '../../shared/ports/clock.ts';
import { type JsonExtension, registerJsonExtension } from './json-extension.ts';

/** Bounds what a peer may tell us: a venue event holds tens of thousands of images, not millions. */
export const MAX_HAVE_RANGES = 10_000;
/**
 * Photos that become whole here in the background are told to the peers at most this often: the
 * catalog stays on the full mesh, so each have-list goes to every printer of the venue, and a
 * photographer's burst lands a photo every second or two at every printer.
 */
export const HAVE_ARRIVALS_GAP_MS = 1_000;
const EXTENSION = 'vpm/have/v1';

interface HaveMessage {
  /** Whole images held, as [firstSeq, count] runs. */
  held: Array<[number, number]>;
}

/**
 * Who on the LAN holds which images of one event, learnt from the peers themselves: each printer
 * announces the images it holds whole over a Hypercore extension on the event's catalog core, on
 * change and to every peer that connects. Hypercore only learns remote bitfields lazily, so this is
 * what rarest-first ordering of background fetches counts on.
 */
export class HaveMap {
  readonly #core: Hypercore;
  readonly #clock: Clock;
  readonly #peers = new Map<string, Array<[number, number]>>();
  readonly #extension: JsonExtension;
  #mine: HaveMessage = { held: [] };
  readonly #listeners = new Set<() => void>();
  #rejected = 0;
  /** When this printer's have-list last went out (clock ms; -Infinity: never). */
  #sentAt = Number.NEGATIVE_INFINITY;
  /** Arrivals held back by HAVE_ARRIVALS_GAP_MS go out when this fires. */
  #deferred: Timer | null = null;
  #closed = false;
  readonly #onPeerAdd = (peer: unknown): void => {
    if (!this.#closed && this.#mine.held.length > 0) this.#extension.send(this.#mine, peer);
  };
  readonly #onPeerRemove = (peer: { remotePublicKey?: Buffer }): void => {
    const key = peer.remotePublicKey?.toString('hex');
    if (key) this.#peers.delete(key);
  };

  constructor(core: Hypercore, opts: { clock?: Clock } = {}) {
    this.#core = core;
    this.#clock = opts.clock ?? systemClock;
    this.#extension = registerJsonExtension(core, EXTENSION, (message, peer) => {
      const key = peer.remotePublicKey?.toString('hex');
      const held = parse(message);
      if (key && held) {
        this.#peers.set(key, held);
        for (const listener of this.#listeners) listener();
      } else this.#rejected++;
    });
    core.on('peer-add', this.#onPeerAdd);
    core.on('peer-remove', this.#onPeerRemove);
  }

  /**
   * Tells the peers which images this printer holds whole, from a holdings scan (only if that adds
   * any). What was announced stays announced: an image whole here stays whole while the replica is
   * open (an ended event's blocks are cleared after it closes, ended-feeds.ts), and a scan may have
   * passed an image just before its last block landed and its arrival was announced.
   */
  announce(heldSeqs: readonly number[]): void {
    const held = mergeRuns([...this.#mine.held, ...toRuns(heldSeqs)]);
    if (JSON.stringify(held) === JSON.stringify(this.#mine.held)) return;
    this.#mine = { held };
    this.#broadcast();
  }

  /**
   * Tells the peers this printer now also holds image `seq` (a fan's photo it just fetched), without
   * waiting for the next holdings scan: a fan at a printer off this one's photo overlay may want it
   * next (photo-detours.ts).
   */
  announceAlso(seq: number): void {
    // Its last block may have landed a moment ago and its arrival been held back for the gap.
    if (this.#add(seq) || this.#deferred) this.#broadcast();
  }

  /**
   * Image `seq` became whole here in the background (photo-arrivals.ts): told to the peers at once,
   * or with the next arrivals once HAVE_ARRIVALS_GAP_MS has passed since the last have-list, rather
   * than when the sync cycle's part for the event ends, which may be many photos later. A peer's fan
   * and its planner count holders from these lists (image-fetcher.ts, missing-pieces.ts).
   */
  announceArrival(seq: number): void {
    if (this.#closed || !this.#add(seq) || this.#deferred) return;
    // Capped: a wall clock set back must not hold arrivals for as long as it went back.
    const wait = Math.min(HAVE_ARRIVALS_GAP_MS, this.#sentAt + HAVE_ARRIVALS_GAP_MS - this.#clock.now());
    if (wait <= 0) this.#broadcast();
    else this.#deferred = this.#clock.setTimeout(() => this.#broadcast(), wait).unref();
  }

  /** Adds image `seq` to this printer's list; false if it was there already. */
  #add(seq: number): boolean {
    if (seq < 0 || inRuns(this.#mine.held, seq)) return false;
    this.#mine = { held: mergeRuns([...this.#mine.held, [seq, 1]]) };
    return true;
  }

  #broadcast(): void {
    this.#deferred?.cancel();
    this.#deferred = null;
    // A photo's last block may land while its replica closes.
    if (this.#closed) return;
    this.#sentAt = this.#clock.now();
    this.#extension.broadcast(this.#mine);
  }

  /**
   * Calls `listener` whenever a peer announces what it holds (it got new images): a printer that
   * gave up on blocks nobody had syncs again at once instead of at the next tick. Returns the unsubscribe.
   */
  onAnnouncement(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Connected LAN peers known to hold image `seq` whole. */
  holders(seq: number): number {
    let n = 0;
    for (const runs of this.#peers.values()) if (inRuns(runs, seq)) n++;
    return n;
  }

  /** The keys (hex) of the connected LAN peers known to hold image `seq` whole. */
  holderKeys(seq: number): string[] {
    const keys: string[] = [];
    for (const [key, runs] of this.#peers) if (inRuns(runs, seq)) keys.push(key);
    return keys;
  }

  get knownPeers(): number {
    return this.#peers.size;
  }

  /** Messages ignored because they were malformed or over the bounds (a buggy or hostile peer). */
  get rejectedMessages(): number {
    return this.#rejected;
  }

  close(): void {
    this.#closed = true;
    this.#deferred?.cancel();
    this.#deferred = null;
    this.#listeners.clear();
    this.#extension.destroy();
    this.#core.off('peer-add', this.#onPeerAdd);
    this.#core.off('peer-remove', this.#onPeerRemove);
  }
}

function toRuns(seqs: readonly number[]): Array<[number, number]> {
  return mergeRuns(seqs.map((s) => [s, 1]));
}

function inRuns(runs: ReadonlyArray<readonly [number, number]>, seq: number): boolean {
  return runs.some(([first, count]) => seq >= first && seq < first + count);
}

/** Runs sorted and merged where they touch or overlap. */
function mergeRuns(runs: Array<[number, number]>): Array<[number, number]> {
  const merged: Array<[number, number]> = [];
  for (const [first, count] of [...runs].sort((a, b) => a[0] - b[0])) {
    const last = merged.at(-1);
    if (last && first <= last[0] + last[1]) last[1] = Math.max(last[1], first + count - last[0]);
    else merged.push([first, count]);
  }
  return merged;
}

/** A peer's message, or null if it is not a well-formed, bounded have-list. */
function parse(message: unknown): Array<[number, number]> | null {
  const held = (message as HaveMessage | null)?.held;
  if (!Array.isArray(held) || held.length > MAX_HAVE_RANGES) return null;
  for (const run of held) {
    if (!Array.isArray(run) || run.length !== 2 || !run.every((x) => Number.isSafeInteger(x) && x >= 0)) return null;
  }
  return held as Array<[number, number]>;
}
