import sharp from 'sharp';
import { AppError } from '../../shared/errors.ts';

/** The demo's frames (issue #14): what an operator would upload, made here so the demo needs no files. */
const GOLD = { r: 201, g: 162, b: 39, alpha: 1 };
const FRAME = { width: 1200, height: 1800, window: { x: 120, y: 120, width: 960, height: 1280 } };

/** A 4×6 in gold frame with one rounded transparent window and room for the event's name below it. */
export async function goldFramePng(): Promise<Buffer> {
  const w = FRAME.window;
  const hole = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${FRAME.width}" height="${FRAME.height}"><rect x="${w.x}" y="${w.y}" width="${w.width}" height="${w.height}" rx="40" fill="#000"/></svg>`,
  );
  return sharp({ create: { width: FRAME.width, height: FRAME.height, channels: 4, background: GOLD } })
    .composite([{ input: hole, blend: 'dest-out' }])
    .png()
    .toBuffer();
}

async function post(base: string, path: string, token: string, body: Buffer | object, type: string): Promise<void> {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': type },
    body: Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  await res.arrayBuffer();
  if (res.status !== 201)
    throw new AppError('venue_kit_step_failed', `Venue kit: adding a template answered ${res.status}.`);
}

/** A gold frame (uploaded as a PNG, its window found by the coordinator) and a three-photo strip layout. */
export async function addSampleTemplates(base: string, operator: string, eventId: string): Promise<string[]> {
  const event = encodeURIComponent(eventId);
  await post(
    base,
    `/api/events/${event}/templates?name=Gold%20frame&basicFeeCents=200`,
    operator,
    await goldFramePng(),
    'image/png',
  );
  const slot = (i: number) => ({ x: 40, y: 40 + i * 520, width: 520, height: 480, rotation: 0 });
  await post(
    base,
    `/api/events/${event}/templates`,
    operator,
    {
      name: 'Photo strip',
      basicFeeCents: 300,
      layout: {
        media: 'oe_photo-strip_2x6in',
        slots: [slot(0), slot(1), slot(2)],
        texts: [
          { x: 40, y: 1600, width: 520, height: 80, source: 'event_name', color: '#000000' },
          { x: 40, y: 1690, width: 520, height: 60, source: 'event_date', color: '#555555' },
        ],
      },
    },
    'application/json',
  );
  return ['Gold frame', 'Photo strip'];
}
