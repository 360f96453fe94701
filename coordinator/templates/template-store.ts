/**
 * Where templates, their fee settings and their usage live (issue #14). The port is what the
 * template service needs; the adapter keeps everything as keyed objects in the store's media, which
 * both store adapters (SQLite, MongoDB) already implement atomically, so templates need no schema
 * change and work on either store.
 *
 * Usage is exact by construction: one use is one key `tpl/use/<templateId>/<orderId>/<unit>`, written
 * (idempotently) when a printed unit is confirmed, online or by offline reconciliation. A retried
 * confirmation, a second report of an offline print or two coordinator processes writing the same
 * unit all write the same key: the count is the number of distinct keys.
 */
import type { BlobCoordinates } from '../../shared/feed/feed-layout.ts';
import type { FeeSettings } from '../../shared/policy/template-fees.ts';
import type { TemplateLayout } from '../../shared/templates/template-layout.ts';
import type { Store } from '../store/port.ts';

/** Keys read per page while counting. */
const COUNT_PAGE_KEYS = 1000;
const JSON_TYPE = 'application/json';

export type TemplateKind = 'frame' | 'layout';

export interface TemplateRecord {
  id: string;
  eventId: string;
  name: string;
  kind: TemplateKind;
  layout: TemplateLayout;
  basicFeeCents: number;
  /** The frame PNG's checksum and size (null: a layout without a frame). */
  frame: { sha256: string; byteLength: number; width: number; height: number } | null;
  /** Raised on every change: the feed carries the newest version. */
  version: number;
  /** The version on the feed (0: not yet), and where its frame blob sits. */
  feedVersion: number;
  feedBlob: BlobCoordinates | null;
  /** Retired templates are not offered any more; printed orders keep theirs. */
  retired: boolean;
  createdAt: number;
}

export interface TemplateUse {
  templateId: string;
  orderId: string;
  unit: number;
  feeCents: number;
  currency: string;
  printerId: string;
  at: number;
}

export interface TemplateStore {
  put(record: TemplateRecord): Promise<void>;
  get(id: string): Promise<TemplateRecord | null>;
  /** The event's templates, oldest first. */
  list(eventId: string): Promise<TemplateRecord[]>;
  putFrame(id: string, png: Buffer): Promise<void>;
  getFrame(id: string): Promise<Buffer | null>;
  /** Event ids with a template version not on the feed yet. */
  eventsWithPending(): Promise<string[]>;
  getFeeSettings(eventId: string): Promise<FeeSettings | null>;
  putFeeSettings(eventId: string, settings: FeeSettings): Promise<void>;
  /** The pseudonymous customer an order was placed by (null: none). */
  putOrderCustomer(orderId: string, customerId: string): Promise<void>;
  getOrderCustomer(orderId: string): Promise<string | null>;
  /** Idempotent on (templateId, orderId, unit). */
  recordUse(use: TemplateUse): Promise<void>;
  countUses(templateId: string): Promise<number>;
  listUses(templateId: string): Promise<TemplateUse[]>;
  /** Idempotent on (customerId, orderId, unit). */
  recordCustomerUse(customerId: string, orderId: string, unit: number): Promise<void>;
  countCustomerUses(customerId: string): Promise<number>;
}

const keys = {
  record: (id: string) => `tpl/rec/${id}`,
  eventIndex: (eventId: string) => `tpl/event/${eventId}/`,
  frame: (id: string) => `tpl/frame/${id}`,
  pending: (eventId: string, id: string) => `tpl/pending/${eventId}/${id}`,
  pendingPrefix: 'tpl/pending/',
  fees: (eventId: string) => `tpl/fees/${eventId}`,
  orderCustomer: (orderId: string) => `tpl/order-customer/${orderId}`,
  uses: (templateId: string) => `tpl/use/${templateId}/`,
  customerUses: (customerId: string) => `tpl/customer-use/${customerId}/`,
};

/** Units are zero-padded so keys list in unit order. */
function unitKey(orderId: string, unit: number): string {
  return `${orderId}/${String(unit).padStart(6, '0')}`;
}

type MediaStore = Pick<Store, 'putMedia' | 'getMedia' | 'deleteMedia' | 'listMediaKeys'>;

export class MediaTemplateStore implements TemplateStore {
  readonly #store: MediaStore;

  constructor(store: MediaStore) {
    this.#store = store;
  }

