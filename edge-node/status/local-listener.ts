import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Resource } from '../../shared/lifecycle/resource.ts';
import { listenOn } from '../../shared/net/listen.ts';

/**
 * The local API's socket (local-api.ts), one per runtime: a storage reopen listens again on the
 * same port. Closing cuts open connections at once (a kiosk's long poll would hold the close up).
 */
export class LocalApiListener extends Resource {
  readonly #o: { app: RequestListener; host: string; port: number };
  #server: Server | null = null;
  #url = '';

  constructor(opts: { app: RequestListener; host: string; port: number }) {
    super();
    this.#o = opts;
  }

  /** `http://host:port` as bound; empty before ready(). */
  get url(): string {
    return this.#url;
  }

  /** The bound port; null before ready(). */
  get port(): number | null {
    return this.#server ? (this.#server.address() as AddressInfo).port : null;
  }

  protected override async _open(): Promise<void> {
    const server = createServer(this.#o.app);
    await listenOn(server, this.#o.host, this.#o.port, 'statusPort (VPM_STATUS_PORT)');
    this.#server = server;
    this.defer(async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    });
    const addr = server.address() as AddressInfo;
    this.#url = `http://${addr.address}:${addr.port}`;
  }
}
