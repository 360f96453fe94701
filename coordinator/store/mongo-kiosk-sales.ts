import { type Collection, MongoClient } from 'mongodb';
import { AppError } from '../../shared/errors.ts';
import type { KioskSaleEvent, KioskSaleState } from '../../shared/policy/kiosk-sale-state.ts';
import {
  type KioskSalePatch,
  type KioskSaleRecord,
  type KioskSaleStore,
  type KioskSalesLine,
  OPEN_SALE_STATES,
  REVENUE_SALE_STATES,
  saleAfterEvent,
  salePatchedIn,
} from './kiosk-sale-store.ts';
import { databaseNameFromUri, isDuplicateKeyError } from './mongo-queries.ts';

/** A conditional update that lost a race re-reads and tries again this often before giving up. */
const MAX_UPDATE_ATTEMPTS = 20;
/** Sales read at most for one summary (the dashboard's day). */
const MAX_SUMMARY_SALES = 20_000;

type SaleDoc = KioskSaleRecord & { _id: string };

const REVENUE_STATES = new Set<KioskSaleState>(REVENUE_SALE_STATES);

function record(doc: SaleDoc | null): KioskSaleRecord | null {
  if (!doc) return null;
  const { _id, ...sale } = doc;
  return sale;
}

/**
 * Kiosk sales in MongoDB: one collection, each sale a document keyed by its id, unique on (printer,
 * idempotency key). A transition is a compare-and-set on the state the next state was computed from
 * (`updateOne({_id, state})`), retried after a lost race, so several coordinators share it safely.
 */
export class MongoKioskSaleStore implements KioskSaleStore {
  readonly #uri: string;
  readonly #dbName: string;
  #client: MongoClient | null = null;
  #sales: Collection<SaleDoc> | null = null;

  constructor(options: { uri: string; dbName?: string }) {
    this.#uri = options.uri;
    this.#dbName = options.dbName ?? databaseNameFromUri(options.uri);
  }

  async ready(): Promise<void> {
    if (this.#client) return;
    const client = new MongoClient(this.#uri);
    try {
      await client.connect();
      const db = client.db(this.#dbName);
      const sales = db.collection<SaleDoc>('kiosk_sales');
      await sales.createIndex({ printerId: 1, idempotencyKey: 1 }, { unique: true });
      await sales.createIndex({ state: 1, createdAt: 1 });
      await sales.createIndex({ createdAt: -1 });
      this.#sales = sales;
      this.#client = client;
    } catch (err) {
      await client.close().catch(() => {});
      throw new AppError('store_unavailable', `cannot open the kiosk sales in MongoDB: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    await this.#client?.close();
    this.#client = null;
  }

  get #c(): Collection<SaleDoc> {
    if (!this.#sales) throw new AppError('store_unavailable', 'The kiosk sale store is closed.');
    return this.#sales;
  }

  async insertOrGet(sale: KioskSaleRecord): Promise<{ inserted: boolean; sale: KioskSaleRecord }> {
    const existing = await this.#c.findOne({ printerId: sale.printerId, idempotencyKey: sale.idempotencyKey });
    if (existing) return { inserted: false, sale: record(existing)! };
    try {
      await this.#c.insertOne({ ...structuredClone(sale), _id: sale.id });
      return { inserted: true, sale: structuredClone(sale) };
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      // Another process inserted the same basket between our read and our insert.
      const raced = await this.#c.findOne({ printerId: sale.printerId, idempotencyKey: sale.idempotencyKey });
      if (!raced) throw err;
      return { inserted: false, sale: record(raced)! };
    }
  }

  async get(id: string): Promise<KioskSaleRecord | null> {
    return record(await this.#c.findOne({ _id: id }));
  }

  async transition(
    id: string,
    event: KioskSaleEvent,
    now: number,
    patch: KioskSalePatch = {},
  ): Promise<KioskSaleRecord | null> {
    return this.#update(id, (sale) => saleAfterEvent(sale, event, now, patch));
  }

  async patch(
    id: string,
    now: number,
    patch: KioskSalePatch,
    onlyInStates: readonly KioskSaleState[],
  ): Promise<KioskSaleRecord | null> {
    return this.#update(id, (sale) => salePatchedIn(sale, now, patch, onlyInStates));
  }

  async #update(
    id: string,
    change: (sale: KioskSaleRecord) => KioskSaleRecord | null,
  ): Promise<KioskSaleRecord | null> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const current = record(await this.#c.findOne({ _id: id }));
      if (!current) return null;
      const next = change(current);
      if (!next) return null;
      // Compare-and-set on the state and the last update: a concurrent change makes this miss.
      const res = await this.#c.updateOne(
        { _id: id, state: current.state, updatedAt: current.updatedAt },
        { $set: { ...next } },
      );
      if (res.matchedCount === 1) return next;
    }
    throw new AppError('store_unavailable', 'The kiosk sale kept changing under this update; try again.');
  }

  async listOpen(limit: number): Promise<KioskSaleRecord[]> {
    const docs = await this.#c
      .find({ state: { $in: [...OPEN_SALE_STATES] } })
      .sort({ createdAt: 1 })
      .limit(limit)
      .toArray();
    return docs.map((d) => record(d)!);
  }

  async listRecent(limit: number, filter: { printerId?: string } = {}): Promise<KioskSaleRecord[]> {
    const docs = await this.#c
      .find(filter.printerId ? { printerId: filter.printerId } : {})
      .sort({ createdAt: -1 })
      .limit(limit)
      .toArray();
    return docs.map((d) => record(d)!);
  }

  async listSince(since: number, limit: number): Promise<KioskSaleRecord[]> {
    const docs = await this.#c
      .find({ createdAt: { $gte: since } })
      .sort({ createdAt: -1 })
      .limit(limit)
      .toArray();
    return docs.map((d) => record(d)!);
  }

  async salesSince(since: number): Promise<KioskSalesLine[]> {
    const lines = new Map<string, KioskSalesLine>();
    for (const sale of await this.listSince(since, MAX_SUMMARY_SALES)) {
      if (!REVENUE_STATES.has(sale.state)) continue;
      const key = `${sale.printerId}\u0000${sale.channel}\u0000${sale.currency}`;
      const line = lines.get(key) ?? {
        channel: sale.channel,
        printerId: sale.printerId,
        currency: sale.currency,
        sales: 0,
        revenueCents: 0,
      };
      line.sales += 1;
      line.revenueCents += sale.totalCents;
      lines.set(key, line);
    }
    return [...lines.values()].sort(
      (a, b) => a.printerId.localeCompare(b.printerId) || a.channel.localeCompare(b.channel),
    );
  }
}
