// Minimal typings for the Holepunch stack (the packages ship none). Only what this project uses.

declare module 'hypercore-crypto' {
  interface KeyPair {
    publicKey: Buffer;
    secretKey: Buffer;
  }
  const crypto: {
    keyPair(seed?: Uint8Array): KeyPair;
    sign(message: Uint8Array, secretKey: Uint8Array): Buffer;
    verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
    discoveryKey(publicKey: Uint8Array): Buffer;
    randomBytes(n: number): Buffer;
    hash(data: Uint8Array | Uint8Array[]): Buffer;
  };
  export default crypto;
}

declare module 'b4a' {
  const b4a: {
    from(input: string | Uint8Array | number[], encoding?: string): Buffer;
    toString(buf: Uint8Array, encoding?: string): string;
    equals(a: Uint8Array, b: Uint8Array): boolean;
    alloc(n: number): Buffer;
    concat(bufs: Uint8Array[]): Buffer;
  };
  export default b4a;
}

declare module 'hypercore' {
  import type { EventEmitter } from 'node:events';
  import type { Duplex } from 'node:stream';

  export interface HypercorePeer {
    remotePublicKey: Buffer;
    stream: unknown;
  }

  export interface GetOptions {
    wait?: boolean;
    timeout?: number;
    valueEncoding?: string;
  }

  export interface DownloadRange {
    done(): Promise<void>;
    destroy(): void;
  }

  export default class Hypercore extends EventEmitter {
    /**
     * The core key for a signer public key: with a manifest (corestore's default, version 1) it is
     * the manifest hash, not the public key itself.
     */
    static key(publicKeyOrManifest: Uint8Array, opts?: { version?: number; compat?: boolean }): Buffer;
    readonly key: Buffer;
    readonly fork: number;
    readonly discoveryKey: Buffer;
    readonly length: number;
    readonly contiguousLength: number;
    readonly byteLength: number;
    readonly writable: boolean;
    readonly readable: boolean;
    readonly closed: boolean;
    readonly peers: HypercorePeer[];
    readonly id: string;
    ready(): Promise<void>;
    close(): Promise<void>;
    append(blocks: Uint8Array | Uint8Array[]): Promise<{ length: number; byteLength: number }>;
    get(index: number, opts?: GetOptions): Promise<Buffer | null>;
    has(start: number, end?: number): Promise<boolean>;
    /** Drops the local copies of blocks [start, end) (the length and the signed tree stay). */
    clear(start: number, end?: number): Promise<unknown>;
    update(opts?: { wait?: boolean }): Promise<boolean>;
    download(range?: { start?: number; end?: number; blocks?: number[]; linear?: boolean }): DownloadRange;
    findingPeers(): () => void;
    replicate(isInitiatorOrStream: boolean | Duplex, opts?: Record<string, unknown>): Duplex;
    info(opts?: Record<string, unknown>): Promise<Record<string, unknown>>;
  }
}

declare module 'corestore' {
  import type { Duplex } from 'node:stream';
  import type Hypercore from 'hypercore';

  export interface CoreOptions {
    name?: string;
    key?: Uint8Array;
    keyPair?: { publicKey: Uint8Array; secretKey: Uint8Array };
    encryption?: { key: Uint8Array };
    encryptionKey?: Uint8Array;
    valueEncoding?: string;
    exclusive?: boolean;
  }

  export default class Corestore {
    constructor(storage: string, opts?: Record<string, unknown>);
    ready(): Promise<void>;
    close(): Promise<void>;
    get(opts: CoreOptions | Uint8Array): Hypercore;
    replicate(isInitiatorOrStream: boolean | Duplex, opts?: Record<string, unknown>): Duplex;
    namespace(name: string): Corestore;
    session(opts?: Record<string, unknown>): Corestore;
  }
}

declare module 'hyperbee' {
  import type Hypercore from 'hypercore';

  export interface BeeEntry<T> {
    seq: number;
    key: string;
    value: T;
  }

  export interface BeeBatch {
    put(key: string, value: unknown): Promise<void>;
    flush(): Promise<void>;
    close(): Promise<void>;
  }

  /** A streamx Readable: async-iterable, and destroy() ends a pending iteration with the error. */
  export interface BeeReadStream<T> extends AsyncIterable<BeeEntry<T>> {
    destroy(err?: Error): void;
  }

  export default class Hyperbee<T = unknown> {
    constructor(core: Hypercore, opts?: { keyEncoding?: string; valueEncoding?: string });
    readonly core: Hypercore;
    readonly version: number;
    ready(): Promise<void>;
    close(): Promise<void>;
    /** `update: false` reads the local snapshot without asking peers for a newer length first. */
    get(key: string, opts?: { wait?: boolean; timeout?: number; update?: boolean }): Promise<BeeEntry<T> | null>;
    put(key: string, value: T): Promise<void>;
    del(key: string): Promise<void>;
    batch(): BeeBatch;
    /** A read-only view fixed at the current version (its `version` is right once it is ready); close it when done. */
    snapshot(): Hyperbee<T>;
    /** What changed between `otherVersion` and this view: `left` as here, `right` as it was (null: absent). */
    createDiffStream(
      otherVersion: number,
      range?: { gt?: string; gte?: string; lt?: string; lte?: string },
      opts?: { timeout?: number },
    ): AsyncIterable<{ left: BeeEntry<T> | null; right: BeeEntry<T> | null }> & { destroy(err?: Error): void };
    createReadStream(
      range?: {
        gt?: string;
        gte?: string;
        lt?: string;
        lte?: string;
        limit?: number;
        reverse?: boolean;
      },
      opts?: { wait?: boolean; timeout?: number },
    ): BeeReadStream<T>;
  }
}

