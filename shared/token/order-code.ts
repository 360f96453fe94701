import { randomBytes } from 'node:crypto';

/**
 * The short order code carried in a redemption token: 40 random bits, written in Crockford
 * Base32 (8 characters, no I/L/O/U) so a person can read it aloud or type it. The token's
 * signature, not the code's secrecy, is what makes a token unforgeable.
 */
export const ORDER_CODE_BYTES = 5;
export const ORDER_CODE_CHARS = 8;
/** The 32 characters a code is written in, in value order (the kiosk's keypad shows them). */
export const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CROCKFORD = CROCKFORD_ALPHABET;
/** Crockford's decoding aliases: the letters people type for the digits they resemble. */
const CROCKFORD_ALIASES: Readonly<Record<string, string>> = { O: '0', I: '1', L: '1' };
/** Longer input is never a code (and is not worth normalising): a code with a space between every character fits. */
const MAX_TYPED_CODE_CHARS = 2 * ORDER_CODE_CHARS;

export function orderCodeFromBytes(bytes: Uint8Array): string {
  if (bytes.length !== ORDER_CODE_BYTES) throw new RangeError(`order code needs ${ORDER_CODE_BYTES} bytes`);
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = '';
  for (let i = 0; i < 8; i++) {
    out = CROCKFORD[Number(n & 31n)]! + out;
    n >>= 5n;
  }
  return out;
}

export function orderCodeToBytes(code: string): Uint8Array | null {
  if (!/^[0-9A-HJKMNP-TV-Z]{8}$/.test(code)) return null;
  let n = 0n;
  for (const c of code) n = (n << 5n) | BigInt(CROCKFORD.indexOf(c));
  const out = new Uint8Array(ORDER_CODE_BYTES);
  for (let i = ORDER_CODE_BYTES - 1; i >= 0; i--) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

/**
 * A code as a person typed or read it ("7k2m-9qxd", "7K2M 9QXD", "7K2MOQXD" with an O for a zero)
 * in its canonical form, or null when it cannot be an order code. Upper-cases, drops spaces and
 * dashes, and maps Crockford's aliases (O→0, I/L→1); U and other characters are not codes.
 */
export function normalizeOrderCode(input: string): string | null {
  if (input.length > MAX_TYPED_CODE_CHARS) return null;
  const code = input
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/[OIL]/g, (c) => CROCKFORD_ALIASES[c]!);
  return orderCodeToBytes(code) ? code : null;
}

export function newOrderCode(): string {
  return orderCodeFromBytes(randomBytes(ORDER_CODE_BYTES));
}
