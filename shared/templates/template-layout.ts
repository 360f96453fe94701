/**
 * Templates (issue #14): what a frame or a layout is, how it is validated, where its photo windows
 * are, and how it scales to a target's pixels. Pure: the shop's preview, the console's sample, and
 * the printer's composite at print resolution all place photos with placeLayout(), so what the fan
 * saw is what prints.
 *
 * Coordinates are in design pixels: the template's media at TEMPLATE_DESIGN_DPI (a 4×6 in template
 * is 1200×1800). A target (a 300-dpi photo printer, a 576-dot receipt head, a 240-pixel preview)
 * gets every rectangle scaled by the same factor.
 */

export const TEMPLATE_DESIGN_DPI = 300;
export const MAX_PHOTO_SLOTS = 6;
export const MAX_TEXT_FIELDS = 8;
export const MAX_TEXT_CHARS = 80;
export const MAX_TEMPLATE_NAME_CHARS = 60;
/** A transparent area smaller than this share of the media is a speck or anti-aliasing, not a window. */
export const MIN_WINDOW_AREA_FRACTION = 0.01;
/** Alpha at or below this counts as transparent when looking for windows. */
export const WINDOW_ALPHA_MAX = 16;

/** The media a template can be designed for: the sizes the venue's printers take (PWG names). */
export const TEMPLATE_MEDIA = {
  'na_index-4x6_4x6in': { widthIn: 4, heightIn: 6, label: '4×6 in photo' },
  na_5x7_5x7in: { widthIn: 5, heightIn: 7, label: '5×7 in photo' },
  'oe_photo-strip_2x6in': { widthIn: 2, heightIn: 6, label: '2×6 in photo strip' },
} as const;
export type TemplateMedia = keyof typeof TEMPLATE_MEDIA;

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PhotoSlot extends Rect {
  /** Degrees clockwise; the photo is turned, then cropped to fill the slot. */
  rotation: number;
}

export type TextSource = 'event_name' | 'event_date' | 'caption' | 'fixed';

export interface TextField extends Rect {
  source: TextSource;
  /** For 'fixed' fields (a sponsor line). */
  text?: string;
  /** Hex colour, e.g. "#ffffff". */
  color: string;
}

export interface TemplateLayout {
  media: TemplateMedia;
  slots: PhotoSlot[];
  texts: TextField[];
}

export function designSize(media: TemplateMedia): { width: number; height: number } {
  const m = TEMPLATE_MEDIA[media];
  return { width: Math.round(m.widthIn * TEMPLATE_DESIGN_DPI), height: Math.round(m.heightIn * TEMPLATE_DESIGN_DPI) };
}

/** The media whose design size is exactly width×height, either way round; null when none is. */
export function mediaForPixels(width: number, height: number): TemplateMedia | null {
  for (const media of Object.keys(TEMPLATE_MEDIA) as TemplateMedia[]) {
    const d = designSize(media);
    if (d.width === width && d.height === height) return media;
  }
  return null;
}

