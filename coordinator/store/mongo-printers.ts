import type { Collections } from './mongo-collections.ts';
import { isDuplicateKeyError, stripId } from './mongo-queries.ts';
import { insertUnique, upsertRetried } from './mongo-writes.ts';
import { storeConflict } from './port.ts';
import type { PrinterRecord, PrinterReportRecord } from './records.ts';

/**
 * Printers and their last status reports on MongoDB. The partial unique index on cardReaderId
 * (mongo-collections.ts) keeps one card reader on one printer across processes.
 */
export class MongoPrinters {
  readonly #c: Pick<Collections, 'printers' | 'printerReports'>;

  constructor(c: Pick<Collections, 'printers' | 'printerReports'>) {
    this.#c = c;
  }

  async insert(printer: PrinterRecord): Promise<void> {
    await insertUnique(`printer ${printer.id}`, () => this.#c.printers.insertOne({ ...printer, _id: printer.id }));
  }

  async get(id: string): Promise<PrinterRecord | null> {
    const doc = await this.#c.printers.findOne({ _id: id });
    return doc ? stripId(doc) : null;
  }

  async list(filter?: { venueId?: string }): Promise<PrinterRecord[]> {
    const query = filter?.venueId !== undefined ? { venueId: filter.venueId } : {};
    return (await this.#c.printers.find(query).sort({ pairedAt: 1, _id: 1 }).toArray()).map(stripId);
  }

  async revoke(id: string, at: number): Promise<PrinterRecord | null> {
    // The first revocation time stands: revoking twice must not move it.
    const revoked = await this.#c.printers.findOneAndUpdate(
      { _id: id, revokedAt: null },
      { $set: { revokedAt: at, cardReaderId: null } },
      { returnDocument: 'after' },
    );
    return revoked ? stripId(revoked) : this.get(id);
  }

  async setCardReader(id: string, cardReaderId: string | null): Promise<PrinterRecord | null> {
    try {
      const doc = await this.#c.printers.findOneAndUpdate(
        { _id: id },
        { $set: { cardReaderId } },
        { returnDocument: 'after' },
      );
      return doc ? stripId(doc) : null;
    } catch (err) {
      if (isDuplicateKeyError(err)) throw storeConflict(`card reader ${cardReaderId} on another printer`);
      throw err;
    }
  }

  async touch(id: string, at: number): Promise<void> {
    await this.#c.printers.updateOne({ _id: id }, { $max: { lastSeenAt: at } });
  }

  async putReport(report: PrinterReportRecord): Promise<void> {
    await upsertRetried(() =>
      this.#c.printerReports.replaceOne({ _id: report.printerId }, { ...report }, { upsert: true }),
    );
  }

  async listReports(filter: { venueId?: string } = {}): Promise<PrinterReportRecord[]> {
    const query = filter.venueId === undefined ? {} : { venueId: filter.venueId };
    return (await this.#c.printerReports.find(query).sort({ printerId: 1 }).toArray()).map(stripId);
  }
}
