import { createHash } from 'node:crypto';
import test from 'ava';
import { MongoClient } from 'mongodb';
import { MEDIA_BUCKET_NAME } from '../../coordinator/store/mongo-media.ts';
import { MongoStore } from '../../coordinator/store/mongo-store.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { freshDbName, identifyServer, whenMongo } from '../fixtures/mongo-target.ts';
import { patternBytes } from '../fixtures/store-records.ts';

/** A print master of this size is larger than two 16 MiB cursor batches of GridFS chunks. */
const PRINT_MASTER_BYTES = 40 * 1024 * 1024;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

whenMongo('MongoDB media (GridFS)', (uri) => {
  test('mongodb: a 40 MB print master is stored and read back byte-identical through GridFS', async (t) => {
    t.timeout(240_000);
    t.log(`against ${(await identifyServer(uri)).description}`);
    const dbName = freshDbName();
    const store = new MongoStore({ uri, dbName });
    const admin = new MongoClient(uri);
    t.teardown(async () => {
      await store.close();
      await admin.db(dbName).dropDatabase();
      await admin.close();
    });
    await store.ready();
    const master = patternBytes(PRINT_MASTER_BYTES, 0x5eed);
    const started = systemClock.now();
    await store.putMedia('master/big', { bytes: master, contentType: 'image/tiff' });
    const stored = systemClock.now();
    const back = await store.getMedia('master/big');
    const read = systemClock.now();
    t.truthy(back);
    t.is(back!.contentType, 'image/tiff');
    t.is(back!.bytes.length, master.length);
    t.is(sha256(back!.bytes), sha256(master));
    t.true(back!.bytes.equals(master), 'byte-identical');
    const chunks = await admin.db(dbName).collection(`${MEDIA_BUCKET_NAME}.chunks`).countDocuments({});
    t.true(chunks > 100, `stored as ${chunks} GridFS chunks`);
    t.log(`put ${(stored - started).toFixed(0)} ms, get ${(read - stored).toFixed(0)} ms, ${chunks} chunks`);
    await store.deleteMedia('master/big');
    t.is(await store.getMedia('master/big'), null);
  });
});
