import { AppError, isErrorCode } from '../shared/errors.ts';
import type { EventFeedDescriptor } from '../shared/feed/feed-layout.ts';
import type { OrdersFeedDescriptor } from '../shared/feed/orders-feed-layout.ts';
import type { Clock } from '../shared/ports/clock.ts';
import { signPrinterRequest } from '../shared/protocol/printer-auth.ts';

/** Every call to the coordinator has a deadline: a stalled uplink must never stall a print. */
export const COORDINATOR_REQUEST_TIMEOUT_MS = 10_000;

export interface PrinterProfile {
  printer: { id: string; venueId: string; name: string };
  venue: { id: string; name: string; topic: string };
  tokenKeys: Array<{ keyId: number; publicKey: string }>;
  feeds: Array<
    EventFeedDescriptor & {
      name: string;
      startsAt: number;
      endsAt: number;
      head: { blobsLength: number; catalogLength: number };
    }
  >;
  peers: {
    printers: Array<{
      id: string;
      name: string;
      lastSeenAt: number | null;
      /** Where the peer's DHT node listens (it is a bootstrap node for the venue when the cloud is gone). */
      dht?: { host: string; port: number };
    }>;
    coordinators: string[];
  };
  /** The venue's paid orders and the printers' claims (offline redemption); absent from older coordinators. */
  ordersFeed?: OrdersFeedDescriptor & { length: number };
}

/** One order claimed and printed with no cloud, as reported when the uplink returns. */
export interface OfflineReportOrder {
  orderId: string;
  claimedAt: number;
  mode: 'offline' | 'isolated';
  units: number[];
}

export interface OfflineReportResult {
  orderId: string;
  outcome: 'applied' | 'conflict' | 'nothing_printed';
  repeated: boolean;
  counted: number[];
  conflicts: Array<{ id: string; kind: string; units: number[] }>;
}

export interface PrintUnitJob {
  unit: number;
  imageId: string;
  copy: number;
  printed: boolean;
  lacking: boolean;
  image: {
    sha256: string;
    byteLength: number;
    width: number;
    height: number;
    mime: string;
    feed: { blockOffset: number; blockLength: number; byteOffset: number; byteLength: number } | null;
    seq: number | null;
  } | null;
}

export interface RedeemJob {
  order: {
    id: string;
    code: string;
    eventId: string;
    state: string;
    items: Array<{ imageId: string; copies: number }>;
    /** What the fan paid (the receipt prints it); sent by the coordinator's orderView. */
    totalCents?: number;
    currency?: string;
  };
  feed: EventFeedDescriptor;
  units: PrintUnitJob[];
  /** The order's redemption token (absent from older coordinators): a typed code's job resumes with it. */
  token?: string;
}

/** The coordinator's error body, kept so the kiosk can show why. */
export class CoordinatorError extends AppError {
  /** A relayed error keeps the coordinator's status; a code this build does not know becomes `coordinator_error`. */
  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(isErrorCode(code) ? code : 'coordinator_error', message, details, { status });
    this.name = 'CoordinatorError';
  }
}

/** The printer API, every request signed with this printer's key (shared/protocol/printer-auth.ts). */
export class CoordinatorClient {
  readonly #base: string;
  readonly #keyPair: { publicKey: Uint8Array; secretKey: Uint8Array };
  readonly #clock: Clock;

  constructor(opts: { baseUrl: string; keyPair: { publicKey: Uint8Array; secretKey: Uint8Array }; clock: Clock }) {
    this.#base = opts.baseUrl.replace(/\/$/, '');
    this.#keyPair = opts.keyPair;
    this.#clock = opts.clock;
  }

  me(): Promise<PrinterProfile> {
    return this.#call<PrinterProfile>('GET', '/api/printer/me');
  }

  /** `timeoutMs`: how long to wait before calling the cloud unreachable (the fan is waiting). */
  redeem(token: string, opts: { timeoutMs?: number } = {}): Promise<RedeemJob> {
    return this.#call<RedeemJob>('POST', '/api/printer/redeem', { token }, opts.timeoutMs);
  }

  /** A fan's typed 8-character order code: only the coordinator can tell whether it is an order. */
  redeemCode(code: string, opts: { timeoutMs?: number } = {}): Promise<RedeemJob> {
    return this.#call<RedeemJob>('POST', '/api/printer/redeem', { code }, opts.timeoutMs);
  }

  /** Offline redemptions (issue #6), applied once each however often they are sent. */
  async reportOfflineRedemptions(orders: OfflineReportOrder[]): Promise<OfflineReportResult[]> {
    return (
      await this.#call<{ results: OfflineReportResult[] }>('POST', '/api/printer/offline-redemptions', { orders })
    ).results;
  }

  confirmPrinted(orderId: string, unit: number): Promise<{ order: { state: string; printedCount: number } }> {
    return this.#call('POST', `/api/printer/orders/${encodeURIComponent(orderId)}/units/${unit}/printed`);
  }

  async putHoldings(eventId: string, imageIds: string[]): Promise<void> {
    await this.#call('PUT', '/api/printer/holdings', { eventId, imageIds });
  }

  async putStatus(report: Record<string, unknown>): Promise<void> {
    await this.#call('PUT', '/api/printer/status', report);
  }

  async #call<T>(method: string, path: string, body?: unknown, timeoutMs = COORDINATOR_REQUEST_TIMEOUT_MS): Promise<T> {
    const raw = body === undefined ? '' : JSON.stringify(body);
    const headers: Record<string, string> = {
      ...signPrinterRequest(this.#keyPair, method, path, Buffer.from(raw), this.#clock.now()),
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.#base + path, {
        method,
        headers,
        body: body === undefined ? undefined : raw,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new CoordinatorError(
        503,
        'coordinator_unreachable',
        `The coordinator cannot be reached: ${(err as Error).message}`,
      );
    }
    const text = await res.text();
    if (!res.ok) {
      let error: { code?: string; message?: string; details?: Record<string, unknown> } = {};
      try {
        error = (JSON.parse(text) as { error?: typeof error }).error ?? {};
      } catch {
        // not our JSON: keep the status
      }
      throw new CoordinatorError(
        res.status,
        error.code ?? 'coordinator_error',
        error.message ?? `HTTP ${res.status}`,
        error.details,
      );
    }
    return (text ? JSON.parse(text) : {}) as T;
  }
}
