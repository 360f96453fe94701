/**
 * The claims log's lingering records (issue #16): an online order's `done` waits to share the next
 * append, so a printer redeeming one order after another costs the printers that follow its log one
 * append per order instead of two; it is never lost to a clean close, and waits at most
 * CLAIM_LINGER_MS.
 */
import { randomBytes } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import Corestore from 'corestore';
import type Hypercore from 'hypercore';
import crypto from 'hypercore-crypto';
import pino from 'pino';
import { CLAIM_LINGER_MS, ClaimsLog } from '../edge-node/offline/claims-log.ts';
import { claimsCoreKey } from '../shared/feed/orders-feed-layout.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import { tempDir, waitFor } from './fixtures/feed-fixtures.ts';

const START_MS = Date.UTC(2026, 11, 6, 12);

async function openLog(t: ExecutionContext) {
  const dir = await tempDir(t, 'vpm-claims-log-');
  const store = new Corestore(dir);
  const keyPair = crypto.keyPair();
  const encryptionKey = randomBytes(32);
  const clock = new ManualClock(START_MS);
  const log = new ClaimsLog({ corestore: store, keyPair, encryptionKey, clock, logger: pino({ level: 'silent' }) });
  await log.ready();
  // A reader of the same core, as a peer would hold it: counts appends and reads blocks.
  const reader: Hypercore = store.get({ key: claimsCoreKey(keyPair.publicKey), encryption: { key: encryptionKey } });
  await reader.ready();
  let appends = 0;
  reader.on('append', () => appends++);
  const records = async () => {
    const out: Array<{ t: string; orderId: string }> = [];
    for (let i = 0; i < reader.length; i++) out.push(JSON.parse((await reader.get(i))!.toString()));
    return out.map((r) => `${r.t}:${r.orderId}`);
  };
  t.teardown(async () => {
    await reader.close();
    await log.close();
    await store.close();
  });
  return { log, reader, clock, appends: () => appends, records, store, keyPair, encryptionKey };
}

test('a lingering record rides with the next append, before it, in one Hypercore append', async (t) => {
  const { log, reader, appends, records } = await openLog(t);
  await log.append({ t: 'claim', orderId: 'A', mode: 'online', units: 1 });
  log.linger({ t: 'done', orderId: 'A' });
  t.is(reader.length, 1, 'not written yet');
  const before = appends();
  const seen = await log.append({ t: 'claim', orderId: 'B', mode: 'online', units: 2 });
  t.is(seen.seq, 2, 'the new claim comes after the lingering done');
  t.is(appends() - before, 1, 'one append for both records');
  t.deepEqual(await records(), ['claim:A', 'done:A', 'claim:B']);
  t.deepEqual(
    log.recordsFor('A').map((r) => r.record.t),
    ['claim', 'done'],
    'the lingering record is indexed once written',
  );
  const [claimA, doneA] = log.recordsFor('A');
  t.true(claimA!.record.hlc.wall <= doneA!.record.hlc.wall, 'stamps follow the log order');
});

test('a lingering record with nothing after it is written once CLAIM_LINGER_MS has passed', async (t) => {
  const { log, reader, clock, records } = await openLog(t);
  log.linger({ t: 'done', orderId: 'A' });
  await clock.tick(CLAIM_LINGER_MS - 1);
  t.is(reader.length, 0);
  await clock.tick(1);
  t.true(await waitFor(async () => reader.length === 1, 5_000, 10), 'written when the linger ran out');
  t.deepEqual(await records(), ['done:A']);
});

test('closing the log writes what lingers', async (t) => {
  const { log, store, keyPair, encryptionKey } = await openLog(t);
  log.linger({ t: 'done', orderId: 'A' });
  log.linger({ t: 'done', orderId: 'B' });
  await log.close();
  const core = store.get({ key: claimsCoreKey(keyPair.publicKey), encryption: { key: encryptionKey } });
  await core.ready();
  t.is(core.length, 2);
  await core.close();
});
