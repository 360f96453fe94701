import { randomBytes } from 'node:crypto';

/**
 * The short order code carried in a redemption token: 40 random bits, written in Crockford
 * Base32 (8 characters, no I/L/O/U) so a person can read it aloud or type it. The token's
 * signature, not the code's secrecy, is what makes a token unforgeable.
 */
export const ORDER_CODE_BYTES = 5;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

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

export function newOrderCode(): string {
  return orderCodeFromBytes(randomBytes(ORDER_CODE_BYTES));
}
