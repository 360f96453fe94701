import { readFile, writeFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import HyperDHT from 'hyperdht';
import { freeUdpPort } from '../../shared/net/free-udp-port.ts';
import type { StructuredLogger } from '../../shared/ports/logger.ts';

/** Where the node keeps the DHT port it chose, so its venue peers' cached address of it stays right. */
export const DHT_PORT_FILE = 'dht-port';

export interface DhtAddress {
  host: string;
  port: number;
}

/**
 * The port this printer's DHT node listens on: the configured one, else the one chosen on a
 * previous start, else a free one (then kept). Peers cache it as a bootstrap address of the venue.
 */
export async function stableDhtPort(dataDir: string, host: string, configured: number): Promise<number> {
  if (configured !== 0) return configured;
  const file = join(dataDir, DHT_PORT_FILE);
  const kept = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(kept) && kept > 0 && kept < 65_536) return kept;
  const port = await freeUdpPort(host);
  await writeFile(file, `${port}\n`);
  return port;
}

/**
 * Where this printer's DHT node bootstraps from: the cloud's bootstrap nodes first, then the
 * venue's own (configured LAN bootstrap nodes and the other printers' DHT nodes, as last learned
 * from the coordinator and cached in the profile), without this node itself and without repeats.
 * With the cloud unreachable, the venue's nodes are enough to find the venue's printers again.
 */
export function venueBootstrapList(
  cloud: readonly DhtAddress[],
  venue: ReadonlyArray<DhtAddress | null | undefined>,
  self: DhtAddress,
): DhtAddress[] {
  const seen = new Set<string>([`${self.host}:${self.port}`]);
  const out: DhtAddress[] = [];
  for (const a of [...cloud, ...venue]) {
    if (!a) continue;
    const key = `${a.host}:${a.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ host: a.host, port: a.port });
  }
  return out;
}

/**
 * A persistent DHT node on a fixed address, like the cloud's bootstrap node, so the venue's other
 * printers can bootstrap from it and store the venue topic's announcements on it when the cloud is
 * gone. It needs a concrete IPv4 address to announce; bound to 0.0.0.0 it falls back to an ordinary
 * (ephemeral) node and says so.
 */
export function createVenueDht(opts: {
  host: string;
  port: number;
  bootstrap: DhtAddress[];
  logger: StructuredLogger;
}): HyperDHT {
  // Never an empty-handed constructor: HyperDHT falls back to the public bootstrap nodes without a list.
  const bootstrap = [...opts.bootstrap];
  if (isIPv4(opts.host) && opts.host !== '0.0.0.0') {
    return HyperDHT.bootstrapper(opts.port, opts.host, { host: opts.host, bootstrap });
  }
  opts.logger.warn(
    { dhtHost: opts.host },
    'dhtHost is not a concrete IPv4 address: this printer cannot serve as a venue bootstrap node',
  );
  return new HyperDHT({ host: opts.host, port: opts.port, bootstrap });
}
