import type { Store } from '../store/port.ts';
import { MASTER_KEY_PREFIX, mediaKey } from './media-keys.ts';

/** Keys read per page while looking for orphans. */
const ORPHAN_SCAN_PAGE = 500;

/**
 * Removes an upload's media, renditions first and the master last: a crash in between leaves the
 * master, which the start-up scan below finds, so no half-removed upload is ever left unnoticed.
 */
export async function deleteUploadMedia(store: Pick<Store, 'deleteMedia'>, imageId: string): Promise<string[]> {
  const keys = [mediaKey.preview(imageId), mediaKey.thumbnail(imageId), mediaKey.master(imageId)];
  for (const key of keys) await store.deleteMedia(key);
  return keys;
}

/**
 * An upload stores its print master first, then its renditions, and its image record last, so a
 * record never points at missing bytes; a crash (kill -9) in between leaves media no record points
 * at, always including the master. At start those are removed: one record lookup per master, not
 * per media key. Only when no other coordinator shares the store: another instance may be between
 * those writes right now. Returns the keys removed (a rendition that was never written is a no-op).
 */
export async function removeOrphanMedia(
  store: Pick<Store, 'listMediaKeys' | 'getImage' | 'deleteMedia'>,
): Promise<string[]> {
  const removed: string[] = [];
  let after: string | null = null;
  for (;;) {
    const keys = await store.listMediaKeys(MASTER_KEY_PREFIX, after, ORPHAN_SCAN_PAGE);
    if (keys.length === 0) break;
    for (const key of keys) {
      const imageId = key.slice(MASTER_KEY_PREFIX.length);
      if (!(await store.getImage(imageId))) removed.push(...(await deleteUploadMedia(store, imageId)));
    }
    after = keys.at(-1)!;
  }
  return removed;
}
