import { createHash, randomBytes } from 'node:crypto';
import crypto from 'hypercore-crypto';

/**
 * Printer API authentication. Each edge node signs every request with the Ed25519 key pair it
 * generated on first start (the same key that identifies it on the swarm). No shared secret ever
 * leaves the printer; the coordinator only stores public keys of paired printers.
 *
 * Signed text: "vpm-printer-request/v2\n" METHOD "\n" PATH?QUERY "\n" TIMESTAMP_MS "\n" NONCE "\n" sha256hex(body)
 * (v1, from printers that send no nonce, lacks the NONCE line). The coordinator remembers each
 * nonce (v1: each signature) for the skew window, so a captured request cannot be sent again.
 */
export const PRINTER_KEY_HEADER = 'x-vpm-printer';
export const PRINTER_TIMESTAMP_HEADER = 'x-vpm-timestamp';
export const PRINTER_SIGNATURE_HEADER = 'x-vpm-signature';
export const PRINTER_NONCE_HEADER = 'x-vpm-nonce';
const NONCE_PATTERN = /^[0-9a-f]{32}$/;
/** How far a request's timestamp may be from the coordinator's clock. */
export const PRINTER_CLOCK_SKEW_MS = 120_000;

export type SignedHeaders = Record<
  | typeof PRINTER_KEY_HEADER
  | typeof PRINTER_TIMESTAMP_HEADER
  | typeof PRINTER_SIGNATURE_HEADER
  | typeof PRINTER_NONCE_HEADER,
  string
>;

function signedText(
  method: string,
  pathWithQuery: string,
  timestamp: number,
  nonce: string | null,
  body: Uint8Array,
): Buffer {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  const head = `${method.toUpperCase()}\n${pathWithQuery}\n${timestamp}`;
  return Buffer.from(
    nonce === null
      ? `vpm-printer-request/v1\n${head}\n${bodyHash}`
      : `vpm-printer-request/v2\n${head}\n${nonce}\n${bodyHash}`,
  );
}

export function signPrinterRequest(
  keyPair: { publicKey: Uint8Array; secretKey: Uint8Array },
  method: string,
  pathWithQuery: string,
  body: Uint8Array,
  now: number,
  nonce: string = randomBytes(16).toString('hex'),
): SignedHeaders {
  const signature = crypto.sign(signedText(method, pathWithQuery, now, nonce, body), keyPair.secretKey);
  return {
    [PRINTER_KEY_HEADER]: Buffer.from(keyPair.publicKey).toString('hex'),
    [PRINTER_TIMESTAMP_HEADER]: String(now),
    [PRINTER_NONCE_HEADER]: nonce,
    [PRINTER_SIGNATURE_HEADER]: Buffer.from(signature).toString('hex'),
  };
}

export type PrinterAuthCheck =
  | {
      ok: true;
      printerKey: string;
      timestamp: number /** Unique per request: the nonce, or a v1 signature. */;
      replayKey: string;
    }
  | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'bad_signature' };

/** Checks the signature only; whether the key belongs to a paired printer is the caller's question. */
export function verifyPrinterRequest(
  headers: Record<string, string | string[] | undefined>,
  method: string,
  pathWithQuery: string,
  body: Uint8Array,
  now: number,
): PrinterAuthCheck {
  const key = headers[PRINTER_KEY_HEADER];
  const ts = headers[PRINTER_TIMESTAMP_HEADER];
  const sig = headers[PRINTER_SIGNATURE_HEADER];
  if (key === undefined && ts === undefined && sig === undefined) return { ok: false, reason: 'missing' };
  if (typeof key !== 'string' || !/^[0-9a-f]{64}$/.test(key)) return { ok: false, reason: 'malformed' };
  if (typeof sig !== 'string' || !/^[0-9a-f]{128}$/.test(sig)) return { ok: false, reason: 'malformed' };
  if (typeof ts !== 'string' || !/^\d{1,16}$/.test(ts)) return { ok: false, reason: 'malformed' };
  const nonce = headers[PRINTER_NONCE_HEADER];
  if (nonce !== undefined && (typeof nonce !== 'string' || !NONCE_PATTERN.test(nonce))) {
    return { ok: false, reason: 'malformed' };
  }
  const timestamp = Number(ts);
  if (Math.abs(now - timestamp) > PRINTER_CLOCK_SKEW_MS) return { ok: false, reason: 'stale' };
  const valid = crypto.verify(
    signedText(method, pathWithQuery, timestamp, nonce ?? null, body),
    Buffer.from(sig, 'hex'),
    Buffer.from(key, 'hex'),
  );
  return valid
    ? { ok: true, printerKey: key, timestamp, replayKey: nonce ?? sig }
    : { ok: false, reason: 'bad_signature' };
}

/** Requests remembered at once; past it the oldest are forgotten (they are near their window's end). */
export const MAX_REMEMBERED_PRINTER_NONCES = 200_000;

/**
 * Signed requests seen within the skew window, per process. A request is accepted once: a copy
 * (captured on the network, or resent by a proxy) is refused until its timestamp is stale anyway.
 */
export class PrinterReplayGuard {
  /** `${printerKey}:${replayKey}` → when its timestamp leaves the window. */
  readonly #seen = new Map<string, number>();
  readonly #max: number;

  constructor(max = MAX_REMEMBERED_PRINTER_NONCES) {
    this.#max = max;
  }

  /** True the first time; false for a replay. */
  firstUse(check: { printerKey: string; replayKey: string; timestamp: number }, now: number): boolean {
    const id = `${check.printerKey}:${check.replayKey}`;
    const until = this.#seen.get(id);
    if (until !== undefined && until >= now) return false;
    if (this.#seen.size >= this.#max) this.#sweep(now);
    this.#seen.set(id, check.timestamp + PRINTER_CLOCK_SKEW_MS);
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }

  #sweep(now: number): void {
    for (const [id, until] of this.#seen) if (until < now) this.#seen.delete(id);
    // Still full: drop the oldest entries (insertion order), which expire first.
    for (const id of this.#seen.keys()) {
      if (this.#seen.size < this.#max) break;
      this.#seen.delete(id);
    }
  }
}
