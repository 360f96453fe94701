import { html, type SafeHtml } from '../../../shared/web/html.ts';

/**
 * Times and money as the server writes them. The server does not know the fan's time zone, so
 * times are written in UTC inside <time datetime> and the page's script rewrites them in local time.
 */

export function formatMoney(cents: number, currency: string): string {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

const TIME = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' });
const DATE_TIME = new Intl.DateTimeFormat('en-GB', {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'UTC',
});

export function formatUtcTime(ms: number): string {
  return `${TIME.format(ms)} UTC`;
}

export function formatUtcDateTime(ms: number): string {
  return `${DATE_TIME.format(ms)} UTC`;
}

/** `style` tells the page's script how to rewrite it in local time. */
export function timeTag(ms: number, style: 'time' | 'datetime'): SafeHtml {
  const text = style === 'time' ? formatUtcTime(ms) : formatUtcDateTime(ms);
  return html`<time datetime="${new Date(ms).toISOString()}" data-local="${style}">${text}</time>`;
}

/** Thumbnails and previews keep the master's aspect ratio with the long edge capped (image-pipeline.ts). */
export function fitLongEdge(width: number, height: number, longEdge: number): { width: number; height: number } {
  const scale = Math.min(1, longEdge / Math.max(width, height, 1));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
