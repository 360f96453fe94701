/**
 * The real system on loopback for an emulation run: a DHT bootstrap, an in-process Coordinator
 * (embedded SQLite store), one venue with one event, a photographer credential, and N paired
 * edge-node processes with file printers. Everything it opens is closed by `close()`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, rmSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { configSchema } from '../../coordinator/config.ts';
import { Coordinator } from '../../coordinator/coordinator.ts';
import { DhtBootstrap } from '../../coordinator/feed/dht-bootstrap.ts';
import type { ReplicationMode } from '../../edge-node/config.ts';
import { loadOrCreateIdentity } from '../../edge-node/identity.ts';
import { AppError } from '../../shared/errors.ts';

const LOOPBACK = '127.0.0.1';

/**
 * Where the run's parts listen. Default: everything on 127.0.0.1. With link shaping (netns.ts) the
 * run itself is in the cloud namespace and the edge nodes are started in the venue namespace.
 */
export interface VenueNetwork {
  /** The coordinator's HTTP and DHT address, and the DHT bootstrap's. */
  cloudHost: string;
  /** The edge nodes' DHT address (their LAN and WAN traffic). */
  venueHost: string;
  /** The edge nodes' local API address (the run's status polls and redemptions). */
  venueControlHost: string;
  /** Network namespace the edge nodes run in (`ip netns exec`); none: this one. */
  venueNs?: string;
}

const LOOPBACK_NETWORK: VenueNetwork = { cloudHost: LOOPBACK, venueHost: LOOPBACK, venueControlHost: LOOPBACK };
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EDGE_MAIN = join(REPO_ROOT, 'edge-node', 'main.ts');
const EDGE_READY_TIMEOUT_MS = 90_000;
const EDGE_STOP_GRACE_MS = 10_000;
/** Log lines kept per edge process, for the error message when one fails to start. */
const KEPT_LOG_LINES = 200;
/** Edge processes started at once: each costs a tsx compile and a DHT join on a 2-core machine. */
const EDGE_START_CONCURRENCY = 4;
/** The event's sale window around the run; the run itself is much shorter. */
const EVENT_WINDOW_MS = 24 * 3_600_000;
const HTTP_TIMEOUT_MS = 60_000;

export interface EdgeStatus {
  bytesFromLan: number;
  bytesFromCloud: number;
  lanPeers: number;
  events: Array<{ eventId: string; imagesHeld: number; imagesTotal: number; oldestMissingAgeMs: number | null }>;
}

export interface RedeemedUnit {
  imageId: string;
  state: string;
  source?: 'local' | 'lan' | 'cloud';
}

export interface EdgeNodeProcess {
  name: string;
  url: string;
  /** Why the process ended ("exit code 1", "signal SIGKILL"), or null while it runs. */
  exited(): string | null;
  status(): Promise<EdgeStatus>;
  redeem(code: string): Promise<{ status: number; units: RedeemedUnit[] }>;
  stop(): Promise<void>;
}

/** Per-node settings the strategy decides (emulated-strategies.ts maps the scenario's knobs to them). */
export interface EdgeNodeSettings {
  replication: ReplicationMode;
  schedule: { intervalMs: number };
  backgroundBytesPerSec?: number;
  reportIntervalMs: number;
}

async function http<T>(
  url: string,
  init: { method: string; token?: string; json?: unknown; form?: FormData },
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method: init.method,
    headers,
    body: init.form ?? (init.json === undefined ? undefined : JSON.stringify(init.json)),
    redirect: 'manual',
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
  const text = await res.text();
  const json = text !== '' && (res.headers.get('content-type') ?? '').includes('json');
  return { status: res.status, body: (json ? JSON.parse(text) : {}) as T };
}

function expectStatus(what: string, got: { status: number; body: unknown }, want: number): void {
  if (got.status !== want) {
    throw new AppError(
      'emulation_step_failed',
      `Emulation: ${what} answered ${got.status} (expected ${want}): ${JSON.stringify(got.body)}`,
    );
  }
}

export class EmulatedVenue {
  readonly dir: string;
  readonly nodes: EdgeNodeProcess[] = [];
  #bootstrap: DhtBootstrap | null = null;
  #coordinator: Coordinator | null = null;
  #operator = '';
  #photographer = '';
  #venueId = '';
  #eventId = '';

  readonly #logDir: string | undefined;
  readonly #net: VenueNetwork;

  /** `logDir`: each edge node's log is also written to `<logDir>/<name>.log` (kept after the run). */
  constructor(dir: string, opts: { logDir?: string; network?: VenueNetwork } = {}) {
    this.dir = dir;
    this.#logDir = opts.logDir;
    this.#net = opts.network ?? LOOPBACK_NETWORK;
  }

