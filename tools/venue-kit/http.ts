import { AppError } from '../../shared/errors.ts';
import { type Clock, systemClock } from '../../shared/ports/clock.ts';
import { signPrinterRequest } from '../../shared/protocol/printer-auth.ts';

/**
 * The one HTTP helper for talking to a running coordinator or edge node from outside: the demo,
 * the emulation, the tests and the benches. A request never waits longer than its timeout: a stalled
 * server fails the caller with a message instead of hanging a whole run.
 */
export const KIT_HTTP_TIMEOUT_MS = 30_000;

export interface HttpAnswer<T> {
  status: number;
  body: T;
}

export interface RequestOptions {
  /** Sent as `authorization: Bearer <token>`. */
  token?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as multipart/form-data (instead of `body`). */
  form?: FormData;
  timeoutMs?: number;
}

/** One request; the answer's body is parsed when it is JSON, `{}` otherwise. Redirects are not followed. */
export async function api<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, {
    method,
    headers,
    body: opts.form ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
    redirect: 'manual',
    signal: AbortSignal.timeout(opts.timeoutMs ?? KIT_HTTP_TIMEOUT_MS),
  });
  return { status: res.status, body: await jsonBody<T>(res) };
}

async function jsonBody<T>(res: Response): Promise<T> {
  const text = await res.text();
  const json = text !== '' && (res.headers.get('content-type') ?? '').includes('json');
  return (json ? JSON.parse(text) : {}) as T;
}

/** Throws a coded error naming the step when the answer is not the one expected. */
export function expectStatus<T>(what: string, got: HttpAnswer<T>, want: number): T {
  if (got.status !== want) {
    throw new AppError(
      'venue_kit_step_failed',
      `Venue kit: ${what} answered ${got.status} (expected ${want}): ${JSON.stringify(got.body)}`,
    );
  }
  return got.body;
}

export interface UploadedImage {
  image: { id: string; sha256: string };
}

/** Uploads one photo as `token` (a photographer); the answer as it came. */
export function uploadImage(
  base: string,
  eventId: string,
  token: string,
  bytes: Buffer,
  fileName: string,
  timeoutMs?: number,
): Promise<HttpAnswer<UploadedImage>> {
  const form = new FormData();
  form.append('image', new Blob([bytes], { type: 'application/octet-stream' }), fileName);
  return api<UploadedImage>(base, 'POST', `/api/events/${eventId}/images`, { token, form, timeoutMs });
}

export interface PaidOrder {
  orderId: string;
  /** The redemption token a fan shows at a printer. */
  token: string;
  state: string;
}

/**
 * Places an order and pays it on the test gateway's hosted page (at `payAt`, another coordinator
 * of the same deployment if given), then reads the paid order back for its redemption token.
 */
export async function buyAndPay(
  base: string,
  eventId: string,
  items: ReadonlyArray<{ imageId: string; copies: number }>,
  payAt = base,
  timeoutMs?: number,
): Promise<PaidOrder> {
  const created = expectStatus(
    'placing an order',
    await api<{ order: { id: string }; checkoutUrl: string }>(base, 'POST', '/api/orders', {
      body: { eventId, items },
      timeoutMs,
    }),
    201,
  );
  const page = new URL(created.checkoutUrl).pathname;
  const paid = await fetch(payAt + page, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'outcome=pay',
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs ?? KIT_HTTP_TIMEOUT_MS),
  });
  await paid.arrayBuffer();
  if (paid.status !== 302) {
    throw new AppError('venue_kit_step_failed', `Venue kit: the payment page answered ${paid.status}.`);
  }
  const order = expectStatus(
    'reading the paid order',
    await api<{ order: { state: string }; redemption?: { token: string } }>(
      base,
      'GET',
      `/api/orders/${created.order.id}`,
      { timeoutMs },
    ),
    200,
  );
  const token = order.redemption?.token;
  if (!token) throw new AppError('venue_kit_step_failed', 'Venue kit: the paid order has no redemption token.');
  return { orderId: created.order.id, token, state: order.order.state };
}

/** A request signed with a printer's key, as an edge node makes it to the printer API. */
export async function printerApi<T = Record<string, unknown>>(
  base: string,
  keyPair: { publicKey: Uint8Array; secretKey: Uint8Array },
  method: string,
  path: string,
  body?: unknown,
  clock: Clock = systemClock,
): Promise<HttpAnswer<T>> {
  const raw = body === undefined ? '' : JSON.stringify(body);
  const headers: Record<string, string> = {
    ...signPrinterRequest(keyPair, method, path, Buffer.from(raw), clock.now()),
  };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : raw,
    signal: AbortSignal.timeout(KIT_HTTP_TIMEOUT_MS),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}
