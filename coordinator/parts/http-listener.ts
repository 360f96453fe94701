import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Resource } from '../../shared/lifecycle/resource.ts';
import { listenOn } from '../../shared/net/listen.ts';
import type { Clock } from '../../shared/ports/clock.ts';

/** Open requests get this long to finish on close; then their connections are cut. */
export const HTTP_CLOSE_GRACE_MS = 5_000;

/**
 * The coordinator's listening socket. Opened before the app exists (the app's links need the bound
 * address), so requests are answered only once `handle()` is given the app's callback.
 */
export class HttpListener extends Resource {
  readonly #server: Server = createServer();
  readonly #opts: { host: string; port: number; clock: Clock; portSetting?: string };
  #url = '';

  /** `portSetting`: what a user changes to pick another port (named when the port is taken). */
  constructor(opts: { host: string; port: number; clock: Clock; portSetting?: string }) {
    super();
    this.#opts = opts;
  }

  /** `http://host:port` as bound; empty before ready(). */
  get url(): string {
    return this.#url;
  }

  handle(listener: RequestListener): void {
    this.#server.on('request', listener);
  }

  protected async _open(): Promise<void> {
    const server = this.#server;
    await listenOn(server, this.#opts.host, this.#opts.port, this.#opts.portSetting ?? 'VPM_PORT (--port)');
    this.defer(() => this.#stop());
    const address = server.address() as AddressInfo;
    this.#url = `http://${address.address}:${address.port}`;
  }

  /** Stops accepting, lets open requests finish for the grace period, then cuts what is left. */
  async #stop(): Promise<void> {
    const server = this.#server;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = this.#opts.clock.setTimeout(() => server.closeAllConnections(), HTTP_CLOSE_GRACE_MS);
    await closed;
    timer.cancel();
  }
}
