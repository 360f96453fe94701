import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import ReadyResource from 'ready-resource';
import { type CoordinatorConfig, configSchema } from '../../coordinator/config.ts';
import { Coordinator } from '../../coordinator/coordinator.ts';
import { DhtBootstrap } from '../../coordinator/feed/dht-bootstrap.ts';
import { loadOrCreateIdentity } from '../../edge-node/identity.ts';
import { AppError } from '../../shared/errors.ts';
import { freeUdpPort } from '../../shared/net/free-udp-port.ts';
import { oneMinuteWindowSchedule, type SyncSchedule } from '../../shared/policy/schedule.ts';
import { type Clock, systemClock } from '../../shared/ports/clock.ts';
import { AdminClient, type EventRef, type PriceList, type VenueRef } from './admin-client.ts';
import { CloseStack } from './close-stack.ts';
import { type CoordinatorProcess, startCoordinatorProcess } from './coordinator-process.ts';
import { type EdgeProcess, type EdgeProcessOptions, startEdgeProcess } from './edge-process.ts';
import type { PaidOrder } from './http.ts';

const LOOPBACK = '127.0.0.1';
/** The operator token of a coordinator process the kit starts (it cannot read the process's memory). */
const PROCESS_OPERATOR_TOKEN = 'venue-process-operator-token';
/** Edge processes started at once: each costs a tsx compile and a DHT join on a 2-core machine. */
export const EDGE_START_CONCURRENCY = 4;
const HOUR_MS = 3_600_000;

/**
 * Where the venue's parts listen. Default: everything on 127.0.0.1. With link shaping
 * (sim/emulation/netns.ts) the coordinator is in a cloud namespace and the edge nodes in a venue one.
 */
export interface VenueNetwork {
  /** The coordinator's HTTP and DHT address, and the DHT bootstrap's. */
  cloudHost: string;
  /** The edge nodes' DHT address (their LAN and WAN traffic). */
  venueHost: string;
  /** The edge nodes' local API address (status polls and redemptions). */
  venueControlHost: string;
  /** Network namespace the edge nodes run in (`ip netns exec`); none: this one. */
  venueNs?: string;
}

export const LOOPBACK_NETWORK: VenueNetwork = { cloudHost: LOOPBACK, venueHost: LOOPBACK, venueControlHost: LOOPBACK };

/** The coordinator in this process (embedded SQLite store), or `coordinator/main.ts` as its own process. */
export type CoordinatorMode =
  | {
      kind: 'in-process';
      port?: number;
      logLevel?: CoordinatorConfig['logLevel'];
      /** The setting a user changes when `port` is taken (named in the error). */
      portSetting?: string;
      /** Tax included in prices (kiosk receipts' tax line); 0 when left out. */
      taxRatePercent?: number;
      /** The venue's photo overlay the coordinator states to printers; PHOTO_OVERLAY_RINGS when left out. */
      photoOverlayRings?: number;
    }
  | {
      kind: 'process';
      env?: Record<string, string>;
      /**
       * The process's scheduling priority (os.setPriority: -20 highest, 0 normal, 19 lowest). The
       * emulation sets it (cloudPriority in sim/emulation/emulation-options.ts): on one shared host
       * it decides whether the cloud or the printers wait for a core.
       */
      priority?: number;
    };

/** What the kit creates on the coordinator once it is up. */
export interface VenueSeed {
  venueName: string;
  eventName: string;
  photographerName: string;
  /** When the sale window opens, from now (negative: it opened already). */
  opensInMs: number;
  /** How long the sale window stays open. */
  windowMs: number;
  priceList: PriceList;
}

export const DEFAULT_SEED: VenueSeed = {
  venueName: 'Arena',
  eventName: 'Final',
  photographerName: 'P',
  opensInMs: 0,
  windowMs: HOUR_MS,
  priceList: { currency: 'EUR', unitPriceCents: 500, bundles: [] },
};

