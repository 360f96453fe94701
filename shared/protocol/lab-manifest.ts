import { z } from 'zod';

/**
 * The wire shapes between the coordinator and a print lab (issue #15): the order manifest a
 * hot-folder package carries, and the status files a lab writes back. The published JSON Schemas
 * (docs/schemas/) are generated from these; test/lab-hot-folder.test.ts keeps them identical.
 */
export const LAB_MANIFEST_FORMAT = 'vpm-lab-manifest/1';
export const LAB_STATUS_FORMAT = 'vpm-lab-status/1';
const ID = /^[A-Za-z0-9._-]{1,80}$/;
const FILE = /^[A-Za-z0-9._-]{1,120}\.(jpg|tif)$/;
const MAX_TEXT = 200;

export const labPrintSchema = z
  .object({
    file: z.string().regex(FILE),
    imageId: z.string().regex(ID),
    productId: z.enum(['print_5x7', 'print_8x10', 'poster_12x18', 'canvas_12x16']),
    kind: z.enum(['print', 'canvas']),
    quantity: z.number().int().min(1).max(100),
    widthPx: z.number().int().min(1).max(20_000),
    heightPx: z.number().int().min(1).max(20_000),
    dpi: z.number().int().min(72).max(1_200),
    colourSpace: z.literal('sRGB'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();

export const labAddressSchema = z
  .object({
    name: z.string().min(1).max(MAX_TEXT),
    line1: z.string().min(1).max(MAX_TEXT),
    line2: z.string().max(MAX_TEXT),
    city: z.string().min(1).max(MAX_TEXT),
    region: z.string().max(MAX_TEXT),
    postalCode: z.string().min(1).max(20),
    country: z.string().regex(/^[A-Z]{2}$/),
    phone: z.string().max(40),
  })
  .strict();

export const labManifestSchema = z
  .object({
    format: z.literal(LAB_MANIFEST_FORMAT),
    jobId: z.string().regex(ID),
    orderRef: z.string().regex(ID),
    createdAt: z.iso.datetime(),
    eventName: z.string().min(1).max(MAX_TEXT),
    shipTo: labAddressSchema,
    shippingMethod: z.object({ id: z.string().regex(ID), label: z.string().min(1).max(MAX_TEXT) }).strict(),
    prints: z.array(labPrintSchema).min(1).max(200),
    packingSlip: z.literal('packing-slip.txt'),
  })
  .strict();

export type LabManifest = z.infer<typeof labManifestSchema>;
export type LabPrint = z.infer<typeof labPrintSchema>;

export const LAB_STATUSES = ['accepted', 'printed', 'shipped', 'delivered', 'rejected'] as const;
export type LabStatusKind = (typeof LAB_STATUSES)[number];

export const labStatusSchema = z
  .object({
    format: z.literal(LAB_STATUS_FORMAT),
    jobId: z.string().regex(ID),
    status: z.enum(LAB_STATUSES),
    at: z.iso.datetime(),
    carrier: z.string().min(1).max(60).optional(),
    trackingNumber: z
      .string()
      .regex(/^[A-Za-z0-9-]{4,40}$/)
      .optional(),
    reason: z.string().min(1).max(500).optional(),
  })
  .strict()
  .refine((s) => s.status !== 'shipped' || (s.carrier && s.trackingNumber), {
    message: 'a shipped status names its carrier and tracking number',
  })
  .refine((s) => s.status !== 'rejected' || s.reason, { message: 'a rejected status gives its reason' });

export type LabStatusFile = z.infer<typeof labStatusSchema>;

/** The JSON Schemas as published in docs/schemas/ (generated: never edit the files by hand). */
export function labJsonSchemas(): Record<string, unknown> {
  return {
    'lab-manifest.schema.json': { title: 'Venue Print Mesh lab order manifest', ...z.toJSONSchema(labManifestSchema) },
    'lab-status.schema.json': { title: 'Venue Print Mesh lab status file', ...z.toJSONSchema(labStatusSchema) },
  };
}
