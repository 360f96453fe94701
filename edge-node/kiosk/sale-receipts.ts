import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ReceiptPayment } from '../printing/port.ts';

/** Kiosk sales' receipt lines kept on disk: enough for the sales a printer can be in the middle of. */
export const MAX_SALE_RECEIPTS = 200;

/** Where the receipt of a kiosk sale finds its payment lines, by order id. */
export interface SaleReceiptLines {
  get(orderId: string): ReceiptPayment | undefined;
  set(orderId: string, payment: ReceiptPayment): unknown;
}

/**
 * The payment lines of the kiosk sales this printer printed or is printing, written to a small file
 * before printing starts, so an order resumed after a crash or kill -9 still gets its card receipt.
 * Holds no card data beyond brand, last four digits and the authorisation code.
 */
export class SaleReceiptBook implements SaleReceiptLines {
  readonly #path: string;
  readonly #lines: Map<string, ReceiptPayment>;

  constructor(path: string) {
    this.#path = path;
    this.#lines = new Map(load(path));
  }

  get(orderId: string): ReceiptPayment | undefined {
    return this.#lines.get(orderId);
  }

  set(orderId: string, payment: ReceiptPayment): this {
    this.#lines.delete(orderId);
    this.#lines.set(orderId, payment);
    while (this.#lines.size > MAX_SALE_RECEIPTS) this.#lines.delete(this.#lines.keys().next().value!);
    // Synchronously and atomically, before the first print: the crash this exists for can come any time.
    writeFileSync(`${this.#path}.tmp`, JSON.stringify([...this.#lines]), { mode: 0o600 });
    renameSync(`${this.#path}.tmp`, this.#path);
    return this;
  }
}

function load(path: string): Array<[string, ReceiptPayment]> {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return Array.isArray(parsed) ? (parsed as Array<[string, ReceiptPayment]>) : [];
  } catch {
    // Missing or damaged: receipts of resumed sales lack their card lines, nothing else is lost.
    return [];
  }
}
