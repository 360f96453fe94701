import type { Store } from '../store/port.ts';

/** Keys read per page while looking for orphans. */
const ORPHAN_SCAN_PAGE = 500;
/** The kinds of media an upload writes before its image record (routes/images.ts mediaKey). */
const UPLOAD_MEDIA_PREFIXES = ['master/', 'preview/', 'thumbnail/'] as const;

/**
 * An upload stores its print master and renditions first and its image record last, so a record
 * never points at missing bytes; a crash (kill -9) in between leaves media no record points at.
 * At start those are removed. Only when no other coordinator shares the store: another instance
 * may be between those two writes right now.
 */
export async function removeOrphanMedia(
  store: Pick<Store, 'listMediaKeys' | 'getImage' | 'deleteMedia'>,
): Promise<string[]> {
  const removed: string[] = [];
  for (const prefix of UPLOAD_MEDIA_PREFIXES) {
    let after: string | null = null;
    for (;;) {
      const keys = await store.listMediaKeys(prefix, after, ORPHAN_SCAN_PAGE);
      if (keys.length === 0) break;
      for (const key of keys) {
        if (!(await store.getImage(key.slice(prefix.length)))) {
          await store.deleteMedia(key);
          removed.push(key);
        }
      }
      after = keys.at(-1)!;
    }
  }
  return removed;
}
