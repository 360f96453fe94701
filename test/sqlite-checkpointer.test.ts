/**
 * The SQLite store's commits (claims, payments) must not copy the write-ahead log into the database
 * file themselves: by default the commit that takes the WAL past 1,000 pages does, and that request
 * then waits for a 4 MB write and an fsync. A worker thread does it on the Clock's beat instead
 * (coordinator/store/sqlite-checkpointer.ts).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { BACKGROUND_CHECKPOINT_INTERVAL_MS } from '../coordinator/store/sqlite-checkpointer.ts';
import { SqliteStore } from '../coordinator/store/sqlite-store.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import { waitFor } from './fixtures/feed-fixtures.ts';

/** Well past SQLite's default auto-checkpoint (1,000 pages of 4 KiB), well under the inline fallback. */
const VENUES = 1_500;
const DOC_BYTES = 4_000;
const WRITTEN_BYTES = VENUES * DOC_BYTES;
const CHECKPOINT_DEADLINE_MS = 10_000;

test('commits leave the WAL to the background checkpointer, which copies it on the clock', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vpm-checkpoint-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'store.db');
  const clock = new ManualClock(1_700_000_000_000);
  const store = new SqliteStore({ path, clock });
  t.teardown(() => store.close());
  await store.ready();
  const fileBytes = async () => (await stat(path)).size;
  const before = await fileBytes();

  for (let i = 0; i < VENUES; i++)
    await store.insertVenue({ id: `v${i}`, name: 'x'.repeat(DOC_BYTES), topicSecret: '00', createdAt: i });
  t.true((await fileBytes()) - before < WRITTEN_BYTES / 4, 'no commit copied the WAL into the database file');

  clock.advance(BACKGROUND_CHECKPOINT_INTERVAL_MS);
  t.true(
    await waitFor(async () => (await fileBytes()) - before >= WRITTEN_BYTES, CHECKPOINT_DEADLINE_MS),
    'the background checkpoint copied it',
  );
  t.is((await store.listVenues()).length, VENUES);
});

test('a store in memory has no checkpointer and closes at once', async (t) => {
  const store = new SqliteStore({ path: ':memory:', clock: new ManualClock(0) });
  await store.ready();
  await store.insertVenue({ id: 'v', name: 'n', topicSecret: '00', createdAt: 0 });
  await store.close();
  t.pass();
});
