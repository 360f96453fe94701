/**
 * Whether a printer holds an image, from its last have-list (HoldingsRecord): by catalog position
 * when it reported seq ranges, by id when it is older than them.
 */
import { inSeqRanges } from '../../shared/feed/seq-ranges.ts';
import type { HoldingsRecord, ImageRecord } from '../store/records.ts';

export type HeldImage = (image: Pick<ImageRecord, 'id' | 'seq'>) => boolean;

export function heldImages(holdings: HoldingsRecord | null | undefined): HeldImage {
  if (!holdings) return () => false;
  const ranges = holdings.seqRanges;
  if (ranges) return (image) => image.seq !== null && inSeqRanges(ranges, image.seq);
  const ids = new Set(holdings.imageIds ?? []);
  return (image) => ids.has(image.id);
}