/** What is wrong with a layout, as sentences an operator can act on; empty when it is valid. */
export function layoutProblems(layout: TemplateLayout): string[] {
  const problems: string[] = [];
  if (!(layout.media in TEMPLATE_MEDIA)) {
    problems.push(`media must be one of ${Object.keys(TEMPLATE_MEDIA).join(', ')}`);
    return problems;
  }
  const size = designSize(layout.media);
  if (layout.slots.length < 1) problems.push('a template needs at least one photo window');
  if (layout.slots.length > MAX_PHOTO_SLOTS) problems.push(`at most ${MAX_PHOTO_SLOTS} photo windows`);
  if (layout.texts.length > MAX_TEXT_FIELDS) problems.push(`at most ${MAX_TEXT_FIELDS} text fields`);
  const inside = (r: Rect, what: string) => {
    const whole = [r.x, r.y, r.width, r.height].every(Number.isInteger);
    if (!whole || r.width < 1 || r.height < 1 || r.x < 0 || r.y < 0) {
      problems.push(`${what} must have whole, positive pixel coordinates`);
    } else if (r.x + r.width > size.width || r.y + r.height > size.height) {
      problems.push(`${what} must lie within the ${size.width}×${size.height} media`);
    }
  };
  layout.slots.forEach((s, i) => {
    inside(s, `photo window ${i + 1}`);
    if (![0, 90, 180, 270].includes(s.rotation))
      problems.push(`photo window ${i + 1}: rotation must be 0, 90, 180 or 270`);
  });
  layout.texts.forEach((t, i) => {
    inside(t, `text field ${i + 1}`);
    if (!/^#[0-9a-fA-F]{6}$/.test(t.color)) problems.push(`text field ${i + 1}: colour must be like #ffffff`);
    if (t.source === 'fixed' && !(t.text ?? '').trim())
      problems.push(`text field ${i + 1}: a fixed text needs its text`);
    if ((t.text ?? '').length > MAX_TEXT_CHARS)
      problems.push(`text field ${i + 1}: at most ${MAX_TEXT_CHARS} characters`);
  });
  return problems;
}

/** Every rectangle of the layout scaled to a target of width×height pixels (whole pixels). */
export function placeLayout(
  layout: TemplateLayout,
  target: { width: number; height: number },
): { slots: PhotoSlot[]; texts: TextField[]; scale: number } {
  const size = designSize(layout.media);
  const sx = target.width / size.width;
  const sy = target.height / size.height;
  // Edges are rounded, not sizes, so neighbouring windows never overlap or leave a gap by rounding.
  const place = <R extends Rect>(r: R): R => {
    const x = Math.round(r.x * sx);
    const y = Math.round(r.y * sy);
    return {
      ...r,
      x,
      y,
      width: Math.max(1, Math.round((r.x + r.width) * sx) - x),
      height: Math.max(1, Math.round((r.y + r.height) * sy) - y),
    };
  };
  return { slots: layout.slots.map(place), texts: layout.texts.map(place), scale: Math.min(sx, sy) };
}

/** The pixel size of a print of this media on a head `widthDots` wide (the ESC/POS path). */
export function receiptTarget(media: TemplateMedia, widthDots: number): { width: number; height: number } {
  const size = designSize(media);
  return { width: widthDots, height: Math.round((widthDots * size.height) / size.width) };
}

/**
 * The transparent windows of a frame: 4-connected areas of alpha ≤ WINDOW_ALPHA_MAX (a window may
 * run to the edge, a bleed); areas under MIN_WINDOW_AREA_FRACTION of the media are specks of
 * anti-aliasing and are ignored. Returned as bounding boxes, largest first (all of them: a frame
 * with more than MAX_PHOTO_SLOTS is refused, not cut short). O(width × height): one pass plus a
 * flood fill on an explicit stack.
 */
export function findWindows(alpha: Uint8Array, width: number, height: number): Rect[] {
  if (alpha.length < width * height) throw new RangeError(`findWindows: expected ${width * height} alpha values`);
  const seen = new Uint8Array(width * height);
  const minArea = Math.max(1, Math.floor(width * height * MIN_WINDOW_AREA_FRACTION));
  const found: Array<Rect & { area: number }> = [];
  const stack = new Int32Array(width * height);
  for (let start = 0; start < width * height; start++) {
    if (seen[start] || alpha[start]! > WINDOW_ALPHA_MAX) continue;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    let minX = width;
    let minY = height;
    let maxX = 0;
    let maxY = 0;
    let area = 0;
    while (top > 0) {
      const p = stack[--top]!;
      const x = p % width;
      const y = (p - x) / width;
      area++;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      const visit = (q: number) => {
        if (!seen[q] && alpha[q]! <= WINDOW_ALPHA_MAX) {
          seen[q] = 1;
          stack[top++] = q;
        }
      };
      if (x > 0) visit(p - 1);
      if (x < width - 1) visit(p + 1);
      if (y > 0) visit(p - width);
      if (y < height - 1) visit(p + width);
    }
    if (area >= minArea) found.push({ x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1, area });
  }
  found.sort((a, b) => b.area - a.area || a.y - b.y || a.x - b.x);
  return found.map(({ x, y, width: w, height: h }) => ({ x, y, width: w, height: h }));
}

/** Windows in reading order (top to bottom, then left to right): slot 1 is the fan's first photo. */
export function readingOrder<R extends Rect>(rects: readonly R[]): R[] {
  return [...rects].sort((a, b) => a.y - b.y || a.x - b.x);
}

/** The text a field shows, from the event and the fan's caption. */
export function fieldText(
  field: TextField,
  values: { eventName: string; eventDate: string; caption?: string | null },
): string {
  const text =
    field.source === 'event_name'
      ? values.eventName
      : field.source === 'event_date'
        ? values.eventDate
        : field.source === 'caption'
          ? (values.caption ?? '')
          : (field.text ?? '');
  return text.slice(0, MAX_TEXT_CHARS);
}
