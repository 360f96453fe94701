/**
 * Print station configuration (`printer.json` / the edge config): `printers: [{kind: "ipp", uri,
 * media, fit, name}, …]` for the photo printers and `receiptPrinter` for the ESC/POS one. The old
 * single `printer` key keeps working (a thermal-only station). Every problem names its key.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { StationReport } from '../../shared/protocol/station-report.ts';
import { createPrinter, type PrinterConfig } from './create-printer.ts';
import { IppClient, parsePrinterUri, strings } from './ipp/client.ts';
import { parseMediaName } from './ipp/printer-health.ts';
import type { PrinterPort } from './port.ts';
import { StationPool } from './station-pool.ts';

export const DEFAULT_PHOTO_MEDIA = 'na_index-4x6_4x6in';
const MAX_PRINTERS_PER_STATION = 8;
/** More jobs ahead at one printer only lengthen what must be cancelled and moved when it fails. */
const MAX_QUEUE_DEPTH_JOBS = 16;
/** At start, a printer gets this long to answer before the node reports it unreachable and goes on. */
export const START_CHECK_TIMEOUT_MS = 3_000;

const uriSchema = z.string().superRefine((uri, ctx) => {
  try {
    parsePrinterUri(uri);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

export const photoPrinterSchema = z.object({
  kind: z.literal('ipp'),
  name: z.string().min(1).max(60),
  uri: uriSchema,
  media: z
    .string()
    .refine((m) => parseMediaName(m) !== null, {
      message: 'must be a PWG media name with its size, e.g. na_index-4x6_4x6in, na_5x7_5x7in, oe_photo-strip_2x6in',
    })
    .default(DEFAULT_PHOTO_MEDIA),
  fit: z.enum(['fill', 'fit']).default('fill'),
  tray: z.string().min(1).max(60).optional(),
  rollPrints: z.number().int().min(1).max(10_000).optional(),
  lowRollPrints: z.number().int().min(0).max(10_000).optional(),
  secondsPerPrint: z.number().positive().max(600).optional(),
  dpi: z.number().int().min(100).max(1200).optional(),
  /** Jobs sent ahead to this printer (default: 8 for a CUPS queue, 1 for an IPP Everywhere printer). */
  queueDepth: z.number().int().min(1).max(MAX_QUEUE_DEPTH_JOBS).optional(),
});

export const receiptPrinterSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('escpos-tcp'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65_535).optional(),
    widthDots: z.number().int().min(64).max(2048).optional(),
  }),
  z.object({
    kind: z.literal('escpos-usb'),
    devicePath: z.string().min(1),
    widthDots: z.number().int().min(64).max(2048).optional(),
  }),
  z.object({
    kind: z.literal('file'),
    dir: z.string().min(1),
    widthDots: z.number().int().min(64).max(2048).optional(),
  }),
]);

/** The keys the edge config gains; spread into its schema. */
export const stationConfigShape = {
  printers: z
    .array(photoPrinterSchema)
    .min(1)
    .max(MAX_PRINTERS_PER_STATION)
    .refine((ps) => new Set(ps.map((p) => p.name)).size === ps.length, { message: 'printer names must be unique' })
    .optional(),
  receiptPrinter: receiptPrinterSchema.optional(),
};

export type PhotoPrinterConfig = z.infer<typeof photoPrinterSchema>;
export type ReceiptPrinterConfig = z.infer<typeof receiptPrinterSchema>;

export interface StationConfig {
  printers?: PhotoPrinterConfig[];
  receiptPrinter?: ReceiptPrinterConfig;
  printer?: PrinterConfig;
}

export function receiptToPrinterConfig(r: ReceiptPrinterConfig): PrinterConfig {
  if (r.kind === 'escpos-tcp') return { kind: 'tcp', host: r.host, port: r.port, widthDots: r.widthDots };
  if (r.kind === 'escpos-usb') return { kind: 'usb', devicePath: r.devicePath, widthDots: r.widthDots };
  return r;
}

/** The printer port of this node: a photo station when `printers` is set, else the single printer. */
export function createStationPrinter(config: StationConfig, dataDir: string, clock?: Clock): PrinterPort {
  if (config.printers && config.printers.length > 0) {
    const receiptConfig = config.receiptPrinter ? receiptToPrinterConfig(config.receiptPrinter) : config.printer;
    return new StationPool({
      printers: config.printers,
      receipt: receiptConfig ? createPrinter(receiptConfig) : undefined,
      clock,
    });
  }
  if (config.receiptPrinter) return createPrinter(receiptToPrinterConfig(config.receiptPrinter));
  return createPrinter(config.printer ?? { kind: 'file', dir: join(dataDir, 'prints') });
}

export interface StartProblem {
  /** The configuration key at fault, e.g. `printers[1].media`. */
  key: string;
  message: string;
  /** Fatal problems stop the start; an unreachable printer does not (it may be switched on later). */
  fatal: boolean;
}

/**
 * Asks each configured photo printer once: unreachable (not fatal: jobs go to the others and it joins
 * when it answers), or unable to take the configured media or JPEG (fatal: the config is wrong).
 */
export async function checkStation(printers: readonly PhotoPrinterConfig[], clock?: Clock): Promise<StartProblem[]> {
  const problems: StartProblem[] = [];
  await Promise.all(
    printers.map(async (p, i) => {
      const client = new IppClient({ uri: p.uri, clock, timeoutMs: START_CHECK_TIMEOUT_MS });
      try {
        const a = await client.getPrinterAttributes(['media-supported', 'document-format-supported', 'printer-state']);
        const media = strings(a['media-supported']);
        if (media.length > 0 && !media.includes(p.media)) {
          problems.push({
            key: `printers[${i}].media`,
            message: `Printer ${p.name} does not support ${p.media}; it supports ${media.join(', ')}.`,
            fatal: true,
          });
        }
        const formats = strings(a['document-format-supported']);
        if (formats.length > 0 && !formats.includes('image/jpeg') && !formats.includes('image/pwg-raster')) {
          problems.push({
            key: `printers[${i}].uri`,
            message: `Printer ${p.name} takes neither JPEG nor PWG raster (it takes ${formats.join(', ')}).`,
            fatal: true,
          });
        }
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        problems.push({ key: `printers[${i}].uri`, message: err.message, fatal: false });
      } finally {
        client.close();
      }
    }),
  );
  return problems.sort((a, b) => (a.key < b.key ? -1 : 1));
}

/**
 * Builds and checks this node's printer port at start: fatal configuration problems throw one error
 * naming every key at fault; an unreachable photo printer is logged and the station starts without it.
 */
export async function openStationPrinter(
  config: StationConfig,
  dataDir: string,
  log: { error(obj: object, msg: string): void; warn(obj: object, msg: string): void },
  clock?: Clock,
): Promise<PrinterPort> {
  if (config.printers && config.printers.length > 0) {
    const problems = await checkStation(config.printers, clock);
    for (const p of problems) log[p.fatal ? 'error' : 'warn']({ key: p.key }, p.message);
    const fatal = problems.filter((p) => p.fatal);
    if (fatal.length > 0) {
      throw new AppError(
        'printer_config_invalid',
        `Invalid printer configuration: ${fatal.map((p) => `${p.key}: ${p.message}`).join(' ')}`,
      );
    }
  }
  return createStationPrinter(config, dataDir, clock);
}

/** `/status` gains `station` (per printer health, prints left, print time) on a photo station only. */
export function stationReport(printer: PrinterPort | null): { station?: StationReport } {
  return printer instanceof StationPool ? { station: printer.report() } : {};
}