export interface VenueKitOptions {
  /** Where the coordinator's and the printers' data go (the caller creates and removes it). */
  dir: string;
  coordinator?: CoordinatorMode;
  /** 'separate' (default): the kit runs a DHT bootstrap node; 'coordinator': the coordinator runs its own. */
  bootstrap?: 'separate' | 'coordinator';
  network?: VenueNetwork;
  seed?: Partial<VenueSeed>;
  clock?: Clock;
  /** Per-request limit of the kit's admin client. */
  httpTimeoutMs?: number;
}

export interface SeededPhoto {
  id: string;
  sha256: string;
  bytes: number;
  data: Buffer;
}

export interface PrinterSpec {
  /** The printer's name (pairing and config). */
  name: string;
  /** Its data directory under the kit's dir; default: `name`. */
  dirName?: string;
  /** Edge-node settings over the kit's `printerConfig`. */
  config?: Record<string, unknown>;
  process?: EdgeProcessOptions;
}

interface Site {
  client: AdminClient;
  operator: string;
  bootstrap: Array<{ host: string; port: number }>;
  venue: VenueRef;
  event: EventRef;
  photographer: string;
  inProcess: Coordinator | null;
  process: CoordinatorProcess | null;
}

/**
 * A whole venue, started the one way the demo, the emulation, the tests and the benches start it:
 * a DHT bootstrap, a coordinator, a venue with one event on sale and a photographer credential;
 * then photos, paired edge-node processes with file printers, and paid orders on demand.
 * `ready()` and `close()` are memoised; everything the kit started is closed last-started-first,
 * and a failed `ready()` closes what it had started.
 */
export class VenueKit extends ReadyResource {
  readonly dir: string;
  readonly clock: Clock;
  readonly network: VenueNetwork;
  /** Printers started with `startPrinter(s)`, in the order they became ready (`startPrinters` answers in spec order). */
  readonly printers: EdgeProcess[] = [];
  readonly #opts: VenueKitOptions;
  readonly #stack = new CloseStack();
  /** The printers stop together, before the coordinator they report to. */
  readonly #printerStack = new CloseStack({ parallel: true });
  #site: Site | null = null;

  constructor(opts: VenueKitOptions) {
    super();
    this.#opts = opts;
    this.dir = opts.dir;
    this.clock = opts.clock ?? systemClock;
    this.network = opts.network ?? LOOPBACK_NETWORK;
  }

  get #ready(): Site {
    if (this.#site === null) throw new AppError('venue_kit_not_ready', 'The venue kit is not ready.');
    return this.#site;
  }
  get client(): AdminClient {
    return this.#ready.client;
  }
  get base(): string {
    return this.#ready.client.base;
  }
  get operator(): string {
    return this.#ready.operator;
  }
  get bootstrap(): Array<{ host: string; port: number }> {
    return this.#ready.bootstrap;
  }
  get venue(): VenueRef {
    return this.#ready.venue;
  }
  get event(): EventRef {
    return this.#ready.event;
  }
  get photographer(): string {
    return this.#ready.photographer;
  }
  /** The in-process coordinator (mode 'in-process' only). */
  get coordinator(): Coordinator {
    const c = this.#ready.inProcess;
    if (!c) throw new AppError('venue_kit_wrong_mode', 'The coordinator runs as its own process.');
    return c;
  }
  /** The coordinator's process id when it runs as its own process (null: in this one). */
  get coordinatorPid(): number | null {
    return this.#ready.process?.child.pid ?? null;
  }
  /** The coordinator process (mode 'process' only). */
  get coordinatorProcess(): CoordinatorProcess {
    const c = this.#ready.process;
    if (!c) throw new AppError('venue_kit_wrong_mode', 'The coordinator runs in this process.');
    return c;
  }

