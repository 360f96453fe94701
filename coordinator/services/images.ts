import { readFile, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { AppError } from '../../shared/errors.ts';
import { randomId } from '../../shared/ports/random.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { UploadLimiter } from '../http/upload-limiter.ts';
import { type processImage, processImageFrom } from '../media/image-pipeline.ts';
import { mediaKey } from '../media/media-keys.ts';
import { readMultipartUpload } from '../media/multipart.ts';
import { deleteUploadMedia } from '../media/orphan-media.ts';
import type { EventRecord, ImageRecord } from '../store/records.ts';
import { type ImageQuery, selectImages } from './image-query.ts';
import { imageView } from './projections.ts';

export const MAX_FILES_PER_UPLOAD = 1;

/** The rendered variants the shop links to, by the file name in the URL. */
const VARIANT_KEYS: Readonly<Record<string, (imageId: string) => string>> = {
  'preview.jpg': mediaKey.preview,
  'thumbnail.jpg': mediaKey.thumbnail,
};

type ImageDeps = Pick<CoordinatorDeps, 'store' | 'feeds' | 'clock' | 'random' | 'metrics' | 'settings'>;

/**
 * Image registration (the patent's image registration unit): photographers upload, the image is
 * checked by content, rendered into preview and thumbnail, stored, and queued for the event feed.
 * It is for sale at once; the appender puts the master on the feed in batches.
 */
export class ImageService {
  readonly #deps: ImageDeps;
  /** Uploads in flight per credential and in all (429 beyond): memory and disk stay bounded. */
  readonly #uploads = new UploadLimiter();

  constructor(deps: ImageDeps) {
    this.#deps = deps;
  }

  /** Reads one multipart upload from `req`; `created` is false when the same content was there already. */
  async upload(event: EventRecord, uploader: { name: string; credentialId: string }, req: IncomingMessage) {
    const { store, feeds, clock, random, metrics, settings } = this.#deps;
    let processed: Awaited<ReturnType<typeof processImage>>;
    let fileName: string | null;
    // Throws too_many_uploads before a byte of the body is read; the route discards the body.
    const release = this.#uploads.acquire(uploader.credentialId);
    let spooled: string | null = null;
    try {
      const upload = await readMultipartUpload(req, {
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
      photographer: uploader.name,
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
      await deleteUploadMedia(store, id);
      metrics.imagesUploaded.inc({ result: 'duplicate' });
      return { created: false, body: { image: imageView(result.existing), duplicate: true } };
    }
    metrics.imagesUploaded.inc({ result: 'new' });
    feeds.notifyImagesPending(event.id);
    return { created: true, body: { image: imageView(image), duplicate: false } };
  }

  async list(event: EventRecord, query: ImageQuery) {
    const { images, nextCursor } = selectImages(await this.#deps.store.listImages(event.id), query);
    return { images: images.map(imageView), nextCursor };
  }

  /** A rendered variant (`preview.jpg`, `thumbnail.jpg`); masters are never served here. */
  async variant(imageId: string, variant: string) {
    const key = Object.hasOwn(VARIANT_KEYS, variant) ? VARIANT_KEYS[variant]!(imageId) : null;
    const media = key ? await this.#deps.store.getMedia(key) : null;
    if (!media) throw new AppError('media_not_found', 'No such image.');
    return media;
  }
}
