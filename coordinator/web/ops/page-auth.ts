import type { Context, Next } from 'koa';
import { isAppError } from '../../../shared/errors.ts';
import { resolveStaff } from '../../http/auth.ts';
import type { Store } from '../../store/port.ts';
import type { CredentialRole } from '../../store/records.ts';
import { forbiddenPage, sendHtml } from './layout.ts';

/**
 * Guard of the operator pages: a browser without a valid sign-in goes to the sign-in page (and comes
 * back here after), a signed-in person of another role sees a 403 page. Fans have no credential, so
 * they never get past the redirect. Bearer tokens work too (scripts, the authorization test).
 */
export function staffPage(store: Store, roles: readonly CredentialRole[]) {
  return async function staffPageOnly(ctx: Context, next: Next): Promise<void> {
    let staff: Awaited<ReturnType<typeof resolveStaff>>;
    try {
      staff = await resolveStaff(ctx, store);
    } catch (err) {
      if (!isAppError(err) || err.status !== 401) throw err;
      ctx.set('cache-control', 'no-store');
      ctx.redirect(`/signin?next=${encodeURIComponent(ctx.originalUrl)}`);
      return;
    }
    if (!roles.includes(staff.role)) {
      sendHtml(ctx, 403, forbiddenPage(staff, roles.join(' or ')));
      return;
    }
    ctx.state.staff = staff;
    await next();
  };
}