  async #putJson(key: string, value: unknown): Promise<void> {
    await this.#store.putMedia(key, { bytes: Buffer.from(JSON.stringify(value)), contentType: JSON_TYPE });
  }

  async #getJson<T>(key: string): Promise<T | null> {
    const media = await this.#store.getMedia(key);
    return media ? (JSON.parse(media.bytes.toString('utf8')) as T) : null;
  }

  async #keys(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await this.#store.listMediaKeys(prefix, after, COUNT_PAGE_KEYS);
      out.push(...page);
      if (page.length < COUNT_PAGE_KEYS) return out;
      after = page.at(-1)!;
    }
  }

  async put(record: TemplateRecord): Promise<void> {
    // The record first, then the index and the pending marker: a crash in between leaves a record
    // nobody lists (harmless), never an index entry without its record.
    await this.#putJson(keys.record(record.id), record);
    await this.#store.putMedia(`${keys.eventIndex(record.eventId)}${record.createdAt}-${record.id}`, {
      bytes: Buffer.from(record.id),
      contentType: 'text/plain',
    });
    if (record.feedVersion < record.version) {
      await this.#store.putMedia(keys.pending(record.eventId, record.id), {
        bytes: Buffer.from(String(record.version)),
        contentType: 'text/plain',
      });
    } else {
      await this.#store.deleteMedia(keys.pending(record.eventId, record.id));
    }
  }

  get(id: string): Promise<TemplateRecord | null> {
    return this.#getJson<TemplateRecord>(keys.record(id));
  }

  async list(eventId: string): Promise<TemplateRecord[]> {
    const prefix = keys.eventIndex(eventId);
    const ids = new Set((await this.#keys(prefix)).map((k) => k.slice(prefix.length).replace(/^\d+-/, '')));
    const records = await Promise.all([...ids].map((id) => this.get(id)));
    return records.filter((r): r is TemplateRecord => r !== null).sort((a, b) => a.createdAt - b.createdAt);
  }

  putFrame(id: string, png: Buffer): Promise<void> {
    return this.#store.putMedia(keys.frame(id), { bytes: png, contentType: 'image/png' });
  }

  async getFrame(id: string): Promise<Buffer | null> {
    return (await this.#store.getMedia(keys.frame(id)))?.bytes ?? null;
  }

  async eventsWithPending(): Promise<string[]> {
    const pending = await this.#keys(keys.pendingPrefix);
    return [...new Set(pending.map((k) => k.slice(keys.pendingPrefix.length).split('/')[0]!))];
  }

  getFeeSettings(eventId: string): Promise<FeeSettings | null> {
    return this.#getJson<FeeSettings>(keys.fees(eventId));
  }

  putFeeSettings(eventId: string, settings: FeeSettings): Promise<void> {
    return this.#putJson(keys.fees(eventId), settings);
  }

  putOrderCustomer(orderId: string, customerId: string): Promise<void> {
    return this.#putJson(keys.orderCustomer(orderId), { customerId });
  }

  async getOrderCustomer(orderId: string): Promise<string | null> {
    return (await this.#getJson<{ customerId: string }>(keys.orderCustomer(orderId)))?.customerId ?? null;
  }

  recordUse(use: TemplateUse): Promise<void> {
    // The same key for every report of this unit: a repeat overwrites, it never adds.
    return this.#putJson(`${keys.uses(use.templateId)}${unitKey(use.orderId, use.unit)}`, use);
  }

  async countUses(templateId: string): Promise<number> {
    return (await this.#keys(keys.uses(templateId))).length;
  }

  async listUses(templateId: string): Promise<TemplateUse[]> {
    const all = await Promise.all((await this.#keys(keys.uses(templateId))).map((k) => this.#getJson<TemplateUse>(k)));
    return all.filter((u): u is TemplateUse => u !== null);
  }

  recordCustomerUse(customerId: string, orderId: string, unit: number): Promise<void> {
    return this.#store.putMedia(`${keys.customerUses(customerId)}${unitKey(orderId, unit)}`, {
      bytes: Buffer.from('1'),
      contentType: 'text/plain',
    });
  }

  async countCustomerUses(customerId: string): Promise<number> {
    return (await this.#keys(keys.customerUses(customerId))).length;
  }
}

const perStore = new WeakMap<object, TemplateStore>();

/** The template store over a coordinator store: one per store object, so every service shares it. */
export function templateStoreFor(store: MediaStore): TemplateStore {
  let found = perStore.get(store);
  if (!found) {
    found = new MediaTemplateStore(store);
    perStore.set(store, found);
  }
  return found;
}
