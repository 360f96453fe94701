/**
 * Base45 (RFC 9285): the QR alphanumeric alphabet, so a token fills a QR code in alphanumeric mode
 * and a keyboard-wedge scanner can type it. Two bytes become three characters.
 */
export const BASE45_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const DECODE = new Map<string, number>([...BASE45_ALPHABET].map((c, i) => [c, i]));

export function encodeBase45(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 2) {
    const hi = bytes[i] as number;
    if (i + 1 < bytes.length) {
      let n = hi * 256 + (bytes[i + 1] as number);
      const c = n % 45;
      n = (n - c) / 45;
      const d = n % 45;
      const e = (n - d) / 45;
      out += BASE45_ALPHABET[c]! + BASE45_ALPHABET[d]! + BASE45_ALPHABET[e]!;
    } else {
      out += BASE45_ALPHABET[hi % 45]! + BASE45_ALPHABET[Math.floor(hi / 45)]!;
    }
  }
  return out;
}

/** Returns null (never throws) for text that is not valid Base45. */
export function decodeBase45(text: string): Uint8Array | null {
  if (text.length % 3 === 1) return null;
  const out = new Uint8Array(Math.floor(text.length / 3) * 2 + (text.length % 3 === 2 ? 1 : 0));
  let o = 0;
  for (let i = 0; i < text.length; i += 3) {
    const c = DECODE.get(text[i] as string);
    const d = DECODE.get(text[i + 1] as string);
    if (c === undefined || d === undefined) return null;
    if (i + 2 < text.length) {
      const e = DECODE.get(text[i + 2] as string);
      if (e === undefined) return null;
      const n = c + d * 45 + e * 45 * 45;
      if (n > 0xffff) return null;
      out[o++] = n >> 8;
      out[o++] = n & 0xff;
    } else {
      const n = c + d * 45;
      if (n > 0xff) return null;
      out[o++] = n;
    }
  }
  return out;
}
