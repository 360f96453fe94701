import {
  api,
  buyAndPay,
  expectStatus,
  KIT_HTTP_TIMEOUT_MS,
  type PaidOrder,
  type RequestOptions,
  uploadImage,
} from './http.ts';

/** What an event sells at (the coordinator's price list). */
export interface PriceList {
  currency: string;
  unitPriceCents: number;
  bundles: Array<{ copies: number; priceCents: number }>;
}

export interface EventInput {
  venueId: string;
  name: string;
  startsAt: number;
  endsAt: number;
  priceList: PriceList;
}

export interface VenueRef {
  id: string;
}

export interface EventRef {
  id: string;
  venueId: string;
}

/**
 * The operator's and the fan's side of one coordinator, typed: each call checks the status the
 * step must answer with and throws a coded error naming the step otherwise.
 */
export class AdminClient {
  readonly base: string;
  readonly #timeoutMs: number | undefined;

  constructor(base: string, opts: { timeoutMs?: number } = {}) {
    this.base = base;
    this.#timeoutMs = opts.timeoutMs;
  }

  request<T>(method: string, path: string, opts: RequestOptions = {}) {
    return api<T>(this.base, method, path, { timeoutMs: this.#timeoutMs, ...opts });
  }

  async createVenue(operator: string, name: string): Promise<VenueRef> {
    const res = await this.request<{ venue: VenueRef }>('POST', '/api/venues', { token: operator, body: { name } });
    return expectStatus('creating the venue', res, 201).venue;
  }

  async createEvent(operator: string, input: EventInput): Promise<EventRef> {
    const res = await this.request<{ event: EventRef }>('POST', '/api/events', { token: operator, body: input });
    return expectStatus('creating the event', res, 201).event;
  }

  /** A new staff credential; its bearer token. */
  async createCredential(operator: string, role: 'photographer' | 'operator', name: string): Promise<string> {
    const res = await this.request<{ token: string }>('POST', '/api/credentials', {
      token: operator,
      body: { role, name },
    });
    return expectStatus(`creating the ${role} credential`, res, 201).token;
  }

  async uploadImage(eventId: string, photographer: string, bytes: Buffer, fileName: string) {
    const res = await uploadImage(this.base, eventId, photographer, bytes, fileName, this.#timeoutMs);
    return expectStatus(`uploading ${fileName}`, res, 201).image;
  }

  /**
   * Pairs a printer by its pairing code (its public key), as an operator does from the console,
   * with the card reader assigned to its station if it has one.
   */
  async pairPrinter(
    operator: string,
    venueId: string,
    pairingCode: string,
    name: string,
    cardReaderId?: string,
  ): Promise<void> {
    const res = await this.request('POST', `/api/venues/${venueId}/printers`, {
      token: operator,
      body: { publicKey: pairingCode, name, ...(cardReaderId ? { cardReaderId } : {}) },
    });
    expectStatus(`pairing printer ${name}`, res, 201);
  }

  buyAndPay(eventId: string, items: ReadonlyArray<{ imageId: string; copies: number }>): Promise<PaidOrder> {
    return buyAndPay(this.base, eventId, items, this.base, this.#timeoutMs);
  }

  /** The order as the fan's page reads it (state, 8-character code). */
  async order(orderId: string): Promise<{ order: { id: string; code: string; state: string } }> {
    const res = await api<{ order: { id: string; code: string; state: string } }>(
      this.base,
      'GET',
      `/api/orders/${encodeURIComponent(orderId)}`,
      { timeoutMs: this.#timeoutMs },
    );
    return expectStatus(`reading order ${orderId}`, res, 200);
  }

  /** The order's redemption QR code, PNG. */
  async orderQrPng(orderId: string): Promise<Buffer> {
    const res = await fetch(`${this.base}/api/orders/${orderId}/qr.png`, {
      signal: AbortSignal.timeout(this.#timeoutMs ?? KIT_HTTP_TIMEOUT_MS),
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    expectStatus(`fetching the QR code of order ${orderId}`, { status: res.status, body: {} }, 200);
    return bytes;
  }
}
