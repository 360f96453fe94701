import type { Context, Next } from 'koa';
import { AppError } from '../../shared/errors.ts';

/** Names that always mean this machine. */
export const LOOPBACK_HOST_NAMES: readonly string[] = ['127.0.0.1', 'localhost', '::1'];
/** A listen address that names no host a browser would use (any interface). */
const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '']);
const STATE_CHANGING_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** "host", "host:port", "[::1]:port" → "host" / "::1" (lower case); null when malformed. */
export function hostNameOf(hostHeader: string): string | null {
  const value = hostHeader.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    if (end < 0) return null;
    const rest = value.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return null;
    return value.slice(1, end);
  }
  const match = /^([a-z0-9.-]+)(?::\d{1,5})?$/.exec(value);
  return match ? match[1]!.replace(/\.$/, '') : null;
}

/** The host names the local API answers to: loopback, plus the listen address and any configured names. */
export function allowedHostNames(extra: readonly string[]): Set<string> {
  const names = new Set(LOOPBACK_HOST_NAMES);
  for (const name of extra) {
    // A bare IPv6 literal ("::1", "fe80::2") has colons of its own and no port.
    const host = name.includes(':') && !name.startsWith('[') ? name.toLowerCase() : hostNameOf(name);
    if (host && !WILDCARD_ADDRESSES.has(host)) names.add(host);
  }
  return names;
}

/**
 * DNS rebinding guard for the printer's local API. A page in the kiosk's browser (or any browser
 * on the machine) can point its own host name at 127.0.0.1 and then read and drive this API as
 * "same origin": the Host header still carries the attacker's name, so only known names are
 * served (421 otherwise). State-changing requests from a browser must also come from a page of
 * this API (Origin); clients without Origin (the redeem CLI, scanners, curl) are not browsers.
 */
export function hostGuard(extraHostNames: readonly string[] = []) {
  const allowed = allowedHostNames(extraHostNames);
  return async (ctx: Context, next: Next): Promise<void> => {
    const host = hostNameOf(ctx.get('host'));
    if (host === null || !allowed.has(host)) {
      throw new AppError('host_not_allowed', undefined, { host: ctx.get('host').slice(0, 100) });
    }
    if (STATE_CHANGING_METHODS.has(ctx.method)) {
      const origin = ctx.get('origin');
      if (origin !== '' && !sameOrigin(origin, ctx.get('host'))) throw new AppError('cross_site_refused');
      if (ctx.get('sec-fetch-site') === 'cross-site') throw new AppError('cross_site_refused');
    }
    await next();
  };
}

function sameOrigin(origin: string, hostHeader: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === hostHeader.trim().toLowerCase();
  } catch {
    return false;
  }
}
