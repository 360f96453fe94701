/**
 * The receipt that ends every order: what was printed, for which order, where and when, so staff
 * can match a stack of prints to the customer and trace a complaint to a printer.
 */
import { EscPosBuilder, toPrintableAscii } from './escpos.ts';
import type { ReceiptInfo, ReceiptPayment } from './port.ts';

/** Font A is 12 dots wide on ESC/POS thermal printers: 48 columns on 80 mm, 32 on 58 mm heads. */
export const RECEIPT_FONT_A_WIDTH_DOTS = 12;
const MIN_COLUMNS = 16;

export function receiptColumns(widthDots: number): number {
  return Math.max(MIN_COLUMNS, Math.floor(widthDots / RECEIPT_FONT_A_WIDTH_DOTS));
}

/** Local wall-clock time with its UTC offset, e.g. 2025-06-01T21:03:22+02:00: what staff read on their watch. */
export function formatLocalIso(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
  const offsetMinutes = -d.getTimezoneOffset();
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return `${date}T${time}${sign}${pad(Math.trunc(offsetMinutes / 60))}:${pad(offsetMinutes % 60)}`;
}

/** 2800, EUR → "28.00 EUR" (ASCII only: thermal printers lack most currency signs). */
export function formatMoney(cents: number, currency: string): string {
  return `${(cents / 100).toFixed(2)} ${currency}`;
}

/** Wraps at spaces to the paper width (hard-splitting words that are too long) so nothing runs off the edge. */
export function wrapLine(text: string, columns: number): string[] {
  const clean = toPrintableAscii(text).replace(/\n/g, ' ');
  if (clean.length <= columns) return [clean];
  const lines: string[] = [];
  let current = '';
  for (const word of clean.split(' ')) {
    const candidate = current ? `${current} ${word}` : word;
    if (candidate.length <= columns) {
      current = candidate;
      continue;
    }
    if (current) lines.push(current);
    current = word;
    while (current.length > columns) {
      lines.push(current.slice(0, columns));
      current = current.slice(columns);
    }
  }
  if (current) lines.push(current);
  return lines;
}

/** Left text and right text on one line, the right part flush with the paper edge when it fits. */
function twoColumns(left: string, right: string, columns: number): string[] {
  const l = toPrintableAscii(left);
  const r = toPrintableAscii(right);
  if (l.length + 1 + r.length <= columns) return [l + ' '.repeat(columns - l.length - r.length) + r];
  return [...wrapLine(l, columns), ...wrapLine(r.padStart(columns), columns)];
}

export function appendReceipt(b: EscPosBuilder, info: ReceiptInfo, widthDots: number): EscPosBuilder {
  const columns = receiptColumns(widthDots);
  const rule = '-'.repeat(columns);
  const lines = (ls: string[]) => {
    for (const l of ls) b.line(l);
  };
  b.align('center').bold(true).size(2, 2);
  // Double width halves the columns.
  lines(wrapLine(info.venue, Math.floor(columns / 2)));
  b.size(1, 1).bold(false).line('Photo order').line();
  b.align('left');
  if (info.eventName) lines(wrapLine(`Event: ${info.eventName}`, columns));
  b.bold(true);
  lines(wrapLine(`Order code: ${info.orderCode}`, columns));
  b.bold(false);
  b.line(rule);
  // Photos numbered as the fan's order page lists them; internal ids mean nothing to a person.
  let prints = 0;
  info.items.forEach((item, i) => {
    prints += item.copies;
    const name = item.label ? `Photo ${i + 1}: ${item.label}` : `Photo ${i + 1}`;
    lines(twoColumns(name, `x${item.copies}`, columns));
    // Issue #14: a framed print states its template fee as the order priced it, per print.
    if (item.feeLine) lines(wrapLine(`  ${item.feeLine} each`, columns));
  });
  b.line(rule);
  lines(twoColumns('Prints', String(prints), columns));
  if (typeof info.totalCents === 'number' && info.currency) {
    b.bold(true);
    lines(twoColumns('Total paid', formatMoney(info.totalCents, info.currency), columns));
    b.bold(false);
  }
  if (info.payment && info.currency) appendPayment(info.payment, info.currency, columns, lines);
  lines(wrapLine(`Printer: ${info.printer}`, columns));
  lines(wrapLine(`Time: ${formatLocalIso(info.printedAt)}`, columns));
  return b.feed(4).cut(false);
}

/** The payment lines of a kiosk sale: tax included, how it was paid, the masked card and its authorisation. */
function appendPayment(p: ReceiptPayment, currency: string, columns: number, lines: (ls: string[]) => void): void {
  lines(twoColumns(`incl. tax ${p.taxRatePercent}%`, formatMoney(p.taxCents, currency), columns));
  if (p.method === 'card') {
    lines(twoColumns('Paid by card', p.card ? maskedCard(p.card) : '', columns));
    if (p.authorisationCode) lines(twoColumns('Auth. code', p.authorisationCode, columns));
  } else {
    lines(twoColumns('Paid by', 'phone', columns));
  }
}

/** "VISA **** 4242": ASCII asterisks, since thermal fonts lack the bullet; nothing but the last four digits. */
export function maskedCard(card: { brand: string; last4: string }): string {
  return `${card.brand.toUpperCase()} **** ${card.last4.replace(/\D/g, '').slice(-4)}`;
}

/** A complete receipt job: initialize, body, feed and full cut. */
export function buildReceipt(info: ReceiptInfo, widthDots = 576): Buffer {
  return appendReceipt(new EscPosBuilder().initialize(), info, widthDots).bytes();
}
