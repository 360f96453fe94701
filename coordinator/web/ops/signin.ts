import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { html } from '../../../shared/web/html.ts';
import type { CoordinatorDeps } from '../../deps.ts';
import { hashBearerToken, requestSameOrigin } from '../../http/auth.ts';
import { ClientRateLimiter, SIGNIN_FAILURE_BURST, SIGNIN_FAILURE_REFILL_MS } from '../../http/client-rate-limiter.ts';
import {
  MAX_SESSION_LABEL_CHARS,
  SESSION_TTL_MS,
  type SessionSealer,
  sessionCookieHeader,
} from '../../http/session-cookie.ts';
import type { CredentialRole } from '../../store/records.ts';
import { opsPage, sendHtml } from './layout.ts';

const MAX_TOKEN_CHARS = 200;

const signinForm = z.object({
  token: z.string().trim().min(1).max(MAX_TOKEN_CHARS),
  name: z.string().trim().max(MAX_SESSION_LABEL_CHARS).optional().default(''),
  next: z.string().max(2000).optional().default(''),
});

/**
 * Where to go after signing in: only a staff page of this site (no open redirect), and a photographer
 * only to the upload page, the one page they may use.
 */
export function nextAfterSignin(next: string, role: CredentialRole): string {
  const local = /^\/ops(?:[/?#]|$)/.test(next) && !/[\\\s]/.test(next) ? next : null;
  if (role === 'photographer') return local?.startsWith('/ops/upload') ? local : '/ops/upload';
  return local ?? '/ops';
}

/** The browser reached us over https, itself or through a TLS-terminating proxy in front. */
export function requestIsHttps(ctx: Context, publicUrl: string): boolean {
  if (ctx.secure) return true;
  if (ctx.get('x-forwarded-proto').split(',')[0]?.trim() === 'https') return true;
  try {
    const url = new URL(publicUrl);
    return url.protocol === 'https:' && url.host === ctx.host;
  } catch {
    return false;
  }
}

function signinPage(opts: { next: string; error?: string; notice?: string; name?: string }): string {
  return opsPage({
    title: 'Staff sign-in',
    staff: null,
    body: html`<section class="narrow">
<h1>Staff sign-in</h1>
<p>Operators and photographers sign in with the access token they were given.</p>
${opts.notice ? html`<p class="notice" role="status">${opts.notice}</p>` : ''}
${opts.error ? html`<p class="error" role="alert" id="signin-error">${opts.error}</p>` : ''}
<form method="post" action="/signin" class="stack">
  <input type="hidden" name="next" value="${opts.next}">
  <label for="token">Access token</label>
  <input id="token" name="token" type="password" required autocomplete="off" spellcheck="false"
    maxlength="${MAX_TOKEN_CHARS}"${opts.error ? html` aria-describedby="signin-error" aria-invalid="true"` : ''} autofocus>
  <label for="name">Your name <span class="hint">(optional, shown in the header)</span></label>
  <input id="name" name="name" type="text" autocomplete="name" maxlength="${MAX_SESSION_LABEL_CHARS}" value="${opts.name ?? ''}">
  <button type="submit">Sign in</button>
</form>
</section>`,
  });
}

/** GET/POST /signin and POST /signout: a sealed, HttpOnly cookie for staff browsers. */
export function signinRoutes(router: Router, deps: CoordinatorDeps, sealer: SessionSealer): void {
  const { store, clock, settings } = deps;

  router.get('/signin', async (ctx) => {
    const next = typeof ctx.query.next === 'string' ? ctx.query.next : '';
    const notice = ctx.query.signedout !== undefined ? 'You are signed out.' : undefined;
    sendHtml(ctx, 200, signinPage({ next, ...(notice ? { notice } : {}) }));
  });

  const failures = new ClientRateLimiter({ burst: SIGNIN_FAILURE_BURST, refillMs: SIGNIN_FAILURE_REFILL_MS });
  router.post('/signin', async (ctx) => {
    // Login CSRF: another site must not sign this browser in with the attacker's token.
    if (!requestSameOrigin(ctx, settings.publicUrl)) {
      sendHtml(ctx, 403, signinPage({ next: '', error: 'This sign-in did not come from this site. Try again here.' }));
      return;
    }
    const parsed = signinForm.safeParse(ctx.request.body ?? {});
    const next = parsed.success ? parsed.data.next : '';
    const name = parsed.success ? parsed.data.name : '';
    const credential = parsed.success ? await store.getCredential(hashBearerToken(parsed.data.token)) : null;
    if (!credential || credential.revokedAt !== null) {
      // Only wrong tokens are slowed: a right one always signs in. Tokens are 192 random bits, so
      // answering a right one during the wait tells a guesser nothing; this brake is for noise.
      const wait = failures.retryAfterMs(ctx.ip, clock.now());
      if (wait > 0) {
        const seconds = Math.ceil(wait / 1000);
        ctx.set('retry-after', String(seconds));
        sendHtml(
          ctx,
          429,
          signinPage({
            next,
            name,
            error: `Too many wrong tokens from this network: wait ${seconds} s, then try again.`,
          }),
        );
        return;
      }
      failures.take(ctx.ip, clock.now());
      sendHtml(
        ctx,
        401,
        signinPage({ next, name, error: 'That token is unknown or was revoked. Check it and try again.' }),
      );
      return;
    }
    const now = clock.now();
    const value = sealer.seal({
      tokenHash: credential.tokenHash,
      label: name || null,
      issuedAt: now,
      expiresAt: now + SESSION_TTL_MS,
    });
    ctx.append(
      'set-cookie',
      sessionCookieHeader(value, {
        secure: requestIsHttps(ctx, settings.publicUrl),
        maxAgeSeconds: SESSION_TTL_MS / 1000,
      }),
    );
    ctx.set('cache-control', 'no-store');
    ctx.status = 303;
    ctx.redirect(nextAfterSignin(next, credential.role));
  });

  router.post('/signout', async (ctx) => {
    if (!requestSameOrigin(ctx, settings.publicUrl)) {
      sendHtml(ctx, 403, signinPage({ next: '', error: 'This sign-out did not come from this site.' }));
      return;
    }
    ctx.append(
      'set-cookie',
      sessionCookieHeader('', { secure: requestIsHttps(ctx, settings.publicUrl), maxAgeSeconds: 0 }),
    );
    ctx.status = 303;
    ctx.redirect('/signin?signedout');
  });
}
