import type { Context } from 'koa';
import { html, page, type SafeHtml } from '../../../shared/web/html.ts';
import type { StaffIdentity } from '../../http/auth.ts';

export const OPS_ASSETS = '/ops/assets';

/**
 * No inline script or style anywhere in the operator pages, so the policy can forbid both: an
 * injected <script> (should escaping ever fail) does not run. Images may be blob: for upload previews.
 */
export const OPS_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

type NavKey = 'dashboard' | 'events' | 'printers' | 'conflicts' | 'tokens' | 'upload' | 'fulfilment' | 'own-photos';

const NAV: ReadonlyArray<{ key: NavKey; href: string; label: string; operatorOnly: boolean }> = [
  { key: 'dashboard', href: '/ops', label: 'Dashboard', operatorOnly: true },
  { key: 'events', href: '/ops/events', label: 'Events', operatorOnly: true },
  { key: 'printers', href: '/ops/printers', label: 'Printers', operatorOnly: true },
  { key: 'conflicts', href: '/ops/conflicts', label: 'Conflicts', operatorOnly: true },
  { key: 'own-photos', href: '/ops/own-photos', label: 'Own photos', operatorOnly: true },
  { key: 'tokens', href: '/ops/tokens', label: 'Access tokens', operatorOnly: true },
  { key: 'upload', href: '/ops/upload', label: 'Upload photos', operatorOnly: false },
  { key: 'fulfilment', href: '/ops/fulfilment', label: 'Fulfilment', operatorOnly: true },
];

/** Headers every operator page gets: strict CSP, never cached (it shows live, private data). */
export function sendHtml(ctx: Context, status: number, body: string): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set({
    'content-security-policy': OPS_CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
  });
  ctx.body = body;
}

/** The default operator credential is named "operator": its name and role are not shown twice. */
function sameWords(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

function header(staff: StaffIdentity | null, current: NavKey | null): SafeHtml {
  if (!staff) {
    return html`<header class="top"><span class="brand">Venue Print Mesh · Staff</span></header>`;
  }
  const items = NAV.filter((n) => staff.role === 'operator' || !n.operatorOnly);
  const who = staff.label ? `${staff.label} (${staff.name})` : staff.name;
  return html`<header class="top">
  <a class="brand" href="${staff.role === 'operator' ? '/ops' : '/ops/upload'}">Venue Print Mesh · Staff</a>
  <nav aria-label="Staff pages"><ul>
    ${items.map(
      (n) => html`<li><a href="${n.href}"${n.key === current ? html` aria-current="page"` : ''}>${n.label}</a></li>`,
    )}
  </ul></nav>
  <form class="signout" method="post" action="/signout">
    <span class="who">${sameWords(who, staff.role) ? who : `${who} · ${staff.role}`}</span>
    <button type="submit" class="link">Sign out</button>
  </form>
</header>`;
}

export interface OpsPageOptions {
  title: string;
  staff: StaffIdentity | null;
  current?: NavKey | null;
  body: SafeHtml;
  /** Module names under /ops/assets, e.g. 'dashboard.js'. */
  scripts?: readonly string[];
}

export function opsPage(opts: OpsPageOptions): string {
  return page({
    title: `${opts.title} · Venue Print Mesh`,
    styles: [`${OPS_ASSETS}/ops.css`],
    scripts: [`${OPS_ASSETS}/common.js`, ...(opts.scripts ?? []).map((s) => `${OPS_ASSETS}/${s}`)],
    body: html`<a class="skip" href="#main">Skip to content</a>
${header(opts.staff, opts.current ?? null)}
<main id="main" tabindex="-1">
${opts.body}
</main>`,
  });
}

/** The page for "signed in, but not allowed here". */
export function forbiddenPage(staff: StaffIdentity, needs: string): string {
  const home = staff.role === 'operator' ? '/ops' : '/ops/upload';
  return opsPage({
    title: 'Not allowed',
    staff,
    body: html`<h1>Not allowed</h1>
<p>This page is for ${needs}s; you are signed in as a ${staff.role}.</p>
<p><a href="${home}">Go to your start page</a> or sign out and sign in with another token.</p>`,
  });
}

export function notFoundPage(staff: StaffIdentity, what: string): string {
  return opsPage({
    title: 'Not found',
    staff,
    body: html`<h1>Not found</h1><p>${what}</p><p><a href="/ops">Back to the dashboard</a></p>`,
  });
}
