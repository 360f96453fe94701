import { AppError } from '../../shared/errors.ts';
import type { Store } from '../store/port.ts';
import { isStoreConflict } from '../store/port.ts';
import type { PrinterRecord } from '../store/records.ts';

/** Longest card reader id accepted (Stripe's `tmr_…` ids are far shorter; the kiosk wire allows 100). */
export const MAX_CARD_READER_ID_CHARS = 100;
/** Provider reader ids are plain tokens; anything else is a typo (and never reaches a URL or page unescaped). */
export const CARD_READER_ID_PATTERN = /^[A-Za-z0-9_.:-]+$/;

/**
 * Card readers belong to printers by an operator's assignment (issue #13): the coordinator drives
 * only the reader assigned to the printer whose kiosk asks, so a paired printer cannot start a
 * payment on, or read, another station's reader. The store keeps one reader on at most one printer;
 * this names the printer that holds it, for an operator's 409.
 */
export async function readerTakenError(store: Store, cardReaderId: string, exceptPrinterId: string): Promise<AppError> {
  const holder = (await store.listPrinters()).find((p) => p.cardReaderId === cardReaderId && p.id !== exceptPrinterId);
  return new AppError(
    'card_reader_taken',
    holder
      ? `Card reader ${cardReaderId} is assigned to printer "${holder.name}" already; unassign it there first.`
      : undefined,
    { cardReaderId, ...(holder ? { printerId: holder.id } : {}) },
  );
}

/** Assigns (or, with null, removes) a printer's card reader; operators only (the route checks). */
export async function assignCardReader(
  store: Store,
  printerId: string,
  cardReaderId: string | null,
): Promise<PrinterRecord> {
  const printer = await store.getPrinter(printerId);
  if (!printer) throw new AppError('printer_not_found');
  if (printer.revokedAt !== null && cardReaderId !== null) {
    throw new AppError(
      'printer_revoked',
      'This printer was revoked: pair its replacement and assign the reader to it.',
    );
  }
  if ((printer.cardReaderId ?? null) === cardReaderId) return printer;
  try {
    const updated = await store.setPrinterCardReader(printerId, cardReaderId);
    if (!updated) throw new AppError('printer_not_found');
    return updated;
  } catch (err) {
    if (cardReaderId !== null && isStoreConflict(err)) throw await readerTakenError(store, cardReaderId, printerId);
    throw err;
  }
}
