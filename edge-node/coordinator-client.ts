import type { z } from 'zod';
import { AppError, isErrorCode } from '../shared/errors.ts';
import type { SeqRange } from '../shared/feed/seq-ranges.ts';
import type { Clock } from '../shared/ports/clock.ts';
import {
  type EventPhotographers,
  eventPhotographersSchema,
  type KioskPayments,
  type KioskSaleRequest,
  type KioskSaleView,
  type KioskTemplateFees,
  kioskPaymentsSchema,
  kioskSaleViewSchema,
  kioskTemplateFeesSchema,
} from '../shared/protocol/kiosk-sale.ts';
import {
  type ConfirmPrintedAnswer,
  confirmPrintedAnswerSchema,
  errorBodySchema,
  type OfflineReportOrder,
  type OfflineReportResult,
  offlineReportAnswerSchema,
  type PrinterProfile,
  type PrinterStatusReport,
  printerProfileSchema,
  type RedeemJob,
  type RedeemRequest,
  redeemJobSchema,
} from '../shared/protocol/printer-api.ts';
import { signPrinterRequest } from '../shared/protocol/printer-auth.ts';

// The wire types live in shared/protocol/printer-api.ts; re-exported for the modules that import them from here.
export type {
  OfflineReportOrder,
  OfflineReportResult,
  PrinterProfile,
  PrintUnitJob,
  RedeemJob,
} from '../shared/protocol/printer-api.ts';

/** Every call to the coordinator has a deadline: a stalled uplink must never stall a print. */
export const COORDINATOR_REQUEST_TIMEOUT_MS = 10_000;

/** The coordinator's error body, kept so the kiosk can show why. */
export class CoordinatorError extends AppError {
  /** A relayed error keeps the coordinator's status; a code this build does not know becomes `coordinator_error`. */
  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(isErrorCode(code) ? code : 'coordinator_error', message, details, { status });
    this.name = 'CoordinatorError';
  }
}

/**
 * Whether fetch() failed before any answer arrived: no connection, a reset, a DNS failure (undici
 * reports all as a TypeError "fetch failed" with the cause), or the deadline passed. Anything else
 * thrown by fetch is a bug here, not a missing cloud.
 */
function isNetworkFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return true;
  return err instanceof TypeError && err.message === 'fetch failed';
}

