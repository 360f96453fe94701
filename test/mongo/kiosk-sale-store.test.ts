import { MongoClient } from 'mongodb';
import { MongoKioskSaleStore } from '../../coordinator/store/mongo-kiosk-sales.ts';
import { freshDbName, whenMongo } from '../fixtures/mongo-target.ts';
import { kioskSaleStoreContract } from '../kiosk-sale-store-contract.ts';

whenMongo('MongoDB kiosk sale store contract', (uri) => {
  kioskSaleStoreContract('mongodb', async () => {
    const dbName = freshDbName('vpm_kiosk');
    return {
      store: new MongoKioskSaleStore({ uri, dbName }),
      async cleanup() {
        const admin = new MongoClient(uri);
        try {
          await admin.db(dbName).dropDatabase();
        } finally {
          await admin.close();
        }
      },
    };
  });
});
