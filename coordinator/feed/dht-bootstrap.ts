import HyperDHT from 'hyperdht';
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
export class DhtBootstrap {
  readonly #host: string;
  readonly #requestedPort: number;
  #dht: HyperDHT | null = null;
  #address: DhtAddress | null = null;

  constructor(opts: { host: string; port: number }) {
    this.#host = opts.host;
    this.#requestedPort = opts.port;
  }

  /** The bound address; only valid after ready(). */
  get address(): DhtAddress {
    if (this.#address === null) throw new Error('DhtBootstrap is not ready');
    return { ...this.#address };
  }

  async ready(): Promise<void> {
    if (this.#dht !== null) return;
    let lastError: unknown = null;
    const attempts = this.#requestedPort === 0 ? FREE_PORT_ATTEMPTS : 1;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const port = this.#requestedPort === 0 ? await freeUdpPort(this.#host) : this.#requestedPort;
      // `host` in the options is the bind address: without it the node listens on 0.0.0.0.
      const dht = HyperDHT.bootstrapper(port, this.#host, { host: this.#host });
      try {
        await dht.ready();
        this.#dht = dht;
        this.#address = { host: this.#host, port: dht.address().port };
        return;
      } catch (err) {
        lastError = err;
        await dht.destroy().catch(() => {});
      }
    }
    throw lastError instanceof Error ? lastError : new Error('could not start the DHT bootstrap node');
  }

  async close(): Promise<void> {
    const dht = this.#dht;
    this.#dht = null;
    if (dht !== null) await dht.destroy();
  }
}