  protected override async _open(): Promise<void> {
    try {
      await this.#open();
    } catch (err) {
      await this.#stack.close().catch(() => {
        // The open failure is the error worth reporting; close failures after it are its consequences.
      });
      throw err;
    }
  }

  protected override async _close(): Promise<void> {
    await this.#stack.close();
  }

  async #open(): Promise<void> {
    const net = this.network;
    const mode = this.#opts.coordinator ?? { kind: 'in-process' };
    const ownBootstrap = (this.#opts.bootstrap ?? 'separate') === 'coordinator';
    let bootstrap: Array<{ host: string; port: number }> = [];
    if (!ownBootstrap) {
      const node = new DhtBootstrap({ host: net.cloudHost, port: 0 });
      this.#stack.teardown(() => node.close());
      await node.ready();
      bootstrap = [node.address];
    }
    const bootstrapList = bootstrap.map((b) => `${b.host}:${b.port}`).join(',');
    const dataDir = join(this.dir, 'coordinator');
    let base: string;
    let operator: string;
    let inProcess: Coordinator | null = null;
    let proc: CoordinatorProcess | null = null;
    if (mode.kind === 'in-process') {
      const config = configSchema.parse({
        host: net.cloudHost,
        port: mode.port ?? 0,
        dataDir,
        dhtHost: net.cloudHost,
        // The demo, tests and benches buy through the test gateway; production must choose a provider.
        paymentGateway: 'test',
        // Reorders after the event go to the demo lab (issue #15).
        lab: 'test',
        // Stations' card readers are simulated (a person taps a card on /terminal/test).
        cardTerminal: 'test',
        ...(mode.taxRatePercent !== undefined ? { taxRatePercent: mode.taxRatePercent } : {}),
        ...(mode.photoOverlayRings !== undefined ? { photoOverlayRings: mode.photoOverlayRings } : {}),
        ...(ownBootstrap ? { dhtPort: 0 } : { dhtBootstrap: bootstrapList }),
        logLevel: mode.logLevel ?? 'silent',
      });
      const coordinator = new Coordinator(config, pino({ level: config.logLevel, base: { service: 'coordinator' } }), {
        ...(mode.portSetting ? { portSetting: mode.portSetting } : {}),
      });
      this.#stack.teardown(() => coordinator.close());
      await coordinator.ready();
      inProcess = coordinator;
      base = coordinator.url;
      if (ownBootstrap) bootstrap = coordinator.dhtBootstrap;
      operator = (await readFile(join(dataDir, 'operator-token'), 'utf8')).trim();
    } else {
      // An empty VPM_DHT_BOOTSTRAP is "not set": the coordinator runs its own bootstrap node, on a
      // fixed port so a restarted process is found where it was.
      const dhtPort = ownBootstrap ? await freeUdpPort(net.cloudHost) : 0;
      proc = await startCoordinatorProcess(
        this.#stack,
        {
          VPM_HOST: net.cloudHost,
          VPM_PORT: '0',
          VPM_DATA_DIR: dataDir,
          VPM_OPERATOR_TOKEN: PROCESS_OPERATOR_TOKEN,
          VPM_DHT_HOST: net.cloudHost,
          VPM_DHT_BOOTSTRAP: bootstrapList,
          ...(ownBootstrap ? { VPM_DHT_PORT: String(dhtPort) } : {}),
          ...mode.env,
        },
        this.clock,
        mode.priority,
      );
      if (ownBootstrap) bootstrap = [{ host: net.cloudHost, port: dhtPort }];
      base = proc.url;
      operator = PROCESS_OPERATOR_TOKEN;
    }
    this.#stack.teardown(() => this.#printerStack.close());
    const seed = { ...DEFAULT_SEED, ...this.#opts.seed };
    const client = new AdminClient(base, { timeoutMs: this.#opts.httpTimeoutMs });
    const venue = await client.createVenue(operator, seed.venueName);
    const opensAt = this.clock.now() + seed.opensInMs;
    const event = await client.createEvent(operator, {
      venueId: venue.id,
      name: seed.eventName,
      startsAt: opensAt,
      endsAt: opensAt + seed.windowMs,
      priceList: seed.priceList,
    });
    const photographer = await client.createCredential(operator, 'photographer', seed.photographerName);
    this.#site = { client, operator, bootstrap, venue, event, photographer, inProcess, process: proc };
  }

  /** Uploads one photo as the kit's photographer. */
  async upload(data: Buffer, fileName: string): Promise<SeededPhoto> {
    const image = await this.client.uploadImage(this.event.id, this.photographer, data, fileName);
    return { id: image.id, sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length, data };
  }

  /** Uploads `count` photos made by `make`, one after the other (upload order is feed order). */
  async uploadPhotos(count: number, make: (index: number) => Promise<Buffer>, fileName = (i: number) => `img${i}.jpg`) {
    const photos: SeededPhoto[] = [];
    for (let i = 0; i < count; i++) photos.push(await this.upload(await make(i), fileName(i)));
    return photos;
  }

  /**
   * Creates a printer identity in `dataDir` and pairs it, as an operator would from its pairing code,
   * assigning it `cardReaderId` (the station's card reader) when given.
   */
  async pairPrinter(name: string, dataDir = join(this.dir, name), cardReaderId?: string): Promise<string> {
    await mkdir(dataDir, { recursive: true });
    const identity = await loadOrCreateIdentity(join(dataDir, 'identity.json'));
    await this.client.pairPrinter(this.operator, this.venue.id, identity.pairingCode, name, cardReaderId);
    return identity.pairingCode;
  }

  /** The edge-node configuration of a printer of this venue with a file printer in `<dataDir>/prints`. */
  printerConfig(name: string, dataDir = join(this.dir, name)): Record<string, unknown> {
    return {
      coordinatorUrl: this.base,
      name,
      dhtBootstrap: this.bootstrap,
      dhtHost: this.network.venueHost,
      statusHost: this.network.venueControlHost,
      printer: { kind: 'file', dir: join(dataDir, 'prints') },
    };
  }

  /**
   * Pairs and starts one edge-node process: `printerConfig` with `spec.config` over it, its data in
   * `<dir>/<spec.dirName ?? spec.name>`. The kit stops it (and any restart of it).
   */
  async startPrinter(spec: PrinterSpec): Promise<EdgeProcess> {
    const dataDir = join(this.dir, spec.dirName ?? spec.name);
    // A station configured with a card reader gets it assigned at pairing: the coordinator takes
    // card payments only on the reader an operator assigned to the printer.
    const reader = spec.config?.cardReaderId;
    await this.pairPrinter(spec.name, dataDir, typeof reader === 'string' ? reader : undefined);
    const config = { ...this.printerConfig(spec.name, dataDir), ...spec.config };
    const node = await startEdgeProcess(this.#printerStack, dataDir, config, {
      clock: this.clock,
      netns: this.network.venueNs,
      ...spec.process,
    });
    this.printers.push(node);
    return node;
  }

  /** Starts the printers `EDGE_START_CONCURRENCY` at a time; resolves with them in `specs` order once all are ready. */
  async startPrinters(specs: readonly PrinterSpec[]): Promise<EdgeProcess[]> {
    const started: EdgeProcess[] = new Array(specs.length);
    let next = 0;
    const worker = async () => {
      while (next < specs.length) {
        const index = next++;
        started[index] = await this.startPrinter(specs[index]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(EDGE_START_CONCURRENCY, specs.length) }, worker));
    return started;
  }

  /** Orders the items for the kit's event and pays on the test gateway's hosted page. */
  buyAndPay(items: ReadonlyArray<{ imageId: string; copies: number }>): Promise<PaidOrder> {
    return this.client.buyAndPay(this.event.id, items);
  }
}

/**
 * An edge-node `schedule` whose only window opens 12 hours from now: background sync never runs
 * during a test or a bench.
 */
export function neverSyncs(clock = systemClock): SyncSchedule {
  return oneMinuteWindowSchedule(clock.now() + 12 * HOUR_MS);
}
