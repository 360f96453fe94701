/**
 * The small-core overlay (issue #16): the claims logs and the orders feed replicate between ring
 * neighbours only, not between every pair of printers. The policy's properties (symmetric, bounded
 * degree, connected, stable when a printer joins) and the edge node's guard on real corestores.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import Corestore from 'corestore';
import type Hypercore from 'hypercore';
import crypto from 'hypercore-crypto';
import { SmallCoreOverlay } from '../edge-node/mesh/small-core-overlay.ts';
import { claimsCoreKey } from '../shared/feed/orders-feed-layout.ts';
import { SMALL_CORE_RING_REACH, smallCoreNeighbours, smallCoreRing } from '../shared/policy/small-core-overlay.ts';
import { waitFor } from './fixtures/feed-fixtures.ts';

const keys = (n: number, prefix = 'p') =>
  Array.from({ length: n }, (_, i) => `${prefix}${i.toString().padStart(3, '0')}`);

/** Printers reachable from `from` over the overlay's links for this core, skipping `down`. */
function reachable(core: string, printers: string[], from: string, down: ReadonlySet<string> = new Set()): Set<string> {
  const seen = new Set([from]);
  const queue = [from];
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const next of smallCoreNeighbours(core, printers, at)) {
      if (down.has(next) || seen.has(next)) continue;
      seen.add(next);
      queue.push(next);
    }
  }
  return seen;
}

test('the ring is the same whatever order the membership comes in, and differs per core', (t) => {
  const printers = keys(12);
  const ring = smallCoreRing('core-a', printers);
  t.deepEqual(smallCoreRing('core-a', [...printers].reverse()), ring);
  t.deepEqual(smallCoreRing('core-a', [...printers, ...printers]), ring, 'repeats count once');
  t.deepEqual([...ring].sort(), printers);
  t.notDeepEqual(smallCoreRing('core-b', printers), ring, 'another core, another ring: no printer is every log’s hub');
});

test('links are symmetric; every printer has 2 × reach of them in a large venue, everyone in a small one', (t) => {
  for (const n of [1, 2, 5, 6, 11, 40]) {
    const printers = keys(n);
    for (const core of ['claims-1', 'claims-2', 'orders']) {
      for (const p of printers) {
        const mine = smallCoreNeighbours(core, printers, p);
        t.false(mine.has(p), 'not its own neighbour');
        t.is(mine.size, n <= 2 * SMALL_CORE_RING_REACH + 1 ? n - 1 : 2 * SMALL_CORE_RING_REACH, `${n} printers`);
        for (const q of mine) t.true(smallCoreNeighbours(core, printers, q).has(p), `${q} links back to ${p}`);
      }
    }
  }
});

test('every printer reaches every other, also with any one printer down', (t) => {
  const printers = keys(25);
  for (const core of ['claims-1', 'orders']) {
    t.is(reachable(core, printers, printers[0]!).size, printers.length);
    for (const down of printers) {
      const from = printers.find((p) => p !== down)!;
      t.is(reachable(core, printers, from, new Set([down])).size, printers.length - 1, `${down} down`);
    }
  }
});

test('a printer joining adds its own links and never a new one between printers already there', (t) => {
  const before = keys(20);
  const after = [...before, 'newcomer'];
  for (const core of ['claims-1', 'claims-2', 'orders']) {
    for (const p of before) {
      const was = smallCoreNeighbours(core, before, p);
      for (const q of smallCoreNeighbours(core, after, p))
        if (q !== 'newcomer') t.true(was.has(q), `${p}–${q} is not new`);
    }
  }
});

test('a printer not on the ring yet replicates with everyone rather than cut itself off', (t) => {
  const printers = keys(10);
  t.is(smallCoreNeighbours('orders', printers, 'stranger').size, printers.length);
});

interface Printer {
  store: Corestore;
  key: { publicKey: Buffer; secretKey: Buffer };
  id: string;
  overlay: SmallCoreOverlay;
}

