import { createHash } from 'node:crypto';
import type { Context, Next } from 'koa';
import { AppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { verifyPrinterRequest } from '../../shared/protocol/printer-auth.ts';
import type { Store } from '../store/port.ts';
import type { CredentialRole, PrinterRecord } from '../store/records.ts';

export const PRINTER_SEEN_WRITE_INTERVAL_MS = 10_000;

export interface StaffIdentity {
  role: CredentialRole;
  name: string;
}

export function hashBearerToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function bearerToken(ctx: Context): string | null {
  const header = ctx.get('authorization');
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match ? match[1]! : null;
}

/**
 * Staff routes: a bearer token whose hash is a stored credential with one of `roles`.
 * No token → 401; a valid token of the wrong role → 403. Fans have no token.
 */
export function requireStaff(store: Store, roles: readonly CredentialRole[]) {
  return async function staffOnly(ctx: Context, next: Next): Promise<void> {
    const token = bearerToken(ctx);
    if (!token) throw new AppError(401, 'auth_required', 'Sign in: send "Authorization: Bearer <token>".');
    const credential = await store.getCredential(hashBearerToken(token));
    if (!credential || credential.revokedAt !== null) {
      throw new AppError(401, 'auth_invalid', 'This token is unknown or revoked.');
    }
    if (!roles.includes(credential.role)) {
      throw new AppError(
        403,
        'role_forbidden',
        `This needs the ${roles.join(' or ')} role; you are ${credential.role}.`,
      );
    }
    ctx.state.staff = { role: credential.role, name: credential.name } satisfies StaffIdentity;
    await next();
  };
}

/**
 * Printer routes: every request is signed with the printer's Ed25519 key (shared/protocol/printer-auth.ts).
 * A bad or missing signature → 401; a signature from a key that is not paired, or was revoked → 403.
 * Needs the raw body, so it runs after the body parser (which keeps ctx.request.rawBody).
 */
export function requirePrinter(store: Store, clock: Clock) {
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
      throw new AppError(401, `printer_auth_${check.reason}`, why[check.reason]);
    }
    const printer = await store.getPrinter(check.printerKey);
    if (!printer)
      throw new AppError(403, 'printer_not_paired', 'This printer is not paired: ask an operator to pair it.');
    if (printer.revokedAt !== null)
      throw new AppError(403, 'printer_revoked', 'This printer was revoked by an operator.');
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
