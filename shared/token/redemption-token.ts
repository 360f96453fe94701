import crypto from 'hypercore-crypto';
import { decodeBase45, encodeBase45 } from './base45.ts';
import { ORDER_CODE_BYTES, orderCodeFromBytes, orderCodeToBytes } from './order-code.ts';

/**
 * Redemption token, format v1 (73 bytes, 110 Base45 characters):
 *
 *   byte 0      version (3 high bits, = 1) | signing key id (5 low bits, 0..31, for rotation)
 *   bytes 1-3   expiry, whole minutes since TOKEN_EPOCH_MS, unsigned big-endian
 *   bytes 4-8   order code (40 bits)
 *   bytes 9-72  Ed25519 signature over TOKEN_SIGNING_DOMAIN ‖ bytes 0-8
 *
 * Ed25519 signatures are 64 bytes, so the payload is squeezed to 9 bytes to keep the QR code
 * small and typeable by slow keyboard-wedge scanners.
 */
export const TOKEN_VERSION = 1;
export const TOKEN_EPOCH_MS = Date.UTC(2025, 0, 1);
export const TOKEN_MAX_KEY_ID = 31;
const HEADER_BYTES = 1 + 3 + ORDER_CODE_BYTES;
const SIGNATURE_BYTES = 64;
export const TOKEN_BYTES = HEADER_BYTES + SIGNATURE_BYTES;
/** Base45 length of a token: three characters per two bytes, two for the odd last byte. */
export const TOKEN_TEXT_CHARS = Math.floor(TOKEN_BYTES / 2) * 3 + (TOKEN_BYTES % 2) * 2;
const MAX_EXPIRY_MINUTES = 0xffffff;
const TOKEN_SIGNING_DOMAIN = Buffer.from('venue-print-mesh/redemption-token/v1\n');

export interface SigningKey {
  keyId: number;
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export interface TokenClaims {
  orderCode: string;
  /** Milliseconds since the Unix epoch, rounded down to the minute. */
  expiresAt: number;
  keyId: number;
}

export type TokenRejection = 'malformed' | 'unsupported_version' | 'unknown_key' | 'bad_signature' | 'expired';

export type TokenVerification =
  | { ok: true; claims: TokenClaims }
  | { ok: false; reason: TokenRejection; message: string };

export function generateSigningKey(keyId: number): SigningKey {
  assertKeyId(keyId);
  const { publicKey, secretKey } = crypto.keyPair();
  return { keyId, publicKey, secretKey };
}

export function signRedemptionToken(orderCode: string, expiresAt: number, key: SigningKey): string {
  assertKeyId(key.keyId);
  const code = orderCodeToBytes(orderCode);
  if (!code) throw new RangeError(`not an order code: ${orderCode}`);
  const minutes = Math.floor((expiresAt - TOKEN_EPOCH_MS) / 60_000);
  if (minutes < 0 || minutes > MAX_EXPIRY_MINUTES) throw new RangeError('token expiry is out of range');
  const header = Buffer.alloc(HEADER_BYTES);
  header[0] = (TOKEN_VERSION << 5) | key.keyId;
  header.writeUIntBE(minutes, 1, 3);
  header.set(code, 4);
  const signature = crypto.sign(Buffer.concat([TOKEN_SIGNING_DOMAIN, header]), key.secretKey);
  return encodeBase45(Buffer.concat([header, signature]));
}

/**
 * The token as typed, scanned or pasted, without the whitespace around it. Not a plain trim(): the
 * space is a Base45 character, and a genuine token starts with one whenever its first two bytes
 * (key id, expiry high byte) are ≡ 36 mod 45 — e.g. key 3 with an expiry between Nov 2028 and Jan 2029.
 * Its last character never is (it encodes the last byte's high part, 0–5), so trailing blanks are padding.
 */
export function normalizeRedemptionCode(code: string): string {
  const text = code.trimEnd().toUpperCase();
  const leading = text.length - text.trimStart().length;
  // Only as much leading whitespace as makes the text longer than a token: the rest is the token's.
  return text.slice(Math.min(leading, Math.max(0, text.length - TOKEN_TEXT_CHARS)));
}

/**
 * Verifies a token offline. `publicKeys` maps key id → Ed25519 public key (the coordinator's
 * current and recently rotated keys). Never throws on bad input.
 */
export function verifyRedemptionToken(
  token: string,
  publicKeys: ReadonlyMap<number, Uint8Array>,
  now: number,
): TokenVerification {
  const text = typeof token === 'string' ? normalizeRedemptionCode(token) : '';
  const bytes = text.length === 0 || text.length > 200 ? null : decodeBase45(text);
  if (!bytes || bytes.length !== TOKEN_BYTES) {
    return { ok: false, reason: 'malformed', message: 'This is not a redemption code from this system.' };
  }
  const version = bytes[0]! >> 5;
  const keyId = bytes[0]! & 0x1f;
  if (version !== TOKEN_VERSION) {
    return {
      ok: false,
      reason: 'unsupported_version',
      message: `Redemption code version ${version} is not supported.`,
    };
  }
  const publicKey = publicKeys.get(keyId);
  if (!publicKey) {
    return {
      ok: false,
      reason: 'unknown_key',
      message: `The code was signed with key ${keyId}, which this printer does not know: it is from another system or the printer's keys are out of date.`,
    };
  }
  const header = bytes.subarray(0, HEADER_BYTES);
  const signature = bytes.subarray(HEADER_BYTES);
  if (!crypto.verify(Buffer.concat([TOKEN_SIGNING_DOMAIN, header]), signature, publicKey)) {
    return {
      ok: false,
      reason: 'bad_signature',
      message: 'The code has been altered or was not issued by this system.',
    };
  }
  const expiresAt = TOKEN_EPOCH_MS + Buffer.from(header).readUIntBE(1, 3) * 60_000;
  const orderCode = orderCodeFromBytes(header.subarray(4, 4 + ORDER_CODE_BYTES));
  if (now >= expiresAt) {
    return {
      ok: false,
      reason: 'expired',
      message: `The code expired at ${new Date(expiresAt).toISOString()}; ask staff for help.`,
    };
  }
  return { ok: true, claims: { orderCode, expiresAt, keyId } };
}

function assertKeyId(keyId: number): void {
  if (!Number.isInteger(keyId) || keyId < 0 || keyId > TOKEN_MAX_KEY_ID) {
    throw new RangeError(`signing key id must be 0..${TOKEN_MAX_KEY_ID}`);
  }
}
