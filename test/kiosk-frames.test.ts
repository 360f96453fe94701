import test from 'ava';
import sharp from 'sharp';
import type { CoordinatorClient } from '../edge-node/coordinator-client.ts';
import { CoordinatorError } from '../edge-node/coordinator-client.ts';
import { KIOSK_FRAME_PREVIEW_LONG_EDGE_PX, KioskFrames } from '../edge-node/kiosk/kiosk-frames.ts';
import type { EventReplica } from '../edge-node/mesh/event-replica.ts';
import type { CatalogEntry } from '../shared/feed/feed-layout.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import type { KioskTemplateFees } from '../shared/protocol/kiosk-sale.ts';
import type { TemplateCatalogEntry } from '../shared/templates/template-feed.ts';
import { flatPhoto, makeFrame } from './fixtures/template-fixtures.ts';

/**
 * The kiosk's frames (issue #14) over a replica as the printer holds it: which templates are offered
 * (one photo window, frame held here, still offered when the coordinator's fees are known), and the
 * preview composited here: the photo in the window, the frame's pixels around it.
 */
const WINDOW = { x: 150, y: 150, width: 900, height: 1200 };

function entry(id: string, over: Partial<TemplateCatalogEntry> = {}): TemplateCatalogEntry {
  return {
    templateId: id,
    name: id,
    version: 1,
    layout: { media: 'na_index-4x6_4x6in', slots: [{ ...WINDOW, rotation: 0 }], texts: [] },
    eventName: 'Final',
    eventDate: '2026-12-05',
    frame: {
      blob: { blockOffset: 0, blockLength: 1, byteOffset: 0, byteLength: 1 } as never,
      byteLength: 1,
      sha256: id,
      width: 1200,
      height: 1800,
    },
    registeredAt: 0,
    ...over,
  };
}

async function setup(opts: { fees: KioskTemplateFees | 'offline'; notHeld?: string[] }) {
  const frame = await makeFrame(1200, 1800, [WINDOW], { r: 0, g: 0, b: 0 });
  const photo = await flatPhoto({ r: 255, g: 255, b: 255 });
  const strip = entry('strip', {
    layout: {
      media: 'oe_photo-strip_2x6in',
      slots: [0, 1, 2].map((i) => ({ x: 40, y: 40 + i * 520, width: 520, height: 480, rotation: 0 })),
      texts: [],
    },
    frame: null,
  });
  const entries = [entry('gold'), entry('silver'), entry('retired'), strip];
  const notHeld = new Set(opts.notHeld ?? []);
  const replica = {
    eventId: 'ev1',
    templateEntries: async () => entries,
    templateEntry: async (id: string) => entries.find((e) => e.templateId === id) ?? null,
    holds: async (e: CatalogEntry) => !notHeld.has(e.sha256),
    readLocal: async (e: CatalogEntry) => (notHeld.has(e.sha256) ? null : frame),
  } as unknown as EventReplica;
  const client = {
    kioskTemplateFees: async () => {
      if (opts.fees === 'offline') throw new CoordinatorError(503, 'coordinator_unreachable', 'fetch failed');
      return opts.fees;
    },
  } as unknown as CoordinatorClient;
  return new KioskFrames({
    clock: new ManualClock(1_750_000_000_000),
    replica: (id) => (id === 'ev1' ? replica : undefined),
    client: () => client,
    photo: async (_eventId, imageId) => (imageId === 'p1' ? photo : null),
  });
}

const fee = (templateId: string, feeCents: number) => ({
  templateId,
  name: templateId,
  version: 1,
  photoCount: 1,
  feeCents,
  feeLine: `${templateId}: ${feeCents}`,
});

test('offered at the kiosk: one-window frames held here and still offered; strips and retired frames are not', async (t) => {
  const frames = await setup({
    fees: { eventId: 'ev1', currency: 'EUR', templates: [fee('gold', 200), fee('silver', 150), fee('strip', 300)] },
    notHeld: ['silver'],
  });
  t.deepEqual(
    (await frames.list('ev1')).map((f) => [f.templateId, f.feeCents]),
    [['gold', 200]],
    'silver is not held here yet, retired is no longer offered, the strip takes three photos',
  );
  t.deepEqual(await frames.list('other-event'), []);
});

test('with no fee ever heard (uplink down since start), the frames held here are shown without a price', async (t) => {
  const frames = await setup({ fees: 'offline' });
  const list = await frames.list('ev1');
  t.deepEqual(
    list.map((f) => [f.templateId, f.feeCents]),
    [
      ['gold', null],
      ['retired', null],
      ['silver', null],
    ],
  );
  const quoted = await frames.fees('ev1', [{ imageId: 'p1', copies: 1, template: { templateId: 'gold' } }]);
  t.false(quoted.known);
});

test('the preview is composited here: the photo in the window, the frame around it; null when the photo is not here', async (t) => {
  const frames = await setup({ fees: { eventId: 'ev1', currency: 'EUR', templates: [fee('gold', 200)] } });
  const jpeg = await frames.preview('ev1', 'p1', 'gold');
  t.truthy(jpeg);
  const { data, info } = await sharp(jpeg!).greyscale().raw().toBuffer({ resolveWithObject: true });
  t.is(info.height, KIOSK_FRAME_PREVIEW_LONG_EDGE_PX);
  t.is(info.width, 320);
  const at = (x: number, y: number) => data[y * info.width + x]!;
  const s = info.width / 1200;
  t.true(at(Math.round(50 * s), Math.round(50 * s)) < 20, 'the border is the frame');
  t.true(at(Math.round(600 * s), Math.round(750 * s)) > 235, 'the window holds the (white) photo');
  t.is(await frames.preview('ev1', 'p1', 'gold'), jpeg, 'made once, then cached');
  t.is(await frames.preview('ev1', 'missing-photo', 'gold'), null);
  t.is(await frames.preview('ev1', 'p1', 'no-such-template'), null);
});
