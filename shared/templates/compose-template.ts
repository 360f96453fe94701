/**
 * A template and a fan's photos composited into one picture at a target's pixel size (sharp). The
 * same function makes the shop's small preview, the console's sample, the photo printer's
 * 1200×1800 and the receipt head's 576-dot picture (which the ESC/POS path then dithers whole, frame
 * and photo together): only the target differs, the placement is placeLayout()'s.
 *
 * Order of layers: white paper, the photos cropped to fill their windows, the frame on top (so its
 * opaque pixels stay exactly the frame's wherever a photo runs under it), then the text fields,
 * which are written on the frame's border or the paper where the operator placed them.
 */
import sharp, { type OverlayOptions } from 'sharp';
import { AppError } from '../errors.ts';
import { escapeHtml } from '../web/html.ts';
import { fieldText, placeLayout, type TemplateLayout } from './template-layout.ts';

/** A photo or frame larger than this is refused rather than decoded (a decompression bomb). */
export const MAX_COMPOSE_INPUT_PIXELS = 100_000_000;
/** A target larger than this is a bug, not a print: 5×7 in at 600 dpi is 12.6 Mpx. */
export const MAX_COMPOSE_TARGET_PIXELS = 40_000_000;
/** Text height as a share of its field's height, so descenders stay inside the field. */
const TEXT_HEIGHT_FRACTION = 0.7;

export interface ComposeInput {
  layout: TemplateLayout;
  /** The frame PNG (with transparent windows), or null for a layout without a frame. */
  frame: Buffer | null;
  /** One photo per window, in window order; fewer photos than windows repeat from the first. */
  photos: readonly Buffer[];
  texts: { eventName: string; eventDate: string; caption?: string | null };
  target: { width: number; height: number };
  format: 'png' | 'jpeg';
}

export async function composeTemplate(input: ComposeInput): Promise<Buffer> {
  const { width, height } = input.target;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`composeTemplate: invalid target ${width}x${height}`);
  }
  if (width * height > MAX_COMPOSE_TARGET_PIXELS) {
    throw new RangeError(`composeTemplate: target ${width}x${height} is larger than any print`);
  }
  if (input.photos.length === 0) throw new AppError('template_photos_missing', 'A framed print needs a photo.');
  const placed = placeLayout(input.layout, input.target);
  const layers: OverlayOptions[] = [];
  for (const [i, slot] of placed.slots.entries()) {
    const photo = input.photos[i % input.photos.length]!;
    layers.push({ input: await fitPhoto(photo, slot.width, slot.height, slot.rotation), left: slot.x, top: slot.y });
  }
  if (input.frame) {
    const frame = await decode(input.frame, 'template_unreadable', 'The template image cannot be decoded')
      .resize(width, height, { fit: 'fill' })
      .ensureAlpha()
      .png()
      .toBuffer();
    layers.push({ input: frame, left: 0, top: 0 });
  }
  const svg = textLayer(placed.texts, input.texts, width, height);
  if (svg) layers.push({ input: Buffer.from(svg), left: 0, top: 0 });
  const canvas = sharp({ create: { width, height, channels: 3, background: { r: 255, g: 255, b: 255 } } }).composite(
    layers,
  );
  return input.format === 'png'
    ? canvas.png().toBuffer()
    : canvas.jpeg({ quality: 90, chromaSubsampling: '4:4:4' }).toBuffer();
}

function decode(bytes: Buffer, code: 'template_unreadable' | 'photo_unreadable', what: string) {
  try {
    return sharp(bytes, { limitInputPixels: MAX_COMPOSE_INPUT_PIXELS, failOn: 'error' });
  } catch (err) {
    throw new AppError(code, `${what}: ${(err as Error).message}.`);
  }
}

async function fitPhoto(photo: Buffer, width: number, height: number, rotation: number): Promise<Buffer> {
  try {
    return await decode(photo, 'photo_unreadable', 'The photo cannot be decoded')
      .autoOrient()
      .rotate(rotation)
      .resize(width, height, { fit: 'cover', position: 'attention' })
      .removeAlpha()
      .toBuffer();
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('photo_unreadable', `The photo cannot be decoded: ${(err as Error).message}.`);
  }
}

function textLayer(
  fields: ReturnType<typeof placeLayout>['texts'],
  values: ComposeInput['texts'],
  width: number,
  height: number,
): string | null {
  const lines = fields
    .map((f) => {
      const text = fieldText(f, values);
      if (!text) return '';
      // Long texts shrink to fit the field's width (an average glyph is about 0.6 em wide).
      const size = Math.max(1, Math.round(Math.min(f.height * TEXT_HEIGHT_FRACTION, f.width / (text.length * 0.6))));
      const x = f.x + f.width / 2;
      const y = f.y + f.height / 2;
      return `<text x="${x}" y="${y}" font-family="DejaVu Sans, sans-serif" font-size="${size}" fill="${f.color}" text-anchor="middle" dominant-baseline="central">${escapeHtml(text)}</text>`;
    })
    .filter(Boolean);
  if (lines.length === 0) return null;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${lines.join('')}</svg>`;
}