declare module 'hyperblobs' {
  import type Hypercore from 'hypercore';

  export interface BlobId {
    blockOffset: number;
    blockLength: number;
    byteOffset: number;
    byteLength: number;
  }

  export default class Hyperblobs {
    constructor(core: Hypercore, opts?: { blockSize?: number });
    readonly core: Hypercore;
    readonly feed: Hypercore;
    ready(): Promise<void>;
    close(): Promise<void>;
    put(blob: Uint8Array, opts?: Record<string, unknown>): Promise<BlobId>;
    get(id: BlobId, opts?: { wait?: boolean; timeout?: number }): Promise<Buffer | null>;
    /** Collects blobs in memory; flush() appends all their blocks in one core append. */
    batch(): HyperblobsBatch;
  }

  export interface HyperblobsBatch {
    put(blob: Uint8Array): Promise<BlobId>;
    flush(): Promise<void>;
    close(): void;
  }
}

declare module 'hyperdht' {
  import type { EventEmitter } from 'node:events';

  export interface DHTOptions {
    host?: string;
    port?: number;
    bootstrap?: Array<string | { host: string; port: number }>;
    ephemeral?: boolean;
    firewalled?: boolean;
  }

  export default class HyperDHT extends EventEmitter {
    constructor(opts?: DHTOptions);
    static bootstrapper(port: number, host: string, opts?: Record<string, unknown>): HyperDHT;
    /** Whether this node counts itself as unreachable by direct dial (hole punching needed). */
    readonly firewalled: boolean;
    ready(): Promise<void>;
    destroy(opts?: { force?: boolean }): Promise<void>;
    address(): { host: string; port: number };
    /** Adds a node the caller knows is a DHT node to the routing table (dht-rpc). */
    addNode(node: { host: string; port: number }): void;
    /** Pings a DHT node (dht-rpc); `retry: false` sends once. Rejects when it does not answer. */
    ping(node: { host: string; port: number }, opts?: { retry?: boolean }): Promise<unknown>;
    static keyPair(seed?: Uint8Array): { publicKey: Buffer; secretKey: Buffer };
  }
}

declare module 'hyperswarm' {
  import type { EventEmitter } from 'node:events';
  import type { Duplex } from 'node:stream';
  import type HyperDHT from 'hyperdht';

  export interface PeerInfo {
    publicKey: Buffer;
    topics: Buffer[];
    readonly banned: boolean;
    /** Client dials of this peer that ended since it was last connected for a while. */
    readonly attempts: number;
    ban(banned?: boolean): void;
  }

  export interface SwarmConnection extends Duplex {
    remotePublicKey: Buffer;
    publicKey: Buffer;
    rawBytesRead: number;
    rawBytesWritten: number;
  }

  export interface Discovery {
    flushed(): Promise<void>;
    destroy(): Promise<void>;
    /** Options CHANGE the session's roles (server: false stops announcing); omit them to re-run the lookup. */
    refresh(opts?: { client?: boolean; server?: boolean }): Promise<boolean | undefined>;
  }

  export interface SwarmOptions {
    dht?: HyperDHT;
    bootstrap?: Array<string | { host: string; port: number }>;
    keyPair?: { publicKey: Uint8Array; secretKey: Uint8Array };
    /** Return TRUE to REJECT the peer (hyperswarm bans a rejected key until `ban(false)`). */
    /** `payload` is the remote's handshake payload for an incoming connection, null for one this swarm dials. */
    firewall?: (remotePublicKey: Buffer, payload: unknown) => boolean;
    maxPeers?: number;
    /** Client dials in flight at once (default 3); explicit peers (joinPeer) wait in the same queue. */
    maxParallel?: number;
  }

  export default class Hyperswarm extends EventEmitter {
    constructor(opts?: SwarmOptions);
    readonly keyPair: { publicKey: Buffer; secretKey: Buffer };
    readonly connections: Set<SwarmConnection>;
    readonly peers: Map<string, PeerInfo>;
    readonly dht: HyperDHT;
    readonly stats: {
      connects: {
        client: { attempted: number; opened: number; closed: number };
        server: { opened: number; closed: number };
      };
    };
    join(topic: Uint8Array, opts?: { server?: boolean; client?: boolean }): Discovery;
    leave(topic: Uint8Array): Promise<void>;
    joinPeer(publicKey: Uint8Array): void;
    leavePeer(publicKey: Uint8Array): void;
    flush(): Promise<void>;
    listen(): Promise<void>;
    destroy(): Promise<void>;
    on(event: 'connection', listener: (conn: SwarmConnection, info: PeerInfo) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
}
