import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import sharp from 'sharp';
import { HotFolderLab } from '../coordinator/lab/hot-folder-lab.ts';
import { cryptoRandom } from '../shared/ports/random.ts';
import { LAB_STATUS_FORMAT, labJsonSchemas } from '../shared/protocol/lab-manifest.ts';
import { createAfterEventHarness, endedEventWithOrder, paidReorder } from './fixtures/after-event-harness.ts';
import { asPhotographer, sampleJpeg } from './fixtures/app-harness.ts';
import { checkJsonSchema } from './helpers/json-schema-check.ts';

const SCHEMA_DIR = new URL('../docs/schemas/', import.meta.url);

test('the published JSON Schemas are the ones the code validates with', async (t) => {
  for (const [name, schema] of Object.entries(labJsonSchemas())) {
    const published = JSON.parse(await readFile(new URL(name, SCHEMA_DIR), 'utf8'));
    t.deepEqual(
      published,
      JSON.parse(JSON.stringify(schema)),
      `${name} is current (regenerate: node --import tsx tools/lab-schemas.ts)`,
    );
  }
});

test('a paid reorder becomes a print-ready package: exact pixel sizes in sRGB at the dpi, a manifest valid against the published schema, a packing slip; status files move the order', async (t) => {
  const h = await createAfterEventHarness({
    lab: (_clock, dir) => new HotFolderLab({ root: join(dir, 'lab'), random: cryptoRandom }),
  });
  t.teardown(() => h.close());
  const { event, images } = await endedEventWithOrder(h, { images: 2 });
  const portrait = (
    await h.http
      .post(`/api/events/${event.id}/images`)
      .set(asPhotographer)
      .attach('image', await sampleJpeg(77, 600, 900), 'portrait.jpg')
      .expect(201)
  ).body.image.id as string;
  const paid = await paidReorder(h, {
    eventId: event.id,
    lines: [
      { imageId: portrait, productId: 'print_8x10', quantity: 2 },
      { imageId: images[0]!.id, productId: 'print_5x7', quantity: 1 },
      { imageId: images[1]!.id, productId: 'canvas_12x16', quantity: 1 },
      { imageId: images[1]!.id, productId: 'digital_file', quantity: 1 },
    ],
  });
  await h.ae.dispatcher.runOnce();
  const root = join(h.dir, 'lab');
  const [jobId] = await readdir(join(root, 'orders'));
  t.is(jobId, `${paid.reorder.id}.1`);
  const pkgDir = join(root, 'orders', jobId!);
  const manifest = JSON.parse(await readFile(join(pkgDir, 'manifest.json'), 'utf8'));
  const schema = JSON.parse(await readFile(new URL('lab-manifest.schema.json', SCHEMA_DIR), 'utf8'));
  t.deepEqual(checkJsonSchema(schema, manifest), []);
  // The schema is not a rubber stamp: a manifest without its address fails it.
  t.true(checkJsonSchema(schema, { ...manifest, shipTo: { ...manifest.shipTo, postalCode: undefined } }).length > 0);

  const expected: Record<string, [number, number, number]> = {
    print_8x10: [2400, 3000, 300],
    print_5x7: [2100, 1500, 300],
    canvas_12x16: [2400, 1800, 150],
  };
  t.is(manifest.prints.length, 3, 'one file per print line; the digital file is not the lab’s');
  for (const p of manifest.prints) {
    const bytes = await readFile(join(pkgDir, p.file));
    const meta = await sharp(bytes).metadata();
    const [w, hgt, dpi] = expected[p.productId]!;
    t.deepEqual([meta.width, meta.height, p.widthPx, p.heightPx], [w, hgt, w, hgt], p.productId);
    t.is(meta.density, dpi);
    t.is(p.dpi, dpi);
    t.is(meta.space, 'srgb');
    t.true(meta.hasProfile, 'sRGB ICC profile embedded');
    t.is(p.colourSpace, 'sRGB');
    t.is(p.sha256, createHash('sha256').update(bytes).digest('hex'));
  }
  t.is(manifest.prints.find((p: { productId: string }) => p.productId === 'print_8x10').quantity, 2);
  const slip = await readFile(join(pkgDir, 'packing-slip.txt'), 'utf8');
  t.regex(slip, /Ada Fan/);
  t.regex(slip, /2 × 8×10 in print/);
  t.is((await h.reorders.getReorder(paid.reorder.id))!.state, 'sent_to_lab');

  // "The lab" writes status files; the coordinator reads them back.
  const status = async (name: string, body: object) =>
    writeFile(
      join(root, 'status', name),
      JSON.stringify({ format: LAB_STATUS_FORMAT, jobId, at: '2026-12-06T10:00:00Z', ...body }),
    );
  await status('0001-accepted.json', { status: 'accepted' });
  await writeFile(join(root, 'status', '0002-garbage.json'), '{"jobId": 1');
  await h.ae.dispatcher.runOnce();
  t.is((await h.reorders.getReorder(paid.reorder.id))!.state, 'in_production');
  t.deepEqual(await readdir(join(root, 'status', 'invalid')), ['0002-garbage.json']);
  await status('0003-shipped.json', { status: 'shipped', carrier: 'UPS', trackingNumber: '1Z999AA10123456784' });
  await h.ae.dispatcher.runOnce();
  const shipped = (await h.reorders.getReorder(paid.reorder.id))!;
  t.is(shipped.state, 'shipped');
  t.is(shipped.trackingNumber, '1Z999AA10123456784');
  t.is(shipped.carrier, 'UPS');
  t.deepEqual((await readdir(join(root, 'status', 'done'))).sort(), ['0001-accepted.json', '0003-shipped.json']);
  // A package is never written twice: another round leaves the one folder.
  await h.ae.dispatcher.runOnce();
  t.deepEqual(await readdir(join(root, 'orders')), [jobId]);
});
