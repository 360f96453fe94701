import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../coordinator/store/sqlite-store.ts';
import { templateUsageContract } from './fixtures/template-store-contract.ts';

templateUsageContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vpm-tpl-store-'));
  const store = new SqliteStore({ path: join(dir, 'store.sqlite') });
  await store.ready();
  return {
    store,
    async close() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
