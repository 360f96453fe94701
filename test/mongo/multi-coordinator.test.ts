import test from 'ava';
import { MongoClient } from 'mongodb';
import { freshDbName, identifyServer, uriWithDb, whenMongo } from '../fixtures/mongo-target.ts';
import { multiCoordinatorScenario } from '../fixtures/multi-coordinator-scenario.ts';

whenMongo('MongoDB multi-coordinator', (uri) => {
  test('two coordinator processes on one MongoDB database: exactly-once claims, one feed appender, takeover after kill -9', async (t) => {
    t.timeout(240_000);
    t.log(`against ${(await identifyServer(uri)).description}`);
    const dbName = freshDbName('vpm_multi');
    t.teardown(async () => {
      const admin = new MongoClient(uri);
      await admin.db(dbName).dropDatabase();
      await admin.close();
    });
    await multiCoordinatorScenario(t, () => ({ MONGODB_URI: uriWithDb(uri, dbName) }));
  });
});
