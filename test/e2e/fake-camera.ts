import { writeFile } from 'node:fs/promises';
import sharp from 'sharp';

/** Chromium's fake camera plays this file in a loop; a few identical frames are plenty for a still QR code. */
export const FAKE_CAMERA_WIDTH_PX = 640;
export const FAKE_CAMERA_HEIGHT_PX = 480;
const FAKE_CAMERA_FRAMES = 3;
/** The QR code fills this much of the frame height, as a phone held up to a kiosk camera would. */
const QR_SHARE_OF_HEIGHT = 0.75;

/**
 * Writes a YUV4MPEG2 (Y4M) video of `image` (e.g. a QR code PNG) centred on white, for Chromium's
 * `--use-file-for-fake-video-capture`. Pure JS: sharp gives RGB, converted here to I420 (BT.601,
 * full range, as the `C420jpeg` tag says).
 */
export async function writeFakeCameraY4m(image: Buffer, path: string): Promise<void> {
  const width = FAKE_CAMERA_WIDTH_PX;
  const height = FAKE_CAMERA_HEIGHT_PX;
  const side = Math.round(height * QR_SHARE_OF_HEIGHT);
  // Nearest-neighbour keeps the modules' edges sharp, as a phone screen shows them.
  const code = await sharp(image)
    .flatten({ background: '#ffffff' })
    .resize(side, side, { kernel: 'nearest' })
    .toBuffer();
  const { data } = await sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite([{ input: code, left: Math.round((width - side) / 2), top: Math.round((height - side) / 2) }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const frame = rgbToI420(data, width, height);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`);
  const frames = Array.from({ length: FAKE_CAMERA_FRAMES }, () => [Buffer.from('FRAME\n'), frame]).flat();
  await writeFile(path, Buffer.concat([header, ...frames]));
}

/** Planar Y, then U and V at half resolution in both directions (each the mean of a 2×2 block). */
export function rgbToI420(rgb: Buffer, width: number, height: number): Buffer {
  const out = Buffer.alloc(width * height + 2 * (width / 2) * (height / 2));
  const uOffset = width * height;
  const vOffset = uOffset + (width / 2) * (height / 2);
  for (let i = 0; i < width * height; i++) {
    const r = rgb[i * 3]!;
    const g = rgb[i * 3 + 1]!;
    const b = rgb[i * 3 + 2]!;
    out[i] = clampByte(0.299 * r + 0.587 * g + 0.114 * b);
  }
  for (let y = 0; y < height; y += 2) {
    for (let x = 0; x < width; x += 2) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [dx, dy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ] as const) {
        const p = ((y + dy) * width + x + dx) * 3;
        r += rgb[p]!;
        g += rgb[p + 1]!;
        b += rgb[p + 2]!;
      }
      r /= 4;
      g /= 4;
      b /= 4;
      const c = (y / 2) * (width / 2) + x / 2;
      out[uOffset + c] = clampByte(-0.168736 * r - 0.331264 * g + 0.5 * b + 128);
      out[vOffset + c] = clampByte(0.5 * r - 0.418688 * g - 0.081312 * b + 128);
    }
  }
  return out;
}

function clampByte(v: number): number {
  return Math.max(0, Math.min(255, Math.round(v)));
}
