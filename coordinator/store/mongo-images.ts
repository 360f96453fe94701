import type { Collection } from 'mongodb';
import type { BlobCoordinates } from '../../shared/feed/feed-layout.ts';
import { isDuplicateKeyError, type StoredDoc, stripId } from './mongo-queries.ts';
import { storeConflict } from './port.ts';
import type { ImageRecord } from './records.ts';

/**
 * Images on MongoDB. The unique (eventId, sha256) index decides which of two racing uploads of one
 * master is the first; appending is one conditional update on feedState.
 */
export class MongoImages {
  readonly #images: Collection<StoredDoc<ImageRecord>>;

  constructor(images: Collection<StoredDoc<ImageRecord>>) {
    this.#images = images;
  }

  async insert(image: ImageRecord): Promise<{ inserted: true } | { inserted: false; existing: ImageRecord }> {
    try {
      await this.#images.insertOne({ ...image, _id: image.id });
      return { inserted: true };
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    const existing = await this.#images.findOne({ eventId: image.eventId, sha256: image.sha256 });
    if (existing) return { inserted: false, existing: stripId(existing) };
    throw storeConflict(`image ${image.id}`);
  }

  async get(id: string): Promise<ImageRecord | null> {
    const doc = await this.#images.findOne({ _id: id });
    return doc ? stripId(doc) : null;
  }

  async list(eventId: string): Promise<ImageRecord[]> {
    const images = this.#images;
    const appended = await images.find({ eventId, feedState: 'appended' }).sort({ seq: 1, _id: 1 }).toArray();
    const pending = await images.find({ eventId, feedState: 'pending' }).sort({ createdAt: 1, _id: 1 }).toArray();
    return [...appended, ...pending].map(stripId);
  }

  async listPending(eventId: string, limit: number): Promise<ImageRecord[]> {
    const max = Math.floor(limit);
    // MongoDB reads limit(0) as "no limit".
    if (!(max > 0)) return [];
    const docs = await this.#images
      .find({ eventId, feedState: 'pending' })
      .sort({ createdAt: 1, _id: 1 })
      .limit(max)
      .toArray();
    return docs.map(stripId);
  }

  async listEventsWithPending(): Promise<string[]> {
    const ids = await this.#images.distinct('eventId', { feedState: 'pending' });
    return ids.sort();
  }

  async markAppended(id: string, feed: BlobCoordinates, seq: number): Promise<boolean> {
    const result = await this.#images.updateOne(
      { _id: id, feedState: 'pending' },
      { $set: { feedState: 'appended', feed, seq } },
    );
    return result.matchedCount === 1;
  }
}
