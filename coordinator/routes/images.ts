import { readFile, rm } from 'node:fs/promises';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { AppError } from '../../shared/errors.ts';
import { randomId } from '../../shared/ports/random.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { requireStaff, type StaffIdentity } from '../http/auth.ts';
import { UploadLimiter } from '../http/upload-limiter.ts';
import { parseInput } from '../http/validate.ts';
import { type processImage, processImageFrom } from '../media/image-pipeline.ts';
import { drainOrCut, readMultipartUpload } from '../media/multipart.ts';
import type { ImageRecord } from '../store/records.ts';
import { imageView } from '../views.ts';
import { imageQuerySchema, selectImages } from './image-query.ts';

export const MAX_FILES_PER_UPLOAD = 1;

export const mediaKey = {
  master: (imageId: string) => `master/${imageId}`,
  preview: (imageId: string) => `preview/${imageId}`,
  thumbnail: (imageId: string) => `thumbnail/${imageId}`,
};

/**
 * Image registration (the patent's image registration unit): photographers upload, the image is
 * checked by content, rendered into preview and thumbnail, stored, and queued for the event feed.
 * It is for sale at once; the appender puts the master on the feed in batches.
 */
export function imageRoutes(router: Router, deps: CoordinatorDeps): void {
  const { store, feeds, clock, random, metrics, settings } = deps;
  const staff = requireStaff(store, ['operator', 'photographer']);
  const uploads = new UploadLimiter();

  router.post('/api/events/:eventId/images', staff, async (ctx) => {
    const event = await store.getEvent(ctx.params.eventId!);
    if (!event) throw new AppError('event_not_found', 'This event does not exist.');
    let processed: Awaited<ReturnType<typeof processImage>>;
    let fileName: string | null;
    let release: () => void;
    try {
      release = uploads.acquire((ctx.state.staff as StaffIdentity).credentialId);
    } catch (err) {
      refuseBody(ctx, err);
      throw err;
    }
    let spooled: string | null = null;
    try {
      const upload = await readMultipartUpload(ctx.req, {
        maxFileBytes: settings.imageLimits.maxUploadBytes,
        maxFiles: MAX_FILES_PER_UPLOAD,
        ...(settings.uploadSpoolDir ? { spoolDir: settings.uploadSpoolDir } : {}),
      });
      const file = upload.files[0]!;
      fileName = file.fileName;
      spooled = file.path;
      processed = await processImageFrom(
        async () => (file.path ? await readFile(file.path) : file.bytes),
        settings.imageLimits,
      );
    } catch (err) {
      metrics.imagesUploaded.inc({ result: 'rejected' });
      throw err;
    } finally {
      if (spooled) await rm(spooled, { force: true });
      release();
    }
    const id = randomId(random, 12);
    const image: ImageRecord = {
      id,
      eventId: event.id,
      photographer: (ctx.state.staff as StaffIdentity).name,
      sha256: processed.sha256,
      mime: processed.mime,
      width: processed.width,
      height: processed.height,
      byteLength: processed.master.length,
      originalName: fileName ? fileName.slice(0, 255) : null,
      createdAt: clock.now(),
      feedState: 'pending',
      feed: null,
      seq: null,
    };
    // Bytes first, record second: a record never points at media that is not there.
    await store.putMedia(mediaKey.master(id), { bytes: processed.master, contentType: processed.mime });
    await store.putMedia(mediaKey.preview(id), { bytes: processed.preview, contentType: 'image/jpeg' });
    await store.putMedia(mediaKey.thumbnail(id), { bytes: processed.thumbnail, contentType: 'image/jpeg' });
    const result = await store.insertImage(image);
    if (!result.inserted) {
      await Promise.all(Object.values(mediaKey).map((key) => store.deleteMedia(key(id))));
      metrics.imagesUploaded.inc({ result: 'duplicate' });
      ctx.status = 200;
      ctx.body = { image: imageView(result.existing), duplicate: true };
      return;
    }
    metrics.imagesUploaded.inc({ result: 'new' });
    feeds.notifyImagesPending(event.id);
    ctx.status = 201;
    ctx.body = { image: imageView(image), duplicate: false };
  });

  router.get('/api/events/:eventId/images', async (ctx) => {
    const event = await store.getEvent(ctx.params.eventId!);
    if (!event) throw new AppError('event_not_found', 'This event does not exist.');
    const query = parseInput(imageQuerySchema, ctx.query, 'image query');
    const { images, nextCursor } = selectImages(await store.listImages(event.id), query);
    ctx.body = { images: images.map(imageView), nextCursor };
  });

  router.get('/media/images/:imageId/:variant', async (ctx) => {
    const variant = ctx.params.variant;
    const key =
      variant === 'preview.jpg'
        ? mediaKey.preview(ctx.params.imageId!)
        : variant === 'thumbnail.jpg'
          ? mediaKey.thumbnail(ctx.params.imageId!)
          : null;
    const media = key ? await store.getMedia(key) : null;
    if (!media) throw new AppError('media_not_found', 'No such image.');
    ctx.type = media.contentType;
    ctx.set('cache-control', 'public, max-age=86400, immutable');
    ctx.body = media.bytes;
  });
}

/** A refused upload: Retry-After, and the body is discarded unread (or the connection cut if it is large). */
function refuseBody(ctx: Context, err: unknown): void {
  const seconds = (err as { details?: { retryAfterSeconds?: unknown } }).details?.retryAfterSeconds;
  if (typeof seconds === 'number') ctx.set('retry-after', String(seconds));
  drainOrCut(ctx.req);
}
