import { join } from 'node:path';
import test from 'ava';
import { SqliteReorderStore } from '../coordinator/after-event/sqlite-reorder-store.ts';
import { reorderStoreContract } from './contracts/reorder-store-contract.ts';
import { tempDir } from './fixtures/feed-fixtures.ts';

reorderStoreContract(test, 'sqlite (memory)', async () => {
  const s = new SqliteReorderStore({ path: ':memory:' });
  await s.ready();
  return s;
});

reorderStoreContract(test, 'sqlite (file)', async (t) => {
  const s = new SqliteReorderStore({ path: join(await tempDir(t, 'vpm-reorders-'), 'reorders.sqlite') });
  await s.ready();
  return s;
});
