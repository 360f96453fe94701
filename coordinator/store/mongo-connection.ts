import { MongoClient } from 'mongodb';
import { AppError } from '../../shared/errors.ts';
import { type Collections, collections, createIndexes } from './mongo-collections.ts';
import { MongoImages } from './mongo-images.ts';
import { MongoMedia } from './mongo-media.ts';
import { MongoOffline } from './mongo-offline.ts';
import { MongoOrders } from './mongo-orders.ts';
import { MongoOwnPhotos } from './mongo-own-photos.ts';
import { MongoPrinters } from './mongo-printers.ts';
import { redactUri } from './mongo-queries.ts';

/** An open MongoDB store: its client, its collections and the parts MongoStore forwards to. */
export interface MongoParts {
  client: MongoClient;
  c: Collections;
  media: MongoMedia;
  orders: MongoOrders;
  images: MongoImages;
  printers: MongoPrinters;
  offline: MongoOffline;
  ownPhotos: MongoOwnPhotos;
}

/**
 * Connects and creates every index before the store is used: the port's uniqueness rules live in
 * the unique ones. A failure closes the client and says where it tried, without the URI's password.
 */
export async function connectMongo(uri: string, dbName: string): Promise<MongoParts> {
  const client = new MongoClient(uri);
  try {
    await client.connect();
    const db = client.db(dbName);
    const c = collections(db);
    await createIndexes(c);
    const offline = new MongoOffline(db);
    await offline.createIndexes();
    const ownPhotos = new MongoOwnPhotos(db);
    await ownPhotos.createIndexes();
    return {
      client,
      c,
      media: new MongoMedia(db),
      orders: new MongoOrders(c.orders),
      images: new MongoImages(c.images),
      printers: new MongoPrinters(c),
      offline,
      ownPhotos,
    };
  } catch (err) {
    await client.close().catch(() => undefined);
    const reason = err instanceof Error ? err.message : String(err);
    throw new AppError(
      'store_unavailable',
      `cannot open MongoDB database "${dbName}" at ${redactUri(uri)}: ${reason}. ` +
        'Check that the server is running and reachable, and that MONGODB_URI is right.',
      { reason },
    );
  }
}
