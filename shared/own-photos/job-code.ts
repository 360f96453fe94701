import { createHash, timingSafeEqual } from 'node:crypto';
import type { Random } from '../ports/random.ts';
import { CROCKFORD_ALPHABET } from '../token/order-code.ts';

/**
 * The code and PIN of a fan's own-photo print job (JP7465442B2's user identification and PIN).
 * The code names the fan's jobs (several uploads from one phone share it); the 4-digit PIN proves
 * the person at the kiosk is the one who uploaded. The code alone reveals nothing: every lookup
 * needs both, and wrong PINs are limited per code and per printer (own-photo-pin-limiter.ts).
 */
export const OWN_PHOTO_CODE_CHARS = 6;
/** 6 Crockford characters: 30 bits, so live codes (hundreds at a venue) practically never collide. */
const CODE_BITS_PER_CHAR = 5;
export const OWN_PHOTO_PIN_DIGITS = 4;
/** Crockford's decoding aliases: the letters people type for the digits they resemble. */
const ALIASES: Readonly<Record<string, string>> = { O: '0', I: '1', L: '1' };
/** Longer input is never a code: a code with a space between every character fits. */
const MAX_TYPED_CODE_CHARS = 2 * OWN_PHOTO_CODE_CHARS;
/**
 * What the job's QR code holds: a prefix no order token can start with (tokens are Base45 without
 * a colon-separated prefix), then code and PIN. Upper case, digits and ':' only, so the QR uses its
 * compact alphanumeric mode.
 */
export const OWN_PHOTO_QR_PREFIX = 'PRINTJOB';
const CODE_RE = /^[0-9A-HJKMNP-TV-Z]{6}$/;
const PIN_RE = /^[0-9]{4}$/;

export function newOwnPhotoCode(random: Random): string {
  const bytes = random.bytes(4);
  let n = bytes.readUInt32BE(0);
  let out = '';
  for (let i = 0; i < OWN_PHOTO_CODE_CHARS; i++) {
    out += CROCKFORD_ALPHABET[n & 31]!;
    n >>>= CODE_BITS_PER_CHAR;
  }
  return out;
}

/** A uniformly random 4-digit PIN (rejection sampling: no digit string is likelier than another). */
export function newOwnPhotoPin(random: Random): string {
  const limit = 65_536 - (65_536 % 10_000);
  for (;;) {
    const n = random.bytes(2).readUInt16BE(0);
    if (n < limit) return String(n % 10_000).padStart(OWN_PHOTO_PIN_DIGITS, '0');
  }
}

/** "7k2-m9q", "7K2M9Q", "7K2MOQ" (O for zero) → "7K2M9Q"; null when it cannot be a job code. */
export function normalizeOwnPhotoCode(input: string): string | null {
  if (input.length > MAX_TYPED_CODE_CHARS) return null;
  const code = input
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/[OIL]/g, (c) => ALIASES[c]!);
  return CODE_RE.test(code) ? code : null;
}

export function isOwnPhotoPin(pin: string): boolean {
  return PIN_RE.test(pin);
}

export function ownPhotoQrText(code: string, pin: string): string {
  return `${OWN_PHOTO_QR_PREFIX}:${code}:${pin}`;
}

/** The code and PIN a scanned job QR holds; null for anything else (an order token, a stray scan). */
export function parseOwnPhotoQr(text: string): { code: string; pin: string } | null {
  const parts = text.trim().split(':');
  if (parts.length !== 3 || parts[0]!.toUpperCase() !== OWN_PHOTO_QR_PREFIX) return null;
  const code = normalizeOwnPhotoCode(parts[1]!);
  const pin = parts[2]!;
  return code && isOwnPhotoPin(pin) ? { code, pin } : null;
}

/**
 * The PIN is stored salted and hashed, never as typed. (Four digits are no secret against someone
 * holding the database; the hash keeps them out of backups and logs, the limiter keeps guessing slow.)
 */
export function hashOwnPhotoPin(pin: string, salt: string): string {
  return createHash('sha256').update(`own-photo-pin\0${salt}\0${pin}`).digest('hex');
}

export function ownPhotoPinMatches(pin: string, salt: string, expectedHash: string): boolean {
  if (!isOwnPhotoPin(pin)) return false;
  const actual = Buffer.from(hashOwnPhotoPin(pin, salt), 'hex');
  const expected = Buffer.from(expectedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** The phone's proof that it uploaded a job (a random secret in its cookie), stored hashed. */
export function hashOwnerSecret(secret: string): string {
  return createHash('sha256').update(`own-photo-owner\0${secret}`).digest('hex');
}
