import type Hyperbee from 'hyperbee';
import { CATALOG_IMAGE_PREFIX, type CatalogEntry, catalogKey } from '../../shared/feed/feed-layout.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import {
  CATALOG_TEMPLATE_PREFIX,
  isTemplateCatalogEntry,
  type TemplateCatalogEntry,
  templateCatalogKey,
} from '../../shared/templates/template-feed.ts';
import { isNotAvailableYet } from './hypercore-codes.ts';

/** Catalog reads wait at most this long for a peer; the catalog is small and usually local. */
export const CATALOG_GET_TIMEOUT_MS = 5_000;
/** One catalog block a scan may wait for, and the whole scan: a scan serves status calls. */
export const CATALOG_SCAN_BLOCK_TIMEOUT_MS = 1_000;
export const CATALOG_SCAN_DEADLINE_MS = 5_000;

/**
 * Reads of an event's catalog (a Hyperbee of image and template entries) that never hang a caller:
 * every wait for a block a peer has not sent yet is bounded, and a scan that cannot finish answers
 * with the last complete one.
 */
export class CatalogReader {
  readonly #catalog: Hyperbee<unknown>;
  readonly #clock: Clock;
  /** Called with each new complete scan (the replica tracks photo arrivals from it). */
  readonly #onScanned: (entries: CatalogEntry[]) => Promise<void>;
  #entries: CatalogEntry[] = [];
  #entriesVersion = -1;

  constructor(catalog: Hyperbee<unknown>, clock: Clock, onScanned: (entries: CatalogEntry[]) => Promise<void>) {
    this.#catalog = catalog;
    this.#clock = clock;
    this.#onScanned = onScanned;
  }

  /** Image entries held locally, in append order. Cached per catalog version. */
  async entries(): Promise<CatalogEntry[]> {
    if (this.#catalog.version === this.#entriesVersion) return this.#entries;
    const version = this.#catalog.version;
    const out: CatalogEntry[] = [];
    // A catalog block that is not local yet would make the read wait for a peer forever (Hyperbee's
    // default), and status, have-lists and reports all start here: bound each block wait and the
    // whole pass, and keep the last complete list until the catalog is local.
    const stream = this.#catalog.createReadStream(
      { gt: CATALOG_IMAGE_PREFIX, lt: `${CATALOG_IMAGE_PREFIX}\uffff` },
      { timeout: CATALOG_SCAN_BLOCK_TIMEOUT_MS },
    );
    const deadline = this.#clock.setTimeout(
      () => stream.destroy(new Error('catalog scan deadline')),
      CATALOG_SCAN_DEADLINE_MS,
    );
    try {
      for await (const node of stream) out.push(node.value as CatalogEntry);
    } catch {
      return this.#entries;
    } finally {
      deadline.cancel();
    }
    out.sort((a, b) => a.seq - b.seq);
    this.#entries = out;
    this.#entriesVersion = version;
    await this.#onScanned(out);
    return out;
  }

  /** The image's entry, or null when it is not here yet (no peer sent it in time); other failures throw. */
  async entry(imageId: string, timeoutMs = CATALOG_GET_TIMEOUT_MS): Promise<CatalogEntry | null> {
    // Entries never change once appended, so the last complete local scan answers for what it has.
    // A lookup in the newest catalog version waits for its newest blocks, which may be out of reach
    // (a batch was appended just before the uplink went): the photos held since must still print.
    const scanned = this.#entries.find((e) => e.imageId === imageId);
    if (scanned) return scanned;
    try {
      const node = await this.#catalog.get(catalogKey(imageId), { timeout: timeoutMs });
      return node ? (node.value as CatalogEntry) : null;
    } catch (err) {
      if (isNotAvailableYet(err)) return null;
      throw err;
    }
  }

  /** Issue #14: a template of the event, as the catalog has it now; null when it is not here (yet). */
  async templateEntry(templateId: string, timeoutMs = CATALOG_GET_TIMEOUT_MS): Promise<TemplateCatalogEntry | null> {
    try {
      const node = await this.#catalog.get(templateCatalogKey(templateId), { timeout: timeoutMs });
      return node && isTemplateCatalogEntry(node.value) ? node.value : null;
    } catch (err) {
      if (isNotAvailableYet(err)) return null;
      throw err;
    }
  }

  /** Issue #14: every template of the event in the catalog (the printer prefetches their frames). */
  async templateEntries(): Promise<TemplateCatalogEntry[]> {
    const out: TemplateCatalogEntry[] = [];
    const stream = this.#catalog.createReadStream(
      { gt: CATALOG_TEMPLATE_PREFIX, lt: `${CATALOG_TEMPLATE_PREFIX}\uffff` },
      { timeout: CATALOG_SCAN_BLOCK_TIMEOUT_MS },
    );
    try {
      for await (const node of stream) if (isTemplateCatalogEntry(node.value)) out.push(node.value);
    } catch {
      // A catalog block not here yet: the templates seen so far; the next pass finds the rest.
    }
    return out;
  }
}
