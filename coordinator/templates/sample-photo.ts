import sharp from 'sharp';

/** The console shows a template before any photo exists: a made-up landscape stands in for one. */
const SAMPLE_WIDTH_PX = 900;
const SAMPLE_HEIGHT_PX = 600;

let sample: Promise<Buffer> | null = null;

/** A sky-and-meadow picture with a sun: obviously a photo stand-in, and each window's crop shows it. */
export function samplePhoto(): Promise<Buffer> {
  sample ??= sharp(
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${SAMPLE_WIDTH_PX}" height="${SAMPLE_HEIGHT_PX}">
<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#3b82c4"/><stop offset="1" stop-color="#bfe0f5"/></linearGradient></defs>
<rect width="100%" height="100%" fill="url(#sky)"/>
<circle cx="680" cy="150" r="80" fill="#ffd23f"/>
<path d="M0 420 Q 225 330 450 420 T 900 400 V 600 H 0 Z" fill="#4caf50"/>
<path d="M0 500 Q 300 440 600 500 T 900 480 V 600 H 0 Z" fill="#2e7d32"/>
</svg>`,
    ),
  )
    .jpeg({ quality: 85 })
    .toBuffer();
  return sample;
}
