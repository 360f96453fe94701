import { createHash } from 'node:crypto';
import type { Context, Next } from 'koa';
import { AppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { PrinterReplayGuard, verifyPrinterRequest } from '../../shared/protocol/printer-auth.ts';
import type { Store } from '../store/port.ts';
import type { CredentialRecord, CredentialRole, PrinterRecord } from '../store/records.ts';
import { SESSION_COOKIE, type SessionSealer, type StaffSession } from './session-cookie.ts';

export const PRINTER_SEEN_WRITE_INTERVAL_MS = 10_000;

/** Methods a browser may send cross-site without harm: they change nothing. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface StaffIdentity {
  role: CredentialRole;
  name: string;
  /** The credential's public id (never its token hash). */
  credentialId: string;
  /** Bearer header (scripts, CLIs) or the sign-in cookie (browsers). */
  via: 'bearer' | 'session';
  /** What the person typed as their name at sign-in, when they did. */
  label: string | null;
}

export function hashBearerToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * The id under which operators see and revoke a credential: derived one-way from the token hash, so
 * listing credentials leaks neither tokens nor their hashes (an operator-chosen token may be weak
 * enough to brute-force from its hash).
 */
export function credentialIdOf(tokenHash: string): string {
  return createHash('sha256').update(`vpm-credential-id:${tokenHash}`).digest('hex').slice(0, 24);
}

function bearerToken(ctx: Context): string | null {
  const header = ctx.get('authorization');
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match ? match[1]! : null;
}

/** What the sign-in cookie of this request holds, once opened by staffSessions(). */
interface SessionState {
  session: StaffSession;
  /** The request came from one of our own pages (checked for every cookie-authenticated write). */
  sameOrigin: boolean;
}

/**
 * Whether a request was sent by a page of this site. Sec-Fetch-Site is set by the browser and cannot
 * be forged by a page; browsers too old to send it send Origin with every unsafe request. A request
 * with neither did not come from a browser page of ours, so a cookie on it is not trusted for writes.
 */
export function isSameOriginRequest(
  headers: { secFetchSite: string | undefined; origin: string | undefined },
  ownOrigins: readonly string[],
): boolean {
  if (headers.secFetchSite) return headers.secFetchSite === 'same-origin';
  if (headers.origin) return ownOrigins.includes(headers.origin);
  return false;
}

/** The origins this coordinator's pages are served from: the public URL, and the Host asked for. */
export function ownOrigins(ctx: Context, publicUrl: string): string[] {
  const origins = [`${ctx.protocol}://${ctx.host}`];
  try {
    origins.push(new URL(publicUrl).origin);
  } catch {
    // A malformed public URL adds nothing; the request's own origin still counts.
  }
  return origins;
}

export function requestSameOrigin(ctx: Context, publicUrl: string): boolean {
  return isSameOriginRequest(
    { secFetchSite: ctx.get('sec-fetch-site') || undefined, origin: ctx.get('origin') || undefined },
    ownOrigins(ctx, publicUrl),
  );
}

/** Opens the sign-in cookie once per request; requireStaff decides what it is worth. */
export function staffSessions(opts: { sealer: SessionSealer; clock: Clock; publicUrl: string }) {
  return async function openSession(ctx: Context, next: Next): Promise<void> {
    const value = ctx.cookies.get(SESSION_COOKIE);
    const session = value ? opts.sealer.open(value, opts.clock.now()) : null;
    if (session) {
      ctx.state.staffSession = {
        session,
        sameOrigin: requestSameOrigin(ctx, opts.publicUrl),
      } satisfies SessionState;
    }
    await next();
  };
}

/** When this request's sign-in cookie expires; null when it did not come with one. */
export function sessionExpiresAt(ctx: Context): number | null {
  return (ctx.state.staffSession as SessionState | undefined)?.session.expiresAt ?? null;
}

function identityOf(credential: CredentialRecord, via: StaffIdentity['via'], label: string | null): StaffIdentity {
  return {
    role: credential.role,
    name: credential.name,
    credentialId: credentialIdOf(credential.tokenHash),
    via,
    label,
  };
}