/** N printers, every pair connected by an encrypted replication stream, each stream guarded at both ends. */
async function venue(t: ExecutionContext, n: number): Promise<Printer[]> {
  const dir = await mkdtemp(join(tmpdir(), 'vpm-overlay-'));
  const printers: Printer[] = [];
  const streams: Array<{ destroy(): void }> = [];
  t.teardown(async () => {
    for (const s of streams.reverse()) s.destroy();
    for (const p of [...printers].reverse()) await p.store.close();
    await rm(dir, { recursive: true, force: true });
  });
  for (let i = 0; i < n; i++) {
    const store = new Corestore(join(dir, `p${i}`));
    await store.ready();
    const key = crypto.keyPair();
    const id = key.publicKey.toString('hex');
    printers.push({ store, key, id, overlay: new SmallCoreOverlay(id) });
  }
  for (const p of printers) p.overlay.setPrinters(printers.map((q) => q.id));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const [a, b] = [printers[i]!, printers[j]!];
      const sa = a.store.replicate(true, { keyPair: a.key });
      const sb = b.store.replicate(false, { keyPair: b.key });
      a.overlay.guard(muxerOf(sa), b.id);
      b.overlay.guard(muxerOf(sb), a.id);
      sa.pipe(sb).pipe(sa);
      streams.push(sa, sb);
    }
  }
  return printers;
}

function assertSameKey(a: Buffer, b: Buffer): void {
  if (!a.equals(b)) throw new Error('the writer core key is not the one registered');
}

function muxerOf(stream: unknown): unknown {
  return (stream as { noiseStream: { userData: unknown } }).noiseStream.userData;
}

/** A core written by the first printer (as its claims log is), followed live by all; registered (or not) before anyone opens it. */
async function followed(printers: Printer[], register: boolean): Promise<Hypercore[]> {
  const keyPair = crypto.keyPair();
  const key = claimsCoreKey(keyPair.publicKey);
  if (register) for (const p of printers) p.overlay.register(key);
  const writer = printers[0]!.store.get({ keyPair });
  await writer.ready();
  assertSameKey(writer.key, key);
  const cores = [writer];
  for (const p of printers.slice(1)) {
    const core = p.store.get({ key });
    await core.ready();
    core.download({ start: 0, end: -1 });
    cores.push(core);
  }
  return cores;
}

test('on real corestores a registered core replicates with ring neighbours only, and still reaches every printer', async (t) => {
  t.timeout(60_000);
  const printers = await venue(t, 8);
  const small = await followed(printers, true);
  const large = await followed(printers, false);
  for (let i = 0; i < 20; i++) {
    await small[0]!.append(Buffer.from(`record ${i}`));
    await large[0]!.append(Buffer.from(`block ${i}`));
  }
  t.true(
    await waitFor(async () => [...small, ...large].every((c) => c.contiguousLength === 20), 30_000, 50),
    'every printer holds every record',
  );
  const expected = smallCoreNeighbours(
    small[0]!.key.toString('hex'),
    printers.map((p) => p.id),
    printers[0]!.id,
  );
  t.is(expected.size, 2 * SMALL_CORE_RING_REACH);
  printers.forEach((p, i) => {
    const neighbours = smallCoreNeighbours(
      small[0]!.key.toString('hex'),
      printers.map((q) => q.id),
      p.id,
    );
    const remotes = small[i]!.peers.map((peer) =>
      (peer as { remotePublicKey: Buffer }).remotePublicKey.toString('hex'),
    );
    t.true(
      remotes.length > 0 && remotes.every((r) => neighbours.has(r)),
      `printer ${i}: the small core with neighbours only`,
    );
    t.is(large[i]!.peers.length, printers.length - 1, `printer ${i} replicates the unregistered core with everyone`);
  });
  t.true(
    printers.every((p) => p.overlay.refusedChannels > 0),
    'every printer declined some channels',
  );
  // A record written now travels over the ring only.
  await small[0]!.append(Buffer.from('late record'));
  t.true(await waitFor(async () => small.every((c) => c.contiguousLength === 21), 30_000, 50));
  t.is((await small[printers.length - 1]!.get(20))!.toString(), 'late record');
});
