/**
 * Where an image's bytes live in the store's media: the print master (what the feed carries) and
 * the renditions the shop shows. An upload writes all three before the image record, master first.
 */
export const mediaKey = {
  master: (imageId: string) => `master/${imageId}`,
  preview: (imageId: string) => `preview/${imageId}`,
  thumbnail: (imageId: string) => `thumbnail/${imageId}`,
};

/** The master's key prefix: an upload cut short always left its master (orphan-media.ts). */
export const MASTER_KEY_PREFIX = 'master/';
