import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { AppError } from '../../shared/errors.ts';
import {
  applyRates,
  bandFor,
  basicFeeProblems,
  defaultFeeSettings,
  type FeeSettings,
  feeSettingsProblems,
  nextBand,
  quoteTemplateFee,
  type TemplateFeeQuote,
  tableForCustomer,
} from '../../shared/policy/template-fees.ts';
import { randomId } from '../../shared/ports/random.ts';
import { composeTemplate } from '../../shared/templates/compose-template.ts';
import {
  designSize,
  findWindows,
  layoutProblems,
  MAX_PHOTO_SLOTS,
  mediaForPixels,
  readingOrder,
  TEMPLATE_MEDIA,
  type TemplateLayout,
} from '../../shared/templates/template-layout.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { sniffImageMime } from '../media/image-signature.ts';
import { mediaKey } from '../media/media-keys.ts';
import type { EventRecord } from '../store/records.ts';
import { samplePhoto } from './sample-photo.ts';
import { type TemplateRecord, type TemplateStore, templateStoreFor } from './template-store.ts';

/** A frame larger than this is refused before decoding: a 5×7 in RGBA PNG is well under it. */
export const MAX_FRAME_BYTES = 20 * 1024 * 1024;
export const MAX_FRAME_PIXELS = 12_000_000;
export const MAX_TEMPLATES_PER_EVENT = 40;
/** The shop's live preview: long edge in pixels (phone screens), rendered once and cached. */
export const PREVIEW_LONG_EDGE_PX = 480;
export const PREVIEW_CACHE_ENTRIES = 256;

export interface TemplateView {
  id: string;
  eventId: string;
  name: string;
  kind: TemplateRecord['kind'];
  media: TemplateLayout['media'];
  mediaLabel: string;
  photoCount: number;
  hasCaption: boolean;
  basicFeeCents: number;
  onFeed: boolean;
  /** No longer offered to fans (its orders still print framed). */
  retired: boolean;
  version: number;
  layout: TemplateLayout;
  previewUrl: string;
}

export interface TemplateStats {
  template: TemplateView;
  uses: number;
  revenueCents: number;
  band: string;
  rate: number;
  priceNowCents: number;
  next: { fromUses: number; usesToGo: number; band: string; rate: number; priceCents: number } | null;
}

/**
 * Templates of an event (issue #14): frames uploaded by operators (windows found automatically),
 * layouts, their fee settings and fees, previews, and usage. The decisions are the shared pure
 * modules' (template-layout, template-fees); this class reads and writes the store around them.
 */
export class TemplateService {
  readonly #deps: CoordinatorDeps;
  readonly #templates: TemplateStore;
  readonly #previews = new Map<string, Promise<Buffer>>();

  constructor(deps: CoordinatorDeps) {
    this.#deps = deps;
    this.#templates = templateStoreFor(deps.store);
  }

  get store(): TemplateStore {
    return this.#templates;
  }

