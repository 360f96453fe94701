/**
 * A printer replicating from several LAN peers must not ask two of them for the same block in
 * background sync (hotswap-policy.ts): every copy crosses the LAN again and costs CPU. Hypercore
 * races such copies by itself; these tests show it still does (so the gate is what stops it) and
 * that the gate lets it only while `allow()` holds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import Corestore from 'corestore';
import type Hypercore from 'hypercore';
import { raceDuplicatesOnlyWhen } from '../edge-node/mesh/hotswap-policy.ts';
import { AppError } from '../shared/errors.ts';

const BLOCKS = 600;
const BLOCK_BYTES = 16 * 1024;
/** Copies the reader takes from each seeder in turn, so both seeders are connected and busy. */
const SEEDERS = 3;

function pipe(a: Corestore, b: Corestore): () => void {
  const s1 = a.replicate(true);
  const s2 = b.replicate(false);
  s1.pipe(s2).pipe(s1);
  return () => {
    s1.destroy();
    s2.destroy();
  };
}

/** A writer's core, fully copied to SEEDERS stores, and a fresh reader connected to the seeders only. */
async function venue(t: ExecutionContext): Promise<{ reader: Hypercore; length: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'vpm-hotswap-'));
  const stores: Corestore[] = [];
  const unpipes: Array<() => void> = [];
  t.teardown(async () => {
    for (const u of unpipes.reverse()) u();
    for (const s of stores.reverse()) await s.close();
    await rm(dir, { recursive: true, force: true });
  });
  const open = (name: string) => {
    const s = new Corestore(join(dir, name));
    stores.push(s);
    return s;
  };
  const writerStore = open('writer');
  const writer = writerStore.get({ name: 'blobs' });
  await writer.ready();
  const block = Buffer.alloc(BLOCK_BYTES, 7);
  await writer.append(Array.from({ length: BLOCKS }, () => block));
  const seederStores = Array.from({ length: SEEDERS }, (_, i) => open(`seeder-${i}`));
  for (const s of seederStores) {
    const copy = s.get({ key: writer.key });
    await copy.ready();
    const unpipe = pipe(writerStore, s);
    await copy.update({ wait: true });
    await copy.download({ start: 0, end: BLOCKS }).done();
    unpipe();
  }
  const readerStore = open('reader');
  const reader = readerStore.get({ key: writer.key });
  await reader.ready();
  for (const s of seederStores) unpipes.push(pipe(s, readerStore));
  await reader.update({ wait: true });
  return { reader, length: BLOCKS };
}

test('Hypercore asks a second peer for blocks in flight when the gate allows it', async (t) => {
  const { reader, length } = await venue(t);
  const gate = raceDuplicatesOnlyWhen(reader, () => true);
  t.teardown(gate.restore);
  await reader.download({ start: 0, end: length }).done();
  t.true(gate.stats.hotswaps > 0, `copies requested: ${gate.stats.hotswaps}`);
});

test('background sync asks no peer for a block already in flight at another', async (t) => {
  const { reader, length } = await venue(t);
  const gate = raceDuplicatesOnlyWhen(reader, () => false);
  t.teardown(gate.restore);
  await reader.download({ start: 0, end: length }).done();
  t.is(reader.contiguousLength, length, 'everything arrived');
  t.is(gate.stats.hotswaps, 0);
});

test('a core without the hook is refused with an actionable error', (t) => {
  const notHypercore = { core: { replicator: { stats: { hotswaps: 0 } } } } as unknown as Hypercore;
  const err = t.throws(() => raceDuplicatesOnlyWhen(notHypercore, () => false), { instanceOf: AppError });
  t.is(err?.code, 'hypercore_internals_changed');
});