/** "feeds[0].head.blobsLength: expected number" for the first few issues of a failed parse. */
function describeMismatch(error: z.ZodError): { fields: string[]; text: string } {
  const issues = error.issues.slice(0, 3);
  const fields = issues.map((i) => (i.path.length ? i.path.map(String).join('.') : '(body)'));
  return { fields, text: issues.map((i, n) => `${fields[n]}: ${i.message}`).join('; ') };
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
    return this.#call('GET', '/api/printer/me', printerProfileSchema);
  }

  /** `timeoutMs`: how long to wait before calling the cloud unreachable (the fan is waiting). */
  redeem(token: string, opts: { timeoutMs?: number } = {}): Promise<RedeemJob> {
    const body: RedeemRequest = { token };
    return this.#call('POST', '/api/printer/redeem', redeemJobSchema, body, opts.timeoutMs);
  }

  /** A fan's typed 8-character order code: only the coordinator can tell whether it is an order. */
  redeemCode(code: string, opts: { timeoutMs?: number } = {}): Promise<RedeemJob> {
    const body: RedeemRequest = { code };
    return this.#call('POST', '/api/printer/redeem', redeemJobSchema, body, opts.timeoutMs);
  }

  /** Offline redemptions (issue #6), applied once each however often they are sent. */
  async reportOfflineRedemptions(orders: OfflineReportOrder[]): Promise<OfflineReportResult[]> {
    return (await this.#call('POST', '/api/printer/offline-redemptions', offlineReportAnswerSchema, { orders }))
      .results;
  }

  confirmPrinted(orderId: string, unit: number): Promise<ConfirmPrintedAnswer> {
    return this.#call(
      'POST',
      `/api/printer/orders/${encodeURIComponent(orderId)}/units/${unit}/printed`,
      confirmPrintedAnswerSchema,
    );
  }

  // --- kiosk sales (issue #13): the coordinator is the intermediary for phone and card payment ---

  kioskPayments(readerId: string | undefined, timeoutMs?: number): Promise<KioskPayments> {
    const query = readerId ? `?readerId=${encodeURIComponent(readerId)}` : '';
    return this.#call('GET', `/api/printer/kiosk-payments${query}`, kioskPaymentsSchema, undefined, timeoutMs);
  }

  eventPhotographers(eventId: string, timeoutMs?: number): Promise<EventPhotographers> {
    return this.#call(
      'GET',
      `/api/printer/events/${encodeURIComponent(eventId)}/photographers`,
      eventPhotographersSchema,
      undefined,
      timeoutMs,
    );
  }

  /** Issue #14: the event's frames offered now and their fee for the kiosk (a new customer). */
  kioskTemplateFees(eventId: string, timeoutMs?: number): Promise<KioskTemplateFees> {
    return this.#call(
      'GET',
      `/api/printer/events/${encodeURIComponent(eventId)}/template-fees`,
      kioskTemplateFeesSchema,
      undefined,
      timeoutMs,
    );
  }

  createKioskSale(request: KioskSaleRequest): Promise<KioskSaleView> {
    return this.#call('POST', '/api/printer/kiosk-sales', kioskSaleViewSchema, request);
  }

  kioskSale(saleId: string): Promise<KioskSaleView> {
    return this.#call('GET', `/api/printer/kiosk-sales/${encodeURIComponent(saleId)}`, kioskSaleViewSchema);
  }

  kioskSaleAction(saleId: string, action: 'cancel' | 'retry'): Promise<KioskSaleView> {
    return this.#call('POST', `/api/printer/kiosk-sales/${encodeURIComponent(saleId)}/${action}`, kioskSaleViewSchema);
  }

  kioskSalePrintFailed(saleId: string, reason: string): Promise<KioskSaleView> {
    return this.#call(
      'POST',
      `/api/printer/kiosk-sales/${encodeURIComponent(saleId)}/print-failed`,
      kioskSaleViewSchema,
      {
        reason: reason.slice(0, 200),
      },
    );
  }

  /** What this printer holds whole of an event, as catalog seq ranges (shared/feed/seq-ranges.ts). */
  async putHoldings(eventId: string, seqRanges: readonly SeqRange[]): Promise<void> {
    await this.#call('PUT', '/api/printer/holdings', null, { eventId, seqRanges });
  }

  /** The same as image ids, for a coordinator older than seq ranges. */
  async putHeldImageIds(eventId: string, imageIds: readonly string[]): Promise<void> {
    await this.#call('PUT', '/api/printer/holdings', null, { eventId, imageIds });
  }

  async putStatus(report: PrinterStatusReport): Promise<void> {
    await this.#call('PUT', '/api/printer/status', null, report);
  }

  async #call<S extends z.ZodType>(
    method: string,
    path: string,
    answer: S,
    body?: unknown,
    timeoutMs?: number,
  ): Promise<z.output<S>>;
  async #call(method: string, path: string, answer: null, body?: unknown, timeoutMs?: number): Promise<void>;
  async #call(
    method: string,
    path: string,
    answer: z.ZodType | null,
    body?: unknown,
    timeoutMs = COORDINATOR_REQUEST_TIMEOUT_MS,
  ): Promise<unknown> {
    const raw = body === undefined ? '' : JSON.stringify(body);
    const headers: Record<string, string> = {
      ...signPrinterRequest(this.#keyPair, method, path, Buffer.from(raw), this.#clock.now()),
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    // One deadline for the answer and its body: a body that stalls is as bad as no answer.
    const signal = AbortSignal.timeout(timeoutMs);
    let res: Response;
    try {
      res = await fetch(this.#base + path, { method, headers, body: body === undefined ? undefined : raw, signal });
    } catch (err) {
      if (!isNetworkFailure(err)) throw err;
      throw new CoordinatorError(
        503,
        'coordinator_unreachable',
        `The coordinator cannot be reached: ${(err as Error).message}`,
      );
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new AppError(
        'coordinator_answer_unreadable',
        `The coordinator's answer to ${method} ${path} broke off: ${(err as Error).message}`,
        { path, status: res.status },
        { cause: err },
      );
    }
    if (!res.ok) {
      const parsed = errorBodySchema.safeParse(parseJson(text));
      // Not our error body (a proxy's page): keep the status.
      const error = parsed.success ? parsed.data.error : { code: 'coordinator_error', message: `HTTP ${res.status}` };
      throw new CoordinatorError(res.status, error.code, error.message, 'details' in error ? error.details : undefined);
    }
    if (answer === null) return undefined;
    const json = parseJson(text);
    const parsed = answer.safeParse(json === NOT_JSON ? undefined : json);
    if (!parsed.success) {
      const mismatch = json === NOT_JSON ? { fields: ['(body)'], text: 'not JSON' } : describeMismatch(parsed.error);
      throw new AppError(
        'coordinator_answer_invalid',
        `The coordinator's answer to ${method} ${path} does not match the printer API: ${mismatch.text}`,
        { path, fields: mismatch.fields },
      );
    }
    return parsed.data;
  }
}

const NOT_JSON = Symbol('not JSON');

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return NOT_JSON;
  }
}
