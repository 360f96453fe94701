/**
 * A set of blocks asked of Hypercore as contiguous ranges, not as a block list.
 *
 * Hypercore 11 handles a `{ blocks }` range by walking its list on every peer update: for each
 * block not requested from that peer it recomputes the peer's contiguous length (a bitfield scan),
 * so a list of a few hundred blocks costs thousands of scans per arriving block with eight LAN peers.
 * In validation-8-short that was ~4.6 s of a printer's 70 s of CPU (`_maybeWant` →
 * `remoteContiguousLength` → quickbit `findFirst`). A `{ start, end }` range is walked through the
 * bitfields instead, a few lookups per update. The blocks a cycle asks for are runs (an image's
 * blocks lie together on the feed), so a batch is one to three ranges.
 */

import { toSeqRanges } from '../../shared/feed/seq-ranges.ts';

export interface BlockRun {
  start: number;
  /** Exclusive. */
  end: number;
}

/** One download under way: what Hypercore's `download()` returns. */
export interface DownloadHandle {
  done(): Promise<unknown>;
  destroy(): void;
}

export type RangeDownload = (run: BlockRun) => DownloadHandle;

/** Downloads `blocks` as one range per run; done when every run is, destroyed all together. */
export function downloadBlocks(download: RangeDownload, blocks: readonly number[]): DownloadHandle {
  const handles = toSeqRanges(blocks).map(([start, end]) => download({ start, end }));
  return {
    done: () => Promise.all(handles.map((h) => h.done())),
    destroy: () => {
      for (const h of handles) h.destroy();
    },
  };
}
