/**
 * Whether a printer holds an image, from its last have-list (HoldingsRecord): by catalog position
 * when it reported seq ranges, by id when it is older than them.
 */
import { AppError } from '../../shared/errors.ts';
import { inSeqRanges } from '../../shared/feed/seq-ranges.ts';
import type { HoldingsReport } from '../../shared/protocol/printer-api.ts';
import type { HoldingsRecord, ImageRecord } from '../store/records.ts';

export type HeldImage = (image: Pick<ImageRecord, 'id' | 'seq'>) => boolean;

export function heldImages(holdings: HoldingsRecord | null | undefined): HeldImage {
  if (!holdings) return () => false;
  const ranges = holdings.seqRanges;
  if (ranges) return (image) => image.seq !== null && inSeqRanges(ranges, image.seq);
  const ids = new Set(holdings.imageIds ?? []);
  return (image) => ids.has(image.id);
}

/** The record a printer's report makes; the schema admits exactly one form, its type cannot say so. */
export function holdingsRecordOf(
  printerId: string,
  eventId: string,
  report: HoldingsReport,
  updatedAt: number,
): HoldingsRecord {
  if (report.seqRanges) return { printerId, eventId, seqRanges: report.seqRanges, updatedAt };
  if (report.imageIds) return { printerId, eventId, imageIds: [...new Set(report.imageIds)], updatedAt };
  throw new AppError('invalid_input', 'A have-list needs seqRanges or imageIds.');
}