  get base(): string {
    if (!this.#coordinator) throw new Error('EmulatedVenue is not started');
    return this.#coordinator.url;
  }

  get eventId(): string {
    return this.#eventId;
  }

  /** Bootstrap, coordinator, venue, event and photographer; no printers yet. */
  async start(): Promise<void> {
    process.once('exit', this.#killOnExit);
    this.#bootstrap = new DhtBootstrap({ host: this.#net.cloudHost, port: 0 });
    await this.#bootstrap.ready();
    const address = this.#bootstrap.address;
    const config = configSchema.parse({
      host: this.#net.cloudHost,
      port: 0,
      dataDir: join(this.dir, 'coordinator'),
      paymentGateway: 'test',
      dhtBootstrap: `${address.host}:${address.port}`,
      dhtHost: this.#net.cloudHost,
      logLevel: 'silent',
    });
    this.#coordinator = new Coordinator(config, pino({ level: 'silent' }));
    await this.#coordinator.ready();
    this.#operator = (await readFile(join(config.dataDir, 'operator-token'), 'utf8')).trim();
    const venue = await http<{ venue: { id: string } }>(`${this.base}/api/venues`, {
      method: 'POST',
      token: this.#operator,
      json: { name: 'Emulated venue' },
    });
    expectStatus('creating the venue', venue, 201);
    this.#venueId = venue.body.venue.id;
    const now = Date.now();
    const event = await http<{ event: { id: string } }>(`${this.base}/api/events`, {
      method: 'POST',
      token: this.#operator,
      json: {
        venueId: this.#venueId,
        name: 'Emulated event',
        startsAt: now - 60_000,
        endsAt: now + EVENT_WINDOW_MS,
        priceList: { currency: 'EUR', unitPriceCents: 500, bundles: [] },
      },
    });
    expectStatus('creating the event', event, 201);
    this.#eventId = event.body.event.id;
    const photographer = await http<{ token: string }>(`${this.base}/api/credentials`, {
      method: 'POST',
      token: this.#operator,
      json: { role: 'photographer', name: 'Emulated photographer' },
    });
    expectStatus('creating the photographer credential', photographer, 201);
    this.#photographer = photographer.body.token;
  }

  /** Pairs and starts `count` edge-node processes, a few at a time; resolves when all are ready. */
  async startPrinters(count: number, settings: EdgeNodeSettings): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const index = next++;
        const node = await this.#startPrinter(`P${index}`, settings);
        this.nodes[index] = node;
      }
    };
    await Promise.all(Array.from({ length: Math.min(EDGE_START_CONCURRENCY, count) }, worker));
  }

  async #startPrinter(name: string, settings: EdgeNodeSettings): Promise<EdgeNodeProcess> {
    const dataDir = join(this.dir, name);
    await mkdir(dataDir, { recursive: true });
    const identity = await loadOrCreateIdentity(join(dataDir, 'identity.json'));
    const paired = await http(`${this.base}/api/venues/${this.#venueId}/printers`, {
      method: 'POST',
      token: this.#operator,
      json: { publicKey: identity.pairingCode, name },
    });
    expectStatus(`pairing printer ${name}`, paired, 201);
    const configPath = join(dataDir, 'config.json');
    await writeFile(
      configPath,
      JSON.stringify({
        coordinatorUrl: this.base,
        name,
        dataDir,
        dhtBootstrap: [this.#bootstrap!.address],
        dhtHost: this.#net.venueHost,
        statusHost: this.#net.venueControlHost,
        statusPort: 0,
        // 'info' because readiness is read from the "edge node ready" log line.
        logLevel: 'info',
        printer: { kind: 'file', dir: join(dataDir, 'prints') },
        replication: settings.replication,
        schedule: settings.schedule,
        reportIntervalMs: settings.reportIntervalMs,
        ...(settings.backgroundBytesPerSec === undefined
          ? {}
          : { backgroundBytesPerSec: settings.backgroundBytesPerSec }),
      }),
    );
    const command = [process.execPath, '--import', 'tsx', EDGE_MAIN, '--config', configPath];
    const venueNs = this.#net.venueNs;
    // `ip netns exec` execs the command in the namespace: the child's pid is the edge node's.
    const [file, ...args] = venueNs ? ['ip', 'netns', 'exec', venueNs, ...command] : command;
    const child = spawn(file!, args, {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(child, 'exit');
    let exitReason: string | null = null;
    child.once('exit', (code, signal) => {
      exitReason = signal ? `signal ${signal}` : `exit code ${code}`;
    });
    if (this.#logDir) {
      await mkdir(this.#logDir, { recursive: true });
      const log = createWriteStream(join(this.#logDir, `${name}.log`));
      child.stdout!.pipe(log);
      child.stderr!.pipe(log);
    }
    const stop = () => stopChild(child, exited);
    // Registered before readiness, so a node that never becomes ready is still stopped by close().
    this.#children.push(stop);
    this.#processes.add(child);
    child.once('exit', () => this.#processes.delete(child));
    const url = await waitReady(child, name);
    return {
      name,
      url,
      exited: () => exitReason,
      async status() {
        return (await http<EdgeStatus>(`${url}/status`, { method: 'GET' })).body;
      },
      async redeem(code) {
        const res = await http<{ units?: RedeemedUnit[] }>(`${url}/api/redeem`, { method: 'POST', json: { code } });
        return { status: res.status, units: res.body.units ?? [] };
      },
      stop,
    };
  }

  #children: Array<() => Promise<void>> = [];
  readonly #processes = new Set<ChildProcess>();
  /** If this process exits without close() (a signal, an uncaught error), its edge nodes go with it. */
  readonly #killOnExit = () => {
    for (const child of this.#processes) child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
  };

  /** Uploads one image as the photographer; returns its id. */
  async upload(bytes: Buffer, fileName: string): Promise<string> {
    const form = new FormData();
    form.append('image', new Blob([bytes], { type: 'image/jpeg' }), fileName);
    const res = await http<{ image: { id: string } }>(`${this.base}/api/events/${this.#eventId}/images`, {
      method: 'POST',
      token: this.#photographer,
      form,
    });
    expectStatus(`uploading ${fileName}`, res, 201);
    return res.body.image.id;
  }

  /** Orders the items and pays on the test gateway's hosted page; returns the redemption token. */
  async buyAndPay(items: Array<{ imageId: string; copies: number }>): Promise<string> {
    const created = await http<{ order: { id: string }; checkoutUrl: string }>(`${this.base}/api/orders`, {
      method: 'POST',
      json: { eventId: this.#eventId, items },
    });
    expectStatus('placing an order', created, 201);
    const page = new URL(created.body.checkoutUrl).pathname;
    const paid = await fetch(this.base + page, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'outcome=pay',
      redirect: 'manual',
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
    await paid.arrayBuffer();
    if (paid.status !== 302) {
      throw new AppError('emulation_step_failed', `Emulation: the payment page answered ${paid.status}.`);
    }
    const order = await http<{ redemption?: { token: string } }>(`${this.base}/api/orders/${created.body.order.id}`, {
      method: 'GET',
    });
    expectStatus('reading the paid order', order, 200);
    const token = order.body.redemption?.token;
    if (!token) throw new AppError('emulation_step_failed', 'Emulation: the paid order has no redemption token.');
    return token;
  }

  /** Stops every edge process (in parallel), then the coordinator and the bootstrap. */
  async close(): Promise<void> {
    await Promise.allSettled(this.#children.map((stop) => stop()));
    this.#children = [];
    process.off('exit', this.#killOnExit);
    await this.#coordinator?.close().catch(() => {});
    this.#coordinator = null;
    await this.#bootstrap?.close().catch(() => {});
    this.#bootstrap = null;
  }
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), EDGE_STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** Resolves with the node's local API URL from its "edge node ready" log line. */
function waitReady(child: ChildProcess, name: string): Promise<string> {
  const logs: string[] = [];
  const keep = (line: string) => {
    logs.push(line);
    if (logs.length > KEPT_LOG_LINES) logs.shift();
  };
  child.stderr!.on('data', (d: Buffer) => keep(d.toString()));
  const lines = createInterface({ input: child.stdout! });
  return new Promise<string>((resolve, reject) => {
    let ready = false;
    const fail = (why: string) =>
      reject(new AppError('emulation_edge_failed', `Edge node ${name} ${why}:\n${logs.join('\n')}`));
    const timer = setTimeout(() => fail(`was not ready after ${EDGE_READY_TIMEOUT_MS} ms`), EDGE_READY_TIMEOUT_MS);
    lines.on('line', (line) => {
      keep(line);
      if (ready) return;
      try {
        const entry = JSON.parse(line) as { msg?: string; local?: string };
        if (entry.msg === 'edge node ready' && entry.local) {
          ready = true;
          clearTimeout(timer);
          resolve(entry.local);
        }
      } catch {
        // not a JSON log line
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!ready) fail(`exited with ${code} before it was ready`);
    });
  });
}
