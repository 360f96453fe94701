import { MongoClient } from 'mongodb';
import { MongoStore } from '../../coordinator/store/mongo-store.ts';
import { freshDbName, whenMongo } from '../fixtures/mongo-target.ts';
import { templateUsageContract } from '../fixtures/template-store-contract.ts';

whenMongo('MongoDB template usage', (uri) => {
  templateUsageContract('mongodb', async () => {
    const dbName = freshDbName();
    const store = new MongoStore({ uri, dbName });
    await store.ready();
    return {
      store,
      async close() {
        await store.close();
        const admin = new MongoClient(uri);
        await admin.db(dbName).dropDatabase();
        await admin.close();
      },
    };
  });
});
