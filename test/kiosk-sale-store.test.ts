import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteKioskSaleStore } from '../coordinator/store/kiosk-sale-store.ts';
import { kioskSaleStoreContract } from './kiosk-sale-store-contract.ts';

kioskSaleStoreContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vpm-kiosk-sales-'));
  return {
    store: new SqliteKioskSaleStore({ path: join(dir, 'store.sqlite') }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
