import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Db, GridFSBucket, type GridFSFile, MongoRuntimeError, type ObjectId } from 'mongodb';
import { AppError } from '../../shared/errors.ts';
import type { MediaObject } from './records.ts';

export const MEDIA_BUCKET_NAME = 'media';

/** A read can lose a race with an overwrite that deletes the file it opened; it then reads the newer one. */
const MEDIA_READ_ATTEMPTS = 3;

interface MediaMetadata {
  contentType: string;
}

function isNewer(a: GridFSFile, b: GridFSFile): boolean {
  const at = a.uploadDate.getTime();
  const bt = b.uploadDate.getTime();
  return at !== bt ? at > bt : a._id.toHexString() > b._id.toHexString();
}

/**
 * Media in GridFS: print masters reach tens of MB, above MongoDB's 16 MB document limit. An overwrite
 * uploads a new file under the same name and then deletes the older ones, so a reader always finds
 * a complete file (GridFS writes the file document only after its last chunk). Two concurrent
 * overwrites each delete only files older than their own, so the newest survives.
 */
export class MongoMedia {
  readonly #bucket: GridFSBucket;

  constructor(db: Db) {
    this.#bucket = new GridFSBucket(db, { bucketName: MEDIA_BUCKET_NAME });
  }

  async put(key: string, media: MediaObject): Promise<void> {
    const metadata: MediaMetadata = { contentType: media.contentType };
    const upload = this.#bucket.openUploadStream(key, { metadata });
    await pipeline(Readable.from([media.bytes]), upload);
    const mine = await this.#bucket.find({ _id: upload.id }).next();
    if (!mine) throw new AppError('store_unavailable', `GridFS lost the upload of ${key}; retry the request.`);
    const others = await this.#bucket.find({ filename: key, _id: { $ne: upload.id } }).toArray();
    for (const other of others) {
      if (!isNewer(other, mine)) await this.#deleteQuietly(other._id);
    }
  }

  async get(key: string): Promise<MediaObject | null> {
    for (let attempt = 1; ; attempt++) {
      const file = await this.#bucket.find({ filename: key }).sort({ uploadDate: -1, _id: -1 }).limit(1).next();
      if (!file) return null;
      try {
        const chunks: Buffer[] = [];
        for await (const chunk of this.#bucket.openDownloadStream(file._id)) chunks.push(chunk as Buffer);
        const metadata = file.metadata as MediaMetadata | undefined;
        return { bytes: Buffer.concat(chunks), contentType: metadata?.contentType ?? 'application/octet-stream' };
      } catch (err) {
        if (attempt >= MEDIA_READ_ATTEMPTS) throw err;
      }
    }
  }

  async listKeys(prefix: string, afterKey: string | null, limit: number): Promise<string[]> {
    const max = Math.floor(limit);
    if (!(max > 0)) return [];
    const range = { $gte: prefix, $lt: `${prefix}\uffff`, ...(afterKey !== null ? { $gt: afterKey } : {}) };
    const keys: string[] = [];
    // An overwrite briefly holds two files of one name: skip the repeat.
    for await (const file of this.#bucket.find({ filename: range }).sort({ filename: 1 })) {
      if (keys.at(-1) === file.filename) continue;
      keys.push(file.filename);
      if (keys.length >= max) break;
    }
    return keys;
  }

  async delete(key: string): Promise<void> {
    const files = await this.#bucket.find({ filename: key }).toArray();
    for (const file of files) await this.#deleteQuietly(file._id);
  }

  async #deleteQuietly(id: ObjectId): Promise<void> {
    try {
      await this.#bucket.delete(id);
    } catch (err) {
      // Another overwrite deleted it first.
      if (!(err instanceof MongoRuntimeError && /not found/i.test(err.message))) throw err;
    }
  }
}