/**
 * Who is asking: a bearer token, else the sign-in cookie. The credential is read from the store on
 * every request, so a revoked credential loses access at once, signed-in browsers included.
 * No credential → 401 auth_required; unknown or revoked → 401 auth_invalid.
 */
export async function resolveStaff(ctx: Context, store: Store): Promise<StaffIdentity> {
  const token = bearerToken(ctx);
  const sessionState = ctx.state.staffSession as SessionState | undefined;
  if (!token && !sessionState) {
    throw new AppError('auth_required', 'Sign in at /signin, or send "Authorization: Bearer <token>".');
  }
  const tokenHash = token ? hashBearerToken(token) : sessionState!.session.tokenHash;
  const credential = await store.getCredential(tokenHash);
  if (!credential || credential.revokedAt !== null) {
    throw new AppError('auth_invalid', 'This token is unknown or revoked: sign in with a current one.');
  }
  return token
    ? identityOf(credential, 'bearer', null)
    : identityOf(credential, 'session', sessionState!.session.label);
}

export function roleForbidden(roles: readonly CredentialRole[], role: CredentialRole): AppError {
  return new AppError('role_forbidden', `This needs the ${roles.join(' or ')} role; you are ${role}.`);
}

/**
 * Staff routes: a bearer token or the sign-in cookie of a stored credential with one of `roles`.
 * No credential → 401; a valid one of the wrong role → 403. Fans have neither.
 * A write authenticated by cookie must come from our own pages (CSRF), else 403 cross_site_refused.
 */
export function requireStaff(store: Store, roles: readonly CredentialRole[]) {
  return async function staffOnly(ctx: Context, next: Next): Promise<void> {
    const staff = await resolveStaff(ctx, store);
    if (staff.via === 'session' && !SAFE_METHODS.has(ctx.method)) {
      const state = ctx.state.staffSession as SessionState;
      if (!state.sameOrigin) {
        throw new AppError(
          'cross_site_refused',
          'This change did not come from a page of this site; reload the page and try again.',
        );
      }
    }
    if (!roles.includes(staff.role)) throw roleForbidden(roles, staff.role);
    ctx.state.staff = staff;
    await next();
  };
}

/**
 * Printer routes: every request is signed with the printer's Ed25519 key (shared/protocol/printer-auth.ts).
 * A bad or missing signature → 401; a signature from a key that is not paired, or was revoked → 403.
 * Needs the raw body, so it runs after the body parser (which keeps ctx.request.rawBody).
 */
export function requirePrinter(store: Store, clock: Clock) {
  const replays = new PrinterReplayGuard();
  return async function printerOnly(ctx: Context, next: Next): Promise<void> {
    const raw = (ctx.request as { rawBody?: string }).rawBody ?? '';
    const check = verifyPrinterRequest(ctx.headers, ctx.method, ctx.url, Buffer.from(raw), clock.now());
    if (!check.ok) {
      const why: Record<typeof check.reason, string> = {
        missing: 'Printer requests must be signed (x-vpm-printer, x-vpm-timestamp, x-vpm-signature).',
        malformed: 'The printer signature headers are malformed.',
        stale: "The request timestamp is too far from the coordinator's clock: check the printer's time.",
        bad_signature: 'The printer signature does not match the request.',
      };
      throw new AppError(`printer_auth_${check.reason}`, why[check.reason]);
    }
    const printer = await store.getPrinter(check.printerKey);
    if (!printer) throw new AppError('printer_not_paired', 'This printer is not paired: ask an operator to pair it.');
    if (printer.revokedAt !== null) throw new AppError('printer_revoked', 'This printer was revoked by an operator.');
    // After the pairing check: only paired printers' requests take room in the memory of nonces.
    if (!replays.firstUse(check, clock.now())) throw new AppError('printer_auth_replayed');
    ctx.state.printer = printer satisfies PrinterRecord;
    const now = clock.now();
    // "Last seen" is for operators, minute-grained; writing it on every call would add a durable
    // commit to every printer request.
    if (printer.lastSeenAt === null || now - printer.lastSeenAt >= PRINTER_SEEN_WRITE_INTERVAL_MS) {
      await store.touchPrinter(printer.id, now);
    }
    await next();
  };
}
