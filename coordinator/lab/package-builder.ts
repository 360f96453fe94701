import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { AppError } from '../../shared/errors.ts';
import { isPhysical, LAB_COLOUR_SPACE, PRODUCTS, printPixels } from '../../shared/policy/after-event-pricing.ts';
import { LAB_MANIFEST_FORMAT, type LabPrint, labManifestSchema } from '../../shared/protocol/lab-manifest.ts';
import type { ReorderRecord } from '../after-event/records.ts';
import type { LabPackage, LabPrintFile } from './port.ts';

export const LAB_JPEG_QUALITY = 95;

export interface MasterSource {
  /** The print master's bytes and size, or null when it is gone. */
  master(imageId: string): Promise<{ bytes: Buffer; width: number; height: number } | null>;
}

/**
 * A paid reorder as a print-ready package: one file per print line at the product's exact pixel size
 * (cropped to fill, in the photo's orientation), sRGB with its ICC profile and the dpi in the file,
 * the manifest (validated here against the same schema the lab gets) and a plain-text packing slip.
 */
export async function buildLabPackage(
  reorder: ReorderRecord,
  job: { id: string; createdAt: number },
  eventName: string,
  source: MasterSource,
): Promise<LabPackage> {
  if (!reorder.address || !reorder.shippingMethod) {
    throw new AppError('lab_package_invalid', `reorder ${reorder.id} has no shipping address (erased?)`);
  }
  const files: LabPrintFile[] = [];
  const prints: LabPrint[] = [];
  for (const [n, line] of reorder.lines.entries()) {
    const product = PRODUCTS[line.productId];
    if (!isPhysical(product)) continue;
    const master = await source.master(line.imageId);
    if (!master) throw new AppError('lab_package_invalid', `the master of image ${line.imageId} is gone`);
    const { widthPx, heightPx } = printPixels(product, master);
    const bytes = await sharp(master.bytes)
      .rotate()
      .resize(widthPx, heightPx, { fit: 'cover', position: 'attention' })
      .toColourspace('srgb')
      .withIccProfile('srgb')
      .withMetadata({ density: product.dpi })
      .jpeg({ quality: LAB_JPEG_QUALITY, chromaSubsampling: '4:4:4' })
      .toBuffer();
    const name = `${String(n + 1).padStart(3, '0')}-${product.id}-x${line.quantity}-${line.imageId}.jpg`;
    files.push({ name, bytes });
    prints.push({
      file: name,
      imageId: line.imageId,
      productId: product.id as LabPrint['productId'],
      kind: product.kind,
      quantity: line.quantity,
      widthPx,
      heightPx,
      dpi: product.dpi,
      colourSpace: LAB_COLOUR_SPACE,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  }
  const manifest = labManifestSchema.parse({
    format: LAB_MANIFEST_FORMAT,
    jobId: job.id,
    orderRef: reorder.id,
    createdAt: new Date(job.createdAt).toISOString(),
    eventName,
    shipTo: reorder.address,
    shippingMethod: { id: reorder.shippingMethod.methodId, label: reorder.shippingMethod.label },
    prints,
    packingSlip: 'packing-slip.txt',
  });
  return { manifest, files, packingSlip: packingSlip(manifest) };
}

function packingSlip(m: ReturnType<typeof labManifestSchema.parse>): string {
  const a = m.shipTo;
  const address = [a.name, a.line1, a.line2, `${a.postalCode} ${a.city}`, a.region, a.country].filter(Boolean);
  return [
    'PACKING SLIP',
    `Order ${m.orderRef} · job ${m.jobId}`,
    `Event: ${m.eventName}`,
    `Ship by: ${m.shippingMethod.label}`,
    '',
    'Ship to:',
    ...address.map((l) => `  ${l}`),
    '',
    'Contents:',
    ...m.prints.map((p) => `  [ ] ${p.quantity} × ${PRODUCTS[p.productId].label} — ${p.file}`),
    '',
  ].join('\n');
}
