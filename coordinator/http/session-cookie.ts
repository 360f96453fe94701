import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Staff sessions as sealed cookies (AES-256-GCM) rather than server-side session rows: several
 * coordinator instances behind one balancer all accept a cookie any of them issued, as long as they
 * share the session secret, and nothing has to be stored or expired. The cookie carries the
 * credential's token hash encrypted (a low-entropy operator token must not be brute-forceable from a
 * leaked cookie), so every request can re-read the credential and notice a revocation at once.
 */

export const SESSION_COOKIE = 'vpm_staff';
/** A signed-in browser must present the token again after this long. */
export const SESSION_TTL_MS = 12 * 3_600_000;
export const MAX_SESSION_LABEL_CHARS = 60;
/** The session secret must carry at least this much entropy; shorter ones are refused at start. */
export const MIN_SESSION_SECRET_CHARS = 32;

const SEAL_VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** A sealed cookie is far below this; anything longer is not ours and is not worth decrypting. */
const MAX_SEALED_CHARS = 1024;

export interface StaffSession {
  /** sha256 hex of the credential's bearer token (the store's key). */
  tokenHash: string;
  /** Who sits at the screen, as typed at sign-in (e.g. a name on a shared operator token). */
  label: string | null;
  issuedAt: number;
  expiresAt: number;
}

interface SealedPayload {
  h: string;
  l: string | null;
  i: number;
  e: number;
}

export class SessionSealer {
  readonly #key: Buffer;

  constructor(secret: string) {
    if (secret.length < MIN_SESSION_SECRET_CHARS) {
      throw new RangeError(`the session secret needs at least ${MIN_SESSION_SECRET_CHARS} characters`);
    }
    this.#key = Buffer.from(hkdfSync('sha256', secret, 'vpm-staff-session', SEAL_VERSION, 32));
  }

  seal(session: StaffSession): string {
    const payload: SealedPayload = {
      h: session.tokenHash,
      l: session.label,
      i: session.issuedAt,
      e: session.expiresAt,
    };
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(SEAL_VERSION));
    const body = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
    return `${SEAL_VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** The session inside a cookie value, or null when it is forged, damaged, foreign or expired. */
  open(value: string, now: number): StaffSession | null {
    if (value.length > MAX_SEALED_CHARS || !value.startsWith(`${SEAL_VERSION}.`)) return null;
    const raw = Buffer.from(value.slice(SEAL_VERSION.length + 1), 'base64url');
    if (raw.length <= IV_BYTES + TAG_BYTES) return null;
    let payload: unknown;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(SEAL_VERSION));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
      payload = JSON.parse(plain.toString('utf8'));
    } catch {
      return null;
    }
    if (!isSealedPayload(payload) || payload.e <= now) return null;
    return { tokenHash: payload.h, label: payload.l, issuedAt: payload.i, expiresAt: payload.e };
  }
}

function isSealedPayload(p: unknown): p is SealedPayload {
  const x = p as Partial<SealedPayload> | null;
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof x.h === 'string' &&
    (x.l === null || typeof x.l === 'string') &&
    typeof x.i === 'number' &&
    typeof x.e === 'number'
  );
}

export interface CookieOptions {
  /** Set when the browser reached us over https (directly or through a TLS-terminating proxy). */
  secure: boolean;
  /** Seconds; 0 deletes the cookie. */
  maxAgeSeconds: number;
}

/**
 * The Set-Cookie header of the session cookie: HttpOnly (page scripts never see it), SameSite=Strict
 * (no other site's page can make the browser send it), Path=/ (the pages and the JSON API share it).
 */
export function sessionCookieHeader(value: string, opts: CookieOptions): string {
  const parts = [
    `${SESSION_COOKIE}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.max(0, Math.floor(opts.maxAgeSeconds))}`,
  ];
  if (opts.secure) parts.push('Secure');
  return parts.join('; ');
}
