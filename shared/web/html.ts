/**
 * Server-rendered HTML without a template engine: `html` escapes every interpolated value unless it
 * is already SafeHtml, so markup can only come from template literals written in this repository.
 */

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Markup that is safe to insert as is: built by `html` or explicitly trusted with `trustedHtml`. */
export class SafeHtml {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

/** Values an `html` template accepts; null, undefined and false render as nothing. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** For markup produced by code that escapes on its own (e.g. an SVG renderer); never for input. */
export function trustedHtml(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

export interface PageOptions {
  title: string;
  body: SafeHtml;
  /** Module scripts by URL (same origin: the pages run under `script-src 'self'`). */
  scripts?: readonly string[];
  /** Stylesheets by URL. */
  styles?: readonly string[];
  lang?: string;
}

/** A whole document. No inline script or style, so a strict Content-Security-Policy holds. */
export function page(opts: PageOptions): string {
  return html`<!doctype html>
<html lang="${opts.lang ?? 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title}</title>
${(opts.styles ?? []).map((href) => html`<link rel="stylesheet" href="${href}">\n`)}${(opts.scripts ?? []).map(
  (src) => html`<script type="module" src="${src}"></script>\n`,
)}</head>
<body>
${opts.body}
</body>
</html>
`.value;
}
