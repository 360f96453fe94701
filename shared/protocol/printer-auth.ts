import { createHash } from 'node:crypto';
import crypto from 'hypercore-crypto';

/**
 * Printer API authentication. Each edge node signs every request with the Ed25519 key pair it
 * generated on first start (the same key that identifies it on the swarm). No shared secret ever
 * leaves the printer; the coordinator only stores public keys of paired printers.
 *
 * Signed text: "vpm-printer-request/v1\n" METHOD "\n" PATH?QUERY "\n" TIMESTAMP_MS "\n" sha256hex(body)
 */
export const PRINTER_KEY_HEADER = 'x-vpm-printer';
export const PRINTER_TIMESTAMP_HEADER = 'x-vpm-timestamp';
export const PRINTER_SIGNATURE_HEADER = 'x-vpm-signature';
/** How far a request's timestamp may be from the coordinator's clock. */
export const PRINTER_CLOCK_SKEW_MS = 120_000;

export type SignedHeaders = Record<
  typeof PRINTER_KEY_HEADER | typeof PRINTER_TIMESTAMP_HEADER | typeof PRINTER_SIGNATURE_HEADER,
  string
>;

function signedText(method: string, pathWithQuery: string, timestamp: number, body: Uint8Array): Buffer {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return Buffer.from(`vpm-printer-request/v1\n${method.toUpperCase()}\n${pathWithQuery}\n${timestamp}\n${bodyHash}`);
}

export function signPrinterRequest(
  keyPair: { publicKey: Uint8Array; secretKey: Uint8Array },
  method: string,
  pathWithQuery: string,
  body: Uint8Array,
  now: number,
): SignedHeaders {
  const signature = crypto.sign(signedText(method, pathWithQuery, now, body), keyPair.secretKey);
  return {
    [PRINTER_KEY_HEADER]: Buffer.from(keyPair.publicKey).toString('hex'),
    [PRINTER_TIMESTAMP_HEADER]: String(now),
    [PRINTER_SIGNATURE_HEADER]: Buffer.from(signature).toString('hex'),
  };
}

export type PrinterAuthCheck =
  | { ok: true; printerKey: string }
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
  const timestamp = Number(ts);
  if (Math.abs(now - timestamp) > PRINTER_CLOCK_SKEW_MS) return { ok: false, reason: 'stale' };
  const valid = crypto.verify(
    signedText(method, pathWithQuery, timestamp, body),
    Buffer.from(sig, 'hex'),
    Buffer.from(key, 'hex'),
  );
  return valid ? { ok: true, printerKey: key } : { ok: false, reason: 'bad_signature' };
}
