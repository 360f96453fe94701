import test from 'ava';
import { MongoClient } from 'mongodb';
import { MongoReorderStore } from '../../coordinator/after-event/mongo-reorder-store.ts';
import { reorderStoreContract } from '../contracts/reorder-store-contract.ts';
import { freshDbName, whenMongo } from '../fixtures/mongo-target.ts';

whenMongo('MongoDB reorder store contract', (uri) => {
  reorderStoreContract(test, 'mongodb reorders', async (t) => {
    const dbName = freshDbName();
    const store = new MongoReorderStore({ uri, dbName });
    await store.ready();
    t.teardown(async () => {
      await store.close();
      const admin = new MongoClient(uri);
      try {
        await admin.db(dbName).dropDatabase();
      } finally {
        await admin.close();
      }
    });
    return store;
  });
});
