/**
 * Where a fan's own photos live in the store's media: scoped by job, so deleting a job's photos
 * never touches the event's media (and the orphan scan of `master/` never sees them).
 */
export const OWN_PHOTO_MEDIA_PREFIX = 'own/';

export const ownPhotoMediaKey = {
  master: (jobId: string, n: number) => `${OWN_PHOTO_MEDIA_PREFIX}${jobId}/${n}/master`,
  thumbnail: (jobId: string, n: number) => `${OWN_PHOTO_MEDIA_PREFIX}${jobId}/${n}/thumbnail`,
};

/** Every media key of a job of `imageCount` images, thumbnails first (the master goes last). */
export function ownPhotoMediaKeys(jobId: string, imageCount: number): string[] {
  const keys: string[] = [];
  for (let n = 0; n < imageCount; n++) keys.push(ownPhotoMediaKey.thumbnail(jobId, n));
  for (let n = 0; n < imageCount; n++) keys.push(ownPhotoMediaKey.master(jobId, n));
  return keys;
}

/** The job id of an own-photo media key; null for other keys. */
export function jobIdOfOwnPhotoMediaKey(key: string): string | null {
  if (!key.startsWith(OWN_PHOTO_MEDIA_PREFIX)) return null;
  const id = key.slice(OWN_PHOTO_MEDIA_PREFIX.length).split('/')[0];
  return id ? id : null;
}
