import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import sharp from 'sharp';
import { api, buyAndPay } from '../tools/venue-kit/http.ts';
import { waitFor } from './fixtures/feed-fixtures.ts';
import { startOfflinePrinter, startOfflineVenue, status, venueReadyForOutage } from './fixtures/offline-venue.ts';
import { makeFrame } from './fixtures/template-fixtures.ts';

const READY_MS = 60_000;
const WINDOW = { x: 150, y: 150, width: 900, height: 1200 };
const BORDER_ROW_DESIGN_PX = 40;

interface TemplateStatus {
  events: Array<{ templatesHeld?: number; templatesTotal?: number }>;
}

/** Photo prints (not receipts) in a printer's folder whose top border row is solid dots: framed. */
async function framedPrints(dir: string): Promise<{ photos: number; framed: number }> {
  const photos = (await readdir(dir)).filter((f) => f.endsWith('.png') && !f.includes('receipt'));
  let framed = 0;
  for (const file of photos) {
    const { data, info } = await sharp(join(dir, file)).greyscale().raw().toBuffer({ resolveWithObject: true });
    const y = Math.round((BORDER_ROW_DESIGN_PX * info.width) / 1200);
    if (data.subarray(y * info.width, (y + 1) * info.width).every((v) => v === 0)) framed++;
  }
  return { photos: photos.length, framed };
}

test.serial(
  'cloud killed: both printers hold the frame, print framed photos offline, and the uses are counted once when they reconcile',
  async (t) => {
    t.timeout(180_000);
    const venue = await startOfflineVenue(t, { images: 2, imageSide: 400 });
    const created = await fetch(
      `${venue.base}/api/events/${venue.event.id}/templates?name=Black%20frame&basicFeeCents=200`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${venue.operator}`, 'content-type': 'image/png' },
        body: await makeFrame(1200, 1800, [WINDOW], { r: 0, g: 0, b: 0 }),
      },
    );
    t.is(created.status, 201);
    const templateId = ((await created.json()) as { template: { id: string } }).template.id;
    const copies = [1, 2];
    const orders = [];
    for (const [i, n] of copies.entries()) {
      const items = [{ imageId: venue.images[i]!.id, copies: n, template: { templateId } }];
      orders.push(await buyAndPay(venue.base, venue.event.id, items));
    }
    const [a, b] = await Promise.all(['A', 'B'].map((name) => startOfflinePrinter(t, venue, name)));
    const printers = [
      { name: 'A', node: a! },
      { name: 'B', node: b! },
    ];
    t.true(await venueReadyForOutage(venue, printers, orders.length, READY_MS), 'photos, orders and peers everywhere');
    const holdsFrame = await waitFor(
      async () => {
        const all = await Promise.all([a!, b!].map(async (p) => (await p.status()) as unknown as TemplateStatus));
        return all.every((s) => s.events[0]?.templatesHeld === 1 && s.events[0]?.templatesTotal === 1);
      },
      READY_MS,
      250,
    );
    t.true(holdsFrame, 'every printer holds the frame before the outage');

    await venue.coordinator.crash();
    for (const [node, order] of [
      [a!, orders[0]!],
      [b!, orders[1]!],
    ] as const) {
      const res = await node.redeem(order.token);
      t.is(res.status, 200, JSON.stringify(res.body));
    }
    const atA = await framedPrints(join(venue.dir, 'A', 'prints'));
    const atB = await framedPrints(join(venue.dir, 'B', 'prints'));
    t.deepEqual(atA, { photos: 1, framed: 1 }, 'A printed order 0 framed, with no cloud');
    t.deepEqual(atB, { photos: 2, framed: 2 }, 'B printed order 1 (2 copies) framed, with no cloud');

    const cloud = await venue.coordinator.restart();
    const reconciled = await waitFor(
      async () => (await Promise.all([a!, b!].map(status))).every((s) => s.offline?.unreconciled === 0),
      60_000,
      250,
    );
    t.true(reconciled, 'both printers reported their offline prints');
    const stats = await api<{ templates: Array<{ uses: number; revenueCents: number }> }>(
      cloud.url,
      'GET',
      `/api/events/${venue.event.id}/template-fees`,
      { token: venue.operator },
    );
    t.is(stats.body.templates[0]!.uses, 3, 'three framed prints, three uses');
    t.is(stats.body.templates[0]!.revenueCents, 600);
  },
);