  async #event(eventId: string): Promise<EventRecord> {
    const event = await this.#deps.store.getEvent(eventId);
    if (!event) throw new AppError('event_not_found', 'This event does not exist.');
    return event;
  }

  async require(templateId: string, eventId?: string): Promise<TemplateRecord> {
    const t = await this.#templates.get(templateId);
    if (!t || (eventId !== undefined && t.eventId !== eventId)) {
      throw new AppError('template_not_found', 'This template does not exist at this event.');
    }
    return t;
  }

  view(t: TemplateRecord): TemplateView {
    return {
      id: t.id,
      eventId: t.eventId,
      name: t.name,
      kind: t.kind,
      media: t.layout.media,
      mediaLabel: TEMPLATE_MEDIA[t.layout.media].label,
      photoCount: t.layout.slots.length,
      hasCaption: t.layout.texts.some((f) => f.source === 'caption'),
      basicFeeCents: t.basicFeeCents,
      onFeed: t.feedVersion >= t.version,
      retired: t.retired,
      version: t.version,
      layout: t.layout,
      previewUrl: `/api/templates/${encodeURIComponent(t.id)}/preview.jpg?v=${t.version}`,
    };
  }

  /** A frame PNG: its size must be a media's, its transparent windows become the photo windows. */
  async createFrame(
    eventId: string,
    input: { name: string; basicFeeCents: number; png: Buffer; layout?: TemplateLayout },
  ): Promise<TemplateView> {
    await this.#event(eventId);
    const problems = [...nameProblems(input.name), ...basicFeeProblems(input.basicFeeCents)];
    if (problems.length > 0) throw invalid(problems);
    if (input.png.byteLength > MAX_FRAME_BYTES) {
      throw new AppError('template_invalid', `A frame may be at most ${MAX_FRAME_BYTES / 1024 / 1024} MB.`);
    }
    if (sniffImageMime(input.png) !== 'image/png') {
      throw new AppError('template_not_png', 'A frame must be a PNG with transparent windows.');
    }
    const { alpha, width, height } = await readAlpha(input.png);
    const media = mediaForPixels(width, height);
    if (!media) {
      const sizes = Object.keys(TEMPLATE_MEDIA).map((m) => {
        const d = designSize(m as TemplateLayout['media']);
        return `${d.width}×${d.height}`;
      });
      throw invalid([`the frame is ${width}×${height} pixels; it must be one of ${sizes.join(', ')} (300 dpi)`]);
    }
    const windows = readingOrder(findWindows(alpha, width, height));
    const layout: TemplateLayout = input.layout ?? {
      media,
      slots: windows.map((w) => ({ ...w, rotation: 0 })),
      texts: [],
    };
    if (input.layout && input.layout.media !== media) throw invalid([`the layout's media must be ${media}`]);
    if (windows.length === 0 && !input.layout) {
      throw invalid(['the frame has no transparent window; cut one (alpha 0) where the photo goes']);
    }
    if (windows.length > MAX_PHOTO_SLOTS && !input.layout) {
      throw invalid([`the frame has ${windows.length} transparent windows; at most ${MAX_PHOTO_SLOTS}`]);
    }
    return this.#create(eventId, input.name, input.basicFeeCents, 'frame', layout, input.png, { width, height });
  }

  /** A layout without a frame image: photo slots and text fields on white paper. */
  async createLayout(
    eventId: string,
    input: { name: string; basicFeeCents: number; layout: TemplateLayout },
  ): Promise<TemplateView> {
    await this.#event(eventId);
    const problems = [...nameProblems(input.name), ...basicFeeProblems(input.basicFeeCents)];
    if (problems.length > 0) throw invalid(problems);
    return this.#create(eventId, input.name, input.basicFeeCents, 'layout', input.layout, null, null);
  }

  async #create(
    eventId: string,
    name: string,
    basicFeeCents: number,
    kind: TemplateRecord['kind'],
    layout: TemplateLayout,
    png: Buffer | null,
    size: { width: number; height: number } | null,
  ): Promise<TemplateView> {
    const problems = layoutProblems(layout);
    if (problems.length > 0) throw invalid(problems);
    if ((await this.#templates.list(eventId)).length >= MAX_TEMPLATES_PER_EVENT) {
      throw invalid([`an event holds at most ${MAX_TEMPLATES_PER_EVENT} templates`]);
    }
    const id = randomId(this.#deps.random, 12);
    // The frame first: a record never names a frame that is not stored.
    if (png) await this.#templates.putFrame(id, png);
    const record: TemplateRecord = {
      id,
      eventId,
      name: name.trim(),
      kind,
      layout,
      basicFeeCents,
      frame:
        png && size
          ? {
              sha256: createHash('sha256').update(png).digest('hex'),
              byteLength: png.byteLength,
              width: size.width,
              height: size.height,
            }
          : null,
      version: 1,
      feedVersion: 0,
      feedBlob: null,
      retired: false,
      createdAt: this.#deps.clock.now(),
    };
    await this.#templates.put(record);
    this.#deps.feeds.notifyImagesPending(eventId);
    return this.view(record);
  }

  /** The operator adjusts windows or text fields: a new version goes onto the feed. */
  async updateLayout(templateId: string, layout: TemplateLayout): Promise<TemplateView> {
    const t = await this.require(templateId);
    const problems = layoutProblems(layout);
    if (t.frame && layout.media !== t.layout.media) problems.push(`the layout's media must stay ${t.layout.media}`);
    if (problems.length > 0) throw invalid(problems);
    const next = { ...t, layout, version: t.version + 1 };
    await this.#templates.put(next);
    this.#deps.feeds.notifyImagesPending(t.eventId);
    return this.view(next);
  }

  /** No longer offered to fans; orders that have it keep it and still print framed. */
  async retire(templateId: string): Promise<TemplateView> {
    const t = await this.require(templateId);
    const next = { ...t, retired: true };
    await this.#templates.put(next);
    return this.view(next);
  }

  async list(eventId: string): Promise<TemplateRecord[]> {
    return (await this.#templates.list(eventId)).filter((t) => !t.retired);
  }

  async feeSettings(eventId: string): Promise<FeeSettings> {
    return (await this.#templates.getFeeSettings(eventId)) ?? defaultFeeSettings();
  }

  /** Replaces the tables and/or the active one; quotes made before keep their price. */
  async setFeeSettings(eventId: string, patch: Partial<FeeSettings>): Promise<FeeSettings> {
    await this.#event(eventId);
    const next = { ...(await this.feeSettings(eventId)), ...patch };
    const problems = feeSettingsProblems(next);
    if (problems.length > 0) throw new AppError('fee_table_invalid', problems.join('; '), { problems });
    await this.#templates.putFeeSettings(eventId, next);
    return next;
  }

  /** The fee a customer would be quoted now. */
  async quote(t: TemplateRecord, customerId: string | null): Promise<TemplateFeeQuote> {
    const [uses, customerUses, settings] = await Promise.all([
      this.#templates.countUses(t.id),
      customerId ? this.#templates.countCustomerUses(customerId) : Promise.resolve(0),
      this.feeSettings(t.eventId),
    ]);
    return quoteTemplateFee({ basicFeeCents: t.basicFeeCents, templateUses: uses, customerUses, settings });
  }

  /** Per template: uses, revenue, band, the next band and its price (for a new customer). */
  async stats(eventId: string): Promise<{ settings: FeeSettings; templates: TemplateStats[] }> {
    const settings = await this.feeSettings(eventId);
    const table = tableForCustomer(settings, 0);
    const newCustomer = bandFor(settings.customerTable, 0).rate;
    // Retired templates too: their uses and revenue are part of the event's.
    const templates = await Promise.all(
      (await this.#templates.list(eventId)).map(async (t): Promise<TemplateStats> => {
        const used = await this.#templates.listUses(t.id);
        const uses = used.length;
        const band = bandFor(table, uses);
        const after = nextBand(table, uses);
        return {
          template: this.view(t),
          uses,
          revenueCents: used.reduce((sum, u) => sum + u.feeCents, 0),
          band: band.label,
          rate: band.rate,
          priceNowCents: applyRates(t.basicFeeCents, band.rate, newCustomer),
          next: after
            ? {
                fromUses: after.fromUses,
                usesToGo: after.fromUses - uses,
                band: after.label,
                rate: after.rate,
                priceCents: applyRates(t.basicFeeCents, after.rate, newCustomer),
              }
            : null,
        };
      }),
    );
    return { settings, templates };
  }

  /**
   * A composite of the template with these photos (or a sample photo), long edge
   * PREVIEW_LONG_EDGE_PX, from the print masters' preview renditions; cached per template version.
   */
  async preview(templateId: string, imageIds: string[], caption: string | null): Promise<Buffer> {
    const t = await this.require(templateId);
    const key = JSON.stringify([t.id, t.version, imageIds, caption]);
    let found = this.#previews.get(key);
    if (found) {
      // Refresh its place: the cache drops the least recently used.
      this.#previews.delete(key);
      this.#previews.set(key, found);
      return found;
    }
    found = this.#renderPreview(t, imageIds, caption);
    this.#previews.set(key, found);
    found.catch(() => this.#previews.delete(key));
    while (this.#previews.size > PREVIEW_CACHE_ENTRIES) this.#previews.delete(this.#previews.keys().next().value!);
    return found;
  }

  async #renderPreview(t: TemplateRecord, imageIds: string[], caption: string | null): Promise<Buffer> {
    const { store } = this.#deps;
    const event = await this.#event(t.eventId);
    const photos: Buffer[] = [];
    for (const imageId of imageIds) {
      const image = await store.getImage(imageId);
      if (!image || image.eventId !== t.eventId) {
        throw new AppError('image_not_in_event', `Image ${imageId} is not for sale at this event.`, { imageId });
      }
      const media = await store.getMedia(mediaKey.preview(imageId));
      if (media) photos.push(media.bytes);
    }
    if (photos.length === 0) photos.push(await samplePhoto());
    const design = designSize(t.layout.media);
    const scale = PREVIEW_LONG_EDGE_PX / Math.max(design.width, design.height);
    return composeTemplate({
      layout: t.layout,
      frame: t.frame ? await this.#templates.getFrame(t.id) : null,
      photos,
      texts: { eventName: event.name, eventDate: eventDate(event), caption },
      target: { width: Math.round(design.width * scale), height: Math.round(design.height * scale) },
      format: 'jpeg',
    });
  }
}

export function eventDate(event: EventRecord): string {
  return new Date(event.startsAt).toISOString().slice(0, 10);
}

function nameProblems(name: string): string[] {
  const trimmed = name.trim();
  return trimmed.length >= 1 && trimmed.length <= 60 ? [] : ['the name must be 1 to 60 characters'];
}

function invalid(problems: string[]): AppError {
  return new AppError('template_invalid', `The template is not valid: ${problems.join('; ')}.`, { problems });
}

async function readAlpha(png: Buffer): Promise<{ alpha: Uint8Array; width: number; height: number }> {
  try {
    const { data, info } = await sharp(png, { limitInputPixels: MAX_FRAME_PIXELS, failOn: 'error' })
      .ensureAlpha()
      .extractChannel(3)
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      alpha: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
    };
  } catch (err) {
    throw new AppError('template_unreadable', `The frame cannot be decoded: ${(err as Error).message}.`);
  }
}
