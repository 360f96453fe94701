import sharp from 'sharp';

/** Incompressible JPEG (noise), so an image spans many 64 KiB feed blocks. */
export async function noisyJpeg(seed: number, side: number): Promise<Buffer> {
  return sharp({
    create: {
      width: side,
      height: side,
      channels: 3,
      background: { r: seed % 255, g: 40, b: 90 },
      noise: { type: 'gaussian', mean: 120 + (seed % 7), sigma: 50 },
    },
  })
    .jpeg({ quality: 92 })
    .toBuffer();
}

/** A photo a person can tell apart at a glance (a gradient and its number), for the demo's shop. */
export async function labelledPhoto(index: number): Promise<Buffer> {
  const hue = (index * 47) % 360;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="1067">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="hsl(${hue},70%,55%)"/><stop offset="1" stop-color="hsl(${(hue + 120) % 360},70%,25%)"/>
    </linearGradient></defs>
    <rect width="1600" height="1067" fill="url(#g)"/>
    <circle cx="${400 + index * 60}" cy="480" r="260" fill="white" fill-opacity="0.35"/>
    <text x="800" y="600" font-size="220" font-family="sans-serif" text-anchor="middle" fill="white">Photo ${index + 1}</text>
  </svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
}
