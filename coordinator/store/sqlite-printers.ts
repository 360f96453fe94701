import { storeConflict } from './port.ts';
import type { PrinterRecord, PrinterReportRecord } from './records.ts';
import { isUniqueViolation, parseDoc, parseDocs, type SqliteConnection } from './sqlite-connection.ts';

/**
 * Printers and their last status reports on SQLite. `card_reader_id` is a column of its own: its
 * unique index is what keeps one card reader on one printer across processes.
 */
export class SqlitePrinters {
  readonly #c: SqliteConnection;

  constructor(connection: SqliteConnection) {
    this.#c = connection;
  }

  async insert(printer: PrinterRecord): Promise<void> {
    this.#c.insert(
      'INSERT INTO printers (id, venue_id, paired_at, card_reader_id, doc) VALUES (?, ?, ?, ?, ?)',
      [printer.id, printer.venueId, printer.pairedAt, printer.cardReaderId ?? null, JSON.stringify(printer)],
      `printer ${printer.id}`,
    );
  }

  async get(id: string): Promise<PrinterRecord | null> {
    return this.#c.readDocGrouped('SELECT doc FROM printers WHERE id = ?', id);
  }

  async list(filter?: { venueId?: string }): Promise<PrinterRecord[]> {
    return parseDocs(
      this.#c.sql('SELECT doc FROM printers WHERE @venueId IS NULL OR venue_id = @venueId ORDER BY paired_at, id').all({
        venueId: filter?.venueId ?? null,
      }),
    );
  }

  #update(id: string, change: (printer: PrinterRecord) => PrinterRecord): PrinterRecord | null {
    return this.#c.locked(() => {
      const printer = parseDoc<PrinterRecord>(this.#c.sql('SELECT doc FROM printers WHERE id = ?').get(id));
      if (!printer) return null;
      const next = change(printer);
      if (next === printer) return next;
      this.#c
        .sql('UPDATE printers SET card_reader_id = ?, doc = ? WHERE id = ?')
        .run(next.cardReaderId ?? null, JSON.stringify(next), id);
      return next;
    });
  }

  async revoke(id: string, at: number): Promise<PrinterRecord | null> {
    // The first revocation time stands: revoking twice must not move it.
    return this.#update(id, (p) => (p.revokedAt === null ? { ...p, revokedAt: at, cardReaderId: null } : p));
  }

  async setCardReader(id: string, cardReaderId: string | null): Promise<PrinterRecord | null> {
    try {
      return this.#update(id, (printer) => ({ ...printer, cardReaderId }));
    } catch (err) {
      if (isUniqueViolation(err)) throw storeConflict(`card reader ${cardReaderId} on another printer`);
      throw err;
    }
  }

  async touch(id: string, at: number): Promise<void> {
    this.#update(id, (printer) =>
      printer.lastSeenAt === null || printer.lastSeenAt < at ? { ...printer, lastSeenAt: at } : printer,
    );
  }

  async putReport(report: PrinterReportRecord): Promise<void> {
    this.#c
      .sql(
        `INSERT INTO printer_reports (printer_id, venue_id, doc) VALUES (?, ?, ?)
         ON CONFLICT (printer_id) DO UPDATE SET venue_id = excluded.venue_id, doc = excluded.doc`,
      )
      .run(report.printerId, report.venueId, JSON.stringify(report));
  }

  async listReports(filter: { venueId?: string } = {}): Promise<PrinterReportRecord[]> {
    return filter.venueId === undefined
      ? parseDocs(this.#c.sql('SELECT doc FROM printer_reports ORDER BY printer_id').all())
      : parseDocs(
          this.#c.sql('SELECT doc FROM printer_reports WHERE venue_id = ? ORDER BY printer_id').all(filter.venueId),
        );
  }
}
