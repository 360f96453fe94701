/**
 * Compares a printed document with its source photo: both downscaled to a small grid (the source
 * turned onto the document's orientation when their aspect differs), mean absolute difference per
 * channel. A grey print or a print in the wrong orientation gives a large difference.
 */
import sharp from 'sharp';

const GRID = 16;
/** Mean channel spread below this (0–255) is a grey image. */
const GREY_SPREAD = 6;

export async function isColour(image: Buffer): Promise<boolean> {
  const { data, info } = await sharp(image)
    .resize(GRID, GRID, { fit: 'fill' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels < 3) return false;
  let spread = 0;
  for (let i = 0; i < data.length; i += 3) {
    spread += Math.max(data[i]!, data[i + 1]!, data[i + 2]!) - Math.min(data[i]!, data[i + 1]!, data[i + 2]!);
  }
  return spread / (data.length / 3) > GREY_SPREAD;
}

export async function compareToSource(
  printed: Buffer,
  source: Buffer,
  sourceAlreadyOriented = false,
): Promise<{ mad: number[]; maxChannelMad: number }> {
  const p = await sharp(printed).metadata();
  let src = sharp(source);
  if (!sourceAlreadyOriented) src = src.autoOrient();
  const s = await sharp(await src.toBuffer()).metadata();
  const landscape = (m: { width?: number; height?: number }) => (m.width ?? 0) > (m.height ?? 0);
  let srcBuf = await src.toBuffer();
  if (landscape(p) !== landscape(s) && s.width !== s.height) srcBuf = await sharp(srcBuf).rotate(90).toBuffer();
  const grid = async (b: Buffer) =>
    (
      await sharp(b)
        .resize(GRID, GRID, { fit: 'cover' })
        .toColourspace('srgb')
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true })
    ).data;
  const a = await grid(printed);
  const b = await grid(srcBuf);
  const channels = a.length / (GRID * GRID);
  const mad = Array.from({ length: 3 }, () => 0);
  for (let i = 0; i < GRID * GRID; i++) {
    for (let c = 0; c < 3; c++) mad[c]! += Math.abs(a[i * channels + Math.min(c, channels - 1)]! - b[i * 3 + c]!);
  }
  const perChannel = mad.map((m) => m / (GRID * GRID));
  return { mad: perChannel, maxChannelMad: Math.max(...perChannel) };
}
