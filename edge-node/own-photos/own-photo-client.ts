import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import {
  type OwnPhotoCheckoutAnswer,
  type OwnPhotoJobView,
  type OwnPhotoLookupAnswer,
  type OwnPhotoReleaseAnswer,
  ownPhotoCheckoutAnswerSchema,
  ownPhotoJobAnswerSchema,
  ownPhotoLookupAnswerSchema,
  ownPhotoReleaseAnswerSchema,
} from '../../shared/protocol/own-photo-api.ts';
import { type OwnPhotoCardSaleView, ownPhotoCardSaleAnswerSchema } from '../../shared/protocol/own-photo-card.ts';
import { errorBodySchema } from '../../shared/protocol/printer-api.ts';
import { signPrinterRequest } from '../../shared/protocol/printer-auth.ts';
import { COORDINATOR_REQUEST_TIMEOUT_MS, CoordinatorError } from '../coordinator-client.ts';

/** A photo of a job may be large (a phone's full-size JPEG): it gets longer than a JSON call. */
export const OWN_PHOTO_IMAGE_TIMEOUT_MS = 60_000;

/**
 * The printer API's own-photo routes (issue #13 item 3), signed with this printer's key like every
 * other printer request. Separate from CoordinatorClient so the feature stays in its own module.
 */
export class OwnPhotoClient {
  readonly #base: string;
  readonly #keyPair: { publicKey: Uint8Array; secretKey: Uint8Array };
  readonly #clock: Clock;

  constructor(opts: { baseUrl: string; keyPair: { publicKey: Uint8Array; secretKey: Uint8Array }; clock: Clock }) {
    this.#base = opts.baseUrl.replace(/\/$/, '');
    this.#keyPair = opts.keyPair;
    this.#clock = opts.clock;
  }

  lookup(code: string, pin: string): Promise<OwnPhotoLookupAnswer> {
    return this.#json('POST', '/api/printer/own-photos/lookup', ownPhotoLookupAnswerSchema, { code, pin });
  }

  async job(jobId: string): Promise<OwnPhotoJobView> {
    return (await this.#json('GET', `${jobPath(jobId)}`, ownPhotoJobAnswerSchema)).job;
  }

  checkout(jobId: string): Promise<OwnPhotoCheckoutAnswer> {
    return this.#json('POST', `${jobPath(jobId)}/checkout`, ownPhotoCheckoutAnswerSchema);
  }

  release(jobId: string): Promise<OwnPhotoReleaseAnswer> {
    return this.#json('POST', `${jobPath(jobId)}/release`, ownPhotoReleaseAnswerSchema);
  }

  async printed(jobId: string): Promise<OwnPhotoJobView> {
    return (await this.#json('POST', `${jobPath(jobId)}/printed`, ownPhotoJobAnswerSchema)).job;
  }

  async failed(jobId: string, reason: string): Promise<OwnPhotoJobView> {
    return (await this.#json('POST', `${jobPath(jobId)}/failed`, ownPhotoJobAnswerSchema, { reason })).job;
  }

  /** Authorises the job's fee on this station's card reader (own-photo-card-sales.ts at the coordinator). */
  async startCardSale(jobId: string, readerId: string, idempotencyKey: string): Promise<OwnPhotoCardSaleView> {
    const body = { readerId, idempotencyKey };
    return (await this.#json('POST', `${jobPath(jobId)}/card-sale`, ownPhotoCardSaleAnswerSchema, body)).sale;
  }

  async cardSale(saleId: string, action?: 'retry' | 'cancel'): Promise<OwnPhotoCardSaleView> {
    const path = `/api/printer/own-photos/card-sales/${encodeURIComponent(saleId)}${action ? `/${action}` : ''}`;
    return (await this.#json(action ? 'POST' : 'GET', path, ownPhotoCardSaleAnswerSchema)).sale;
  }

  thumbnail(jobId: string, n: number): Promise<Buffer> {
    return this.#bytes(`${jobPath(jobId)}/images/${n}/thumbnail`, COORDINATOR_REQUEST_TIMEOUT_MS);
  }

  /** One photo of a job released to this printer, checked against the hash the release named. */
  async image(jobId: string, n: number, sha256: string): Promise<Buffer> {
    const bytes = await this.#bytes(`${jobPath(jobId)}/images/${n}`, OWN_PHOTO_IMAGE_TIMEOUT_MS);
    if (createHash('sha256').update(bytes).digest('hex') !== sha256) {
      throw new AppError('image_mismatch', 'A photo of this print job arrived damaged; it was not printed.');
    }
    return bytes;
  }

  async #json<S extends z.ZodType>(method: string, path: string, answer: S, body?: unknown): Promise<z.output<S>> {
    const res = await this.#send(method, path, body, COORDINATOR_REQUEST_TIMEOUT_MS);
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = answer.safeParse(json);
    if (!parsed.success) {
      throw new AppError(
        'coordinator_answer_invalid',
        `The coordinator's answer to ${method} ${path} does not match the printer API.`,
        { path },
      );
    }
    return parsed.data;
  }

  async #bytes(path: string, timeoutMs: number): Promise<Buffer> {
    const res = await this.#send('GET', path, undefined, timeoutMs);
    return Buffer.from(await res.arrayBuffer());
  }

  /** A signed request; a refusal becomes a CoordinatorError with the coordinator's code. */
  async #send(method: string, path: string, body: unknown, timeoutMs: number): Promise<Response> {
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
    if (res.ok) return res;
    let json: unknown;
    try {
      json = JSON.parse(await res.text());
    } catch {
      json = undefined;
    }
    const parsed = errorBodySchema.safeParse(json);
    const error = parsed.success ? parsed.data.error : { code: 'coordinator_error', message: `HTTP ${res.status}` };
    throw new CoordinatorError(res.status, error.code, error.message, 'details' in error ? error.details : undefined);
  }
}

function jobPath(jobId: string): string {
  return `/api/printer/own-photos/jobs/${encodeURIComponent(jobId)}`;
}
