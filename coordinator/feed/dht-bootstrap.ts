import HyperDHT from 'hyperdht';
import { AppError } from '../../shared/errors.ts';
import { Resource } from '../../shared/lifecycle/resource.ts';
import { freeUdpPort } from '../../shared/net/free-udp-port.ts';

/** Attempts to find a free UDP port when asked for port 0 (another process may take it in between). */
const FREE_PORT_ATTEMPTS = 5;

export interface DhtAddress {
  host: string;
  port: number;
}

/**
 * A DHT bootstrap node for a private deployment (or tests): the coordinator runs one unless it is
 * configured with an external bootstrap list, so peers never depend on the public Holepunch DHT.
 *
 * `HyperDHT.bootstrapper` needs a fixed port (it announces `host:port` as its own address before any
 * other node can tell it), so port 0 is resolved to a free port first.
 */
export class DhtBootstrap extends Resource {
  readonly #host: string;
  readonly #requestedPort: number;
  #address: DhtAddress | null = null;

  constructor(opts: { host: string; port: number }) {
    super();
    this.#host = opts.host;
    this.#requestedPort = opts.port;
  }

  /** The bound address; only valid after ready(). */
  get address(): DhtAddress {
    if (this.#address === null || this.closing)
      throw new AppError('resource_not_ready', 'The DHT bootstrap node is not running.');
    return { ...this.#address };
  }

  protected async _open(): Promise<void> {
    let lastError: unknown = null;
    const attempts = this.#requestedPort === 0 ? FREE_PORT_ATTEMPTS : 1;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const port = this.#requestedPort === 0 ? await freeUdpPort(this.#host) : this.#requestedPort;
      // `host` in the options is the bind address: without it the node listens on 0.0.0.0.
      const dht = HyperDHT.bootstrapper(port, this.#host, { host: this.#host });
      try {
        await dht.ready();
        this.defer(() => dht.destroy());
        this.#address = { host: this.#host, port: dht.address().port };
        return;
      } catch (err) {
        lastError = err;
        await dht.destroy().catch(() => {});
      }
    }
    const cause =
      (lastError as NodeJS.ErrnoException | null)?.code ?? (lastError as Error | null)?.message ?? 'unknown';
    throw new AppError(
      'dht_bootstrap_failed',
      this.#requestedPort === 0
        ? `The DHT bootstrap node could not bind a UDP port on ${this.#host} (${cause}).`
        : `The DHT bootstrap node could not bind UDP port ${this.#requestedPort} on ${this.#host} (${cause}): is another coordinator or demo running? Stop it, or choose another port with VPM_DHT_PORT (--dht-port).`,
      { host: this.#host, port: this.#requestedPort },
      { cause: lastError },
    );
  }
}
