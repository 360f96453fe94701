/**
 * Frames at the kiosk (issue #14 in the buy-at-kiosk flow): the event's templates as this printer's
 * replica holds them (so browsing and previews work with the uplink down), their fee per print as the
 * coordinator last priced it (kept here; payment needs the uplink anyway and the coordinator checks
 * the total again), and small framed previews made here with the printer's own compositing code
 * (composeTemplate + placeLayout), so what the fan sees is what prints.
 *
 * Only one-photo frames are offered here: a strip takes several photos, which the kiosk's
 * tap-a-photo basket has no way to pick without a keyboard-free multi-pick screen (not built).
 */
import { isAppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { KioskTemplateFees } from '../../shared/protocol/kiosk-sale.ts';
import { composeTemplate } from '../../shared/templates/compose-template.ts';
import type { UnitTemplate } from '../../shared/templates/order-template.ts';
import { frameAsCatalogEntry, type TemplateCatalogEntry } from '../../shared/templates/template-feed.ts';
import { designSize } from '../../shared/templates/template-layout.ts';
import type { CoordinatorClient } from '../coordinator-client.ts';
import type { EventReplica } from '../mesh/event-replica.ts';

/** Long edge of a kiosk preview: a big tile on the touch screen, sharp on a high-density panel. */
export const KIOSK_FRAME_PREVIEW_LONG_EDGE_PX = 480;
/** Previews kept in memory: a basket's photos × the event's few frames. */
export const KIOSK_FRAME_PREVIEW_CACHE_ENTRIES = 96;
/** Fees are asked for again after this long (they move with usage). */
const FEES_REFRESH_MS = 30_000;
/** The fan is standing there: the fee question waits this long at most. */
const FEES_TIMEOUT_MS = 1_500;
/** A template's catalog entry is awaited this long for a preview. */
const TEMPLATE_READ_TIMEOUT_MS = 1_000;

export interface KioskFrame {
  templateId: string;
  name: string;
  version: number;
  /** Per print, for a new customer; null while this printer never heard the fee (uplink down since start). */
  feeCents: number | null;
  feeLine: string | null;
}

export interface FrameFeeLine {
  imageId: string;
  templateId: string;
  name: string;
  copies: number;
  feeCents: number;
  feeLine: string;
}

export interface KioskFramesDeps {
  clock: Clock;
  replica(eventId: string): EventReplica | undefined;
  client(): CoordinatorClient | null;
  /** The whole photo, when this printer holds it. */
  photo(eventId: string, imageId: string): Promise<Buffer | null>;
}

export class KioskFrames {
  readonly #d: KioskFramesDeps;
  readonly #fees = new Map<string, { at: number; fees: KioskTemplateFees | null }>();
  readonly #previews = new Map<string, Promise<Buffer | null>>();

  constructor(deps: KioskFramesDeps) {
    this.#d = deps;
  }

  /** The one-photo frames of the event this printer can show and print; with known fees, only the offered ones. */
  async list(eventId: string): Promise<KioskFrame[]> {
    const replica = this.#d.replica(eventId);
    if (!replica) return [];
    const fees = await this.#feesOf(eventId);
    const priced = new Map(fees?.templates.map((t) => [t.templateId, t]));
    const frames: KioskFrame[] = [];
    for (const entry of await replica.templateEntries()) {
      if (entry.layout.slots.length !== 1) continue;
      const frame = frameAsCatalogEntry(entry);
      if (frame && !(await replica.holds(frame))) continue;
      const fee = priced.get(entry.templateId);
      // A template the coordinator no longer offers (retired) is not shown; unknown fees show the frame anyway.
      if (fees && !fee) continue;
      frames.push({
        templateId: entry.templateId,
        name: entry.name,
        version: entry.version,
        feeCents: fee?.feeCents ?? null,
        feeLine: fee?.feeLine ?? null,
      });
    }
    return frames.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The frame fees of a basket's framed lines; `known` is false while a fee was never heard. */
  async fees(
    eventId: string,
    items: ReadonlyArray<{ imageId: string; copies: number; template?: { templateId: string } }>,
  ): Promise<{ lines: FrameFeeLine[]; totalCents: number; known: boolean }> {
    const framed = items.filter((i) => i.template);
    if (framed.length === 0) return { lines: [], totalCents: 0, known: true };
    const fees = await this.#feesOf(eventId);
    const priced = new Map(fees?.templates.map((t) => [t.templateId, t]));
    const lines: FrameFeeLine[] = [];
    let known = true;
    for (const item of framed) {
      const fee = priced.get(item.template!.templateId);
      if (!fee) {
        known = false;
        continue;
      }
      lines.push({
        imageId: item.imageId,
        templateId: fee.templateId,
        name: fee.name,
        copies: item.copies,
        feeCents: fee.feeCents,
        feeLine: fee.feeLine,
      });
    }
    return { lines, totalCents: lines.reduce((n, l) => n + l.feeCents * l.copies, 0), known };
  }

  /** The coordinator said the price moved: ask for the fees again on the next quote. */
  forget(eventId: string): void {
    this.#fees.delete(eventId);
  }

  /** A small JPEG of the photo in the frame, made here; null when the photo or frame is not held here. */
  preview(eventId: string, imageId: string, templateId: string): Promise<Buffer | null> {
    return this.framed(eventId, imageId, { templateId, moreImageIds: [], caption: null });
  }

  /** A unit's framed picture (the done card), with its caption and further photos as the order has them. */
  async framed(eventId: string, imageId: string, template: UnitTemplate): Promise<Buffer | null> {
    const replica = this.#d.replica(eventId);
    const entry = replica ? await replica.templateEntry(template.templateId, TEMPLATE_READ_TIMEOUT_MS) : null;
    if (!replica || !entry) return null;
    const key = JSON.stringify([eventId, entry.templateId, entry.version, imageId, template]);
    const cached = this.#previews.get(key);
    if (cached) {
      this.#previews.delete(key);
      this.#previews.set(key, cached);
      return cached;
    }
    const made = this.#render(replica, entry, [imageId, ...template.moreImageIds], template.caption);
    this.#previews.set(key, made);
    // A miss (photo not here yet) or a failure is not kept: the screen asks again.
    made.then(
      (b) => b ?? this.#previews.delete(key),
      () => this.#previews.delete(key),
    );
    while (this.#previews.size > KIOSK_FRAME_PREVIEW_CACHE_ENTRIES) {
      this.#previews.delete(this.#previews.keys().next().value!);
    }
    return made;
  }

  async #render(
    replica: EventReplica,
    entry: TemplateCatalogEntry,
    imageIds: string[],
    caption: string | null,
  ): Promise<Buffer | null> {
    const frameEntry = frameAsCatalogEntry(entry);
    const frame = frameEntry ? await replica.readLocal(frameEntry) : null;
    if (frameEntry && !frame) return null;
    const photos: Buffer[] = [];
    for (const id of imageIds) {
      const photo = await this.#d.photo(replica.eventId, id);
      if (!photo) return null;
      photos.push(photo);
    }
    const design = designSize(entry.layout.media);
    const scale = KIOSK_FRAME_PREVIEW_LONG_EDGE_PX / Math.max(design.width, design.height);
    return composeTemplate({
      layout: entry.layout,
      frame,
      photos,
      texts: { eventName: entry.eventName, eventDate: entry.eventDate, caption },
      target: { width: Math.round(design.width * scale), height: Math.round(design.height * scale) },
      format: 'jpeg',
    });
  }

  /** The coordinator's fees, asked for now and then and kept, so a short uplink gap still shows them. */
  async #feesOf(eventId: string): Promise<KioskTemplateFees | null> {
    const now = this.#d.clock.now();
    const cached = this.#fees.get(eventId);
    if (cached && now - cached.at < FEES_REFRESH_MS) return cached.fees;
    const client = this.#d.client();
    if (!client) return cached?.fees ?? null;
    try {
      const fees = await client.kioskTemplateFees(eventId, FEES_TIMEOUT_MS);
      this.#fees.set(eventId, { at: now, fees });
      return fees;
    } catch (err) {
      if (!isAppError(err)) throw err;
      // Offline: keep what we had, and do not ask again on every tap.
      this.#fees.set(eventId, { at: now, fees: cached?.fees ?? null });
      return cached?.fees ?? null;
    }
  }
}
