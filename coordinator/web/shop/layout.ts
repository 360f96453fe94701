import type { Context } from 'koa';
import { AppError } from '../../../shared/errors.ts';
import { html, page, type SafeHtml } from '../../../shared/web/html.ts';
import type { AssetTable } from './assets.ts';

/**
 * Every shop page: same-origin scripts and styles only, no framing, and no Referer — the order page's
 * URL is the fan's capability and must not leak to anything the page links to.
 */
export const SHOP_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function setPageHeaders(ctx: Context, cache: 'no-cache' | 'no-store'): void {
  ctx.set('content-security-policy', SHOP_CSP);
  ctx.set('x-content-type-options', 'nosniff');
  ctx.set('referrer-policy', 'no-referrer');
  ctx.set('cache-control', cache);
}

export interface ShopPageOptions {
  title: string;
  main: SafeHtml;
  /** Asset name of the page's script module, if any. */
  script?: string;
  /** Extra header content (e.g. the cart button). */
  header?: SafeHtml;
  /** Dialogs and templates, outside <main>. */
  after?: SafeHtml;
  /** data-* attributes for the page's script, on <main>. */
  data?: Record<string, string | number>;
}

const DATA_KEY = /^[a-z][a-z0-9-]*$/;

export function dataAttributes(data: Record<string, string | number>): SafeHtml {
  return html`${Object.entries(data).map(([k, v]) => {
    if (!DATA_KEY.test(k)) throw new AppError('internal_error', `bad data attribute name ${k}`);
    return html` data-${k}="${v}"`;
  })}`;
}

export function shopPage(assets: AssetTable, opts: ShopPageOptions): string {
  return page({
    title: `${opts.title} · Event photos`,
    styles: [assets.url('shop.css')],
    scripts: opts.script ? [assets.url(opts.script)] : [],
    body: html`<a class="skip" href="#main">Skip to content</a>
<header class="bar"><a class="brand" href="/">Event photos</a>${opts.header ?? ''}</header>
<main id="main" tabindex="-1"${dataAttributes(opts.data ?? {})}>
${opts.main}
</main>
${opts.after ?? ''}
<footer class="foot"><p>Prints are made on the spot by the photo printers at the venue.</p></footer>`,
  });
}

export function errorPage(assets: AssetTable, status: number, message: string): string {
  const title = status === 404 ? 'Not found' : status >= 500 ? 'Something went wrong' : 'That did not work';
  return shopPage(assets, {
    title,
    main: html`<h1>${title}</h1>
<p>${message}</p>
<p><a href="/">See all events</a></p>`,
  });
}
