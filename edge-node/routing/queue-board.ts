/**
 * The LAN side of fan routing: every station tells its venue peers its queue (shared/protocol/
 * station-queue.ts) over a Hypercore extension on each event's catalog core (the cores every
 * printer of the venue replicates with every other, as the have-lists do), on change, at least every
 * QUEUE_HEARTBEAT_MS, and to each peer that connects. Peers' figures older than QUEUE_STALE_MS (by
 * this node's clock, from when they arrived) are dropped: a station that went quiet is not offered.
 */
import type Hypercore from 'hypercore';
import type { Clock } from '../../shared/ports/clock.ts';
import { type StationQueueReport, stationQueueSchema } from '../../shared/protocol/station-queue.ts';
import { type JsonExtension, type RemotePeer, registerJsonExtension } from '../mesh/json-extension.ts';

export const QUEUE_EXTENSION = 'vpm/queue/v1';
/** Sent again unchanged this often, so a peer's "fresh" view survives a quiet station. */
export const QUEUE_HEARTBEAT_MS = 5_000;
/** A peer's queue is forgotten this long after its last message. */
export const QUEUE_STALE_MS = 20_000;

export class QueueBoard {
  readonly #clock: Clock;
  readonly #peers = new Map<string, { queue: StationQueueReport; receivedAt: number }>();
  /** Each core's extension, and its detach. */
  readonly #extensions = new Map<JsonExtension, () => void>();
  #mine: StationQueueReport | null = null;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #lastSent = '';
  #rejected = 0;
  #closed = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * Talks queues on this core's replication streams too, until the core closes (an event's replica
   * closed, its event ended) or the returned detach is called.
   */
  attach(core: Hypercore): () => void {
    if (this.#closed) return () => {};
    const extension = registerJsonExtension(core, QUEUE_EXTENSION, (message, peer) => this.#receive(message, peer));
    const onPeer = (peer: unknown) => {
      if (this.#mine) extension.send(this.#mine, peer);
    };
    const detach = () => {
      core.off('peer-add', onPeer);
      core.off('close', detach);
      if (this.#extensions.delete(extension)) extension.destroy();
    };
    this.#extensions.set(extension, detach);
    core.on('peer-add', onPeer);
    core.on('close', detach);
    return detach;
  }

  /** Cores the queues travel on: one per event whose catalog is open here. */
  get attachedCores(): number {
    return this.#extensions.size;
  }

  /** Tells the peers this station's queue, if it changed or the heartbeat is due. */
  publish(queue: StationQueueReport): void {
    if (this.#closed) return;
    this.#mine = queue;
    const { at: _at, ...figures } = queue;
    const digest = JSON.stringify(figures);
    const now = this.#clock.now();
    if (digest === this.#lastSent && now - this.#lastSentAt < QUEUE_HEARTBEAT_MS) return;
    this.#lastSent = digest;
    this.#lastSentAt = now;
    for (const ext of this.#extensions.keys()) ext.broadcast(queue);
  }

  /** The peers' queues heard within QUEUE_STALE_MS. */
  peers(): StationQueueReport[] {
    const now = this.#clock.now();
    const out: StationQueueReport[] = [];
    for (const [key, { queue, receivedAt }] of this.#peers) {
      if (now - receivedAt > QUEUE_STALE_MS) this.#peers.delete(key);
      else out.push(queue);
    }
    return out;
  }

  /** Messages ignored: malformed, over the bounds, or claiming another station's id. */
  get rejectedMessages(): number {
    return this.#rejected;
  }

  close(): void {
    this.#closed = true;
    for (const detach of [...this.#extensions.values()]) detach();
    this.#peers.clear();
  }

  #receive(message: unknown, peer: RemotePeer): void {
    const key = peer.remotePublicKey?.toString('hex');
    const parsed = stationQueueSchema.safeParse(message);
    // A station speaks for itself only: its id is the key it connected with.
    if (!key || !parsed.success || parsed.data.id !== key) {
      this.#rejected++;
      return;
    }
    this.#peers.set(key, { queue: parsed.data, receivedAt: this.#clock.now() });
  }
}
