import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import { AppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { clientKeyOf } from './client-key.ts';

/**
 * Server-Sent Events for the fan pages. A stream is bounded in time (the browser's EventSource
 * reconnects by itself, resuming with Last-Event-ID), carries a heartbeat so proxies keep it open
 * and the page can tell a stalled stream from a quiet one, and releases everything the moment
 * the fan's connection goes away.
 */

/** Named events, not comments: the page's watchdog only sees events. */
export const SSE_HEARTBEAT_MS = 15_000;
/** Then the stream ends and the browser reconnects: spreads fans across instances after a deploy. */
export const SSE_MAX_STREAM_MS = 10 * 60_000;
/** What the browser waits before reconnecting. */
export const SSE_RETRY_MS = 3_000;
/** Open streams per coordinator process; beyond it fans fall back to polling the JSON routes. */
export const MAX_OPEN_STREAMS = 5_000;
/**
 * Open streams per client address (IPv6: per /64), so one client cannot take them all. Generous:
 * a venue's guest Wi-Fi puts many fans behind one address; past it they poll the JSON routes.
 */
export const MAX_STREAMS_PER_CLIENT = 200;

export interface EventStream {
  send(event: string, data: unknown, id?: string): void;
  /** Runs once, when the stream ends for any reason (fan gone, time limit, close()). */
  onClose(fn: () => void): void;
  close(): void;
  readonly closed: boolean;
}

export class StreamLimiter {
  #open = 0;
  readonly #max: number;
  readonly #maxPerClient: number;
  readonly #perClient = new Map<string, number>();
  constructor(max = MAX_OPEN_STREAMS, maxPerClient = MAX_STREAMS_PER_CLIENT) {
    this.#max = max;
    this.#maxPerClient = maxPerClient;
  }
  get open(): number {
    return this.#open;
  }
  /** Throws 503 when full (overall or for this client); otherwise returns the release function (idempotent). */
  acquire(clientIp = ''): () => void {
    const client = clientKeyOf(clientIp);
    const mine = this.#perClient.get(client) ?? 0;
    if (this.#open >= this.#max || mine >= this.#maxPerClient) {
      throw new AppError('too_many_streams', 'Live updates are busy right now; the page will check by itself.', {
        scope: this.#open >= this.#max ? 'server' : 'client',
      });
    }
    this.#open++;
    this.#perClient.set(client, mine + 1);
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.#open--;
        const left = (this.#perClient.get(client) ?? 1) - 1;
        if (left > 0) this.#perClient.set(client, left);
        else this.#perClient.delete(client);
      }
    };
  }
}

export interface StreamTiming {
  heartbeatMs: number;
  maxStreamMs: number;
}

const DEFAULT_TIMING: StreamTiming = { heartbeatMs: SSE_HEARTBEAT_MS, maxStreamMs: SSE_MAX_STREAM_MS };

export function openEventStream(
  ctx: Context,
  limiter: StreamLimiter,
  clock: Clock,
  timing: StreamTiming = DEFAULT_TIMING,
): EventStream {
  const release = limiter.acquire(ctx.ip);
  const socket = ctx.req.socket;
  // A stream is idle between events by design; the heartbeat, not a socket timeout, detects loss.
  socket.setTimeout(0);
  socket.setNoDelay(true);
  socket.setKeepAlive(true);

  const body = new PassThrough();
  ctx.status = 200;
  ctx.body = body;
  ctx.type = 'text/event-stream';
  ctx.set('cache-control', 'no-store');
  ctx.set('x-accel-buffering', 'no');
  ctx.set('x-content-type-options', 'nosniff');

  const closers: Array<() => void> = [];
  let closed = false;
  const write = (text: string) => {
    if (!closed) body.write(text);
  };
  const heartbeat = clock.setInterval(() => write('event: ping\ndata: {}\n\n'), timing.heartbeatMs);
  const lifetime = clock.setTimeout(() => close(), timing.maxStreamMs);

  function close(): void {
    if (closed) return;
    closed = true;
    heartbeat.cancel();
    lifetime.cancel();
    release();
    for (const fn of closers.splice(0)) fn();
    body.end();
  }
  // The response, not the request: a GET's request object "closes" as soon as its empty body is read.
  ctx.res.once('close', close);
  body.once('error', close);

  write(`retry: ${SSE_RETRY_MS}\n\n`);
  return {
    send(event, data, id) {
      write(`event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`);
    },
    onClose(fn) {
      if (closed) fn();
      else closers.push(fn);
    },
    close,
    get closed() {
      return closed;
    },
  };
}
