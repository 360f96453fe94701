import test from 'ava';
import fc from 'fast-check';
import { compareHlc, type HlcStamp, HybridClock } from '../shared/policy/hlc.ts';
import {
  CLAIM_CLOCK_SKEW_MS,
  type ClaimLogRecord,
  claimHoldMs,
  claimWinner,
  isolatedVerdict,
  isUplinkFailure,
  OFFLINE_CLAIM_HOLD_MS,
  type OrderSnapshot,
  offlineVerdict,
  type SeenClaimRecord,
  unsyncedOfflineHolder,
} from '../shared/policy/offline-claim-rule.ts';

const PAID = 1_000_000;
const NOW = PAID + 60_000;
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);
const PAIRED = new Set([A, B, C]);
const paid: OrderSnapshot = { state: 'paid', claimedBy: null, paidAt: PAID };

function claim(printerKey: string, wall: number, seq = 0, mode: 'online' | 'offline' | 'isolated' = 'offline') {
  return { printerKey, seq, record: { t: 'claim', orderId: 'o1', hlc: { wall, count: 0 }, mode, units: 1 } } as const;
}
function mark(printerKey: string, t: 'done' | 'release' | 'synced', wall: number, seq: number): SeenClaimRecord {
  return { printerKey, seq, record: { t, orderId: 'o1', hlc: { wall, count: 0 } } };
}
const verdict = (self: string, records: SeenClaimRecord[], order: OrderSnapshot = paid) =>
  offlineVerdict({ self, order, paired: PAIRED, records, now: NOW });

test('the earliest claim wins, ties broken by printer key, the same on every printer', (t) => {
  const records = [claim(B, PAID + 10), claim(A, PAID + 20), claim(C, PAID + 10)];
  t.deepEqual(claimWinner(records), { printerKey: B, mode: 'offline' });
  t.deepEqual(verdict(B, records), { kind: 'proceed' });
  t.deepEqual(verdict(A, records), { kind: 'refuse', reason: 'being_printed', printerKey: B });
  t.deepEqual(verdict(C, records), { kind: 'refuse', reason: 'being_printed', printerKey: B });
  t.deepEqual(claimWinner([...records].reverse()), claimWinner(records), 'order of arrival does not matter');
});

test('property: for any set of claims exactly one printer proceeds, whatever order they were read in', (t) => {
  const claimArb = fc.record({
    key: fc.constantFrom(A, B, C),
    wall: fc.integer({ min: PAID, max: NOW }),
    count: fc.integer({ min: 0, max: 3 }),
  });
  fc.assert(
    fc.property(fc.array(claimArb, { minLength: 1, maxLength: 6 }), fc.integer(), (claims, seed) => {
      const records: SeenClaimRecord[] = claims.map((c, i) => ({
        printerKey: c.key,
        seq: i,
        record: { t: 'claim', orderId: 'o1', hlc: { wall: c.wall, count: c.count }, mode: 'offline', units: 1 },
      }));
      const shuffled = [...records].sort((x, y) => ((x.seq * 7919 + seed) % 13) - ((y.seq * 7919 + seed) % 13));
      const claimants = [...new Set(claims.map((c) => c.key))];
      const proceeding = claimants.filter((k) => verdict(k, shuffled).kind === 'proceed');
      return proceeding.length === 1 && proceeding[0] === claimWinner(records)?.printerKey;
    }),
  );
  t.pass();
});

test('an online claim beats any offline claim; a printed order is refused everywhere else', (t) => {
  const records = [claim(A, PAID + 5), claim(B, PAID + 50, 0, 'online')];
  t.deepEqual(verdict(A, records), { kind: 'refuse', reason: 'being_printed', printerKey: B });
  const printed = [claim(A, PAID + 5), mark(A, 'done', PAID + 9, 1), claim(B, PAID + 1)];
  t.deepEqual(verdict(B, printed), { kind: 'refuse', reason: 'already_printed', printerKey: A });
  t.deepEqual(verdict(C, [claim(A, PAID + 5), mark(A, 'release', PAID + 6, 1)]), { kind: 'proceed' }, 'released');
});

test('the orders feed state comes first: fulfilled, or being printed online elsewhere, or not paid', (t) => {
  t.deepEqual(verdict(A, [], { ...paid, state: 'fulfilled', claimedBy: B }), {
    kind: 'refuse',
    reason: 'already_printed',
    printerKey: B,
  });
  t.deepEqual(verdict(A, [], { ...paid, state: 'redeeming', claimedBy: B }), {
    kind: 'refuse',
    reason: 'being_printed',
    printerKey: B,
  });
  t.deepEqual(verdict(A, [], { ...paid, state: 'redeeming', claimedBy: A }), { kind: 'proceed' }, 'its own claim');
  t.is(verdict(A, [], { ...paid, state: 'cancelled' }).kind, 'refuse');
});

test('forged and replayed claims are ignored: unpaired keys, stamps before payment or in the future', (t) => {
  const stranger = 'f'.repeat(64);
  t.deepEqual(verdict(A, [claim(stranger, PAID + 1), claim(A, PAID + 9)]), { kind: 'proceed' }, 'unpaired key');
  t.deepEqual(
    verdict(A, [claim(B, PAID - CLAIM_CLOCK_SKEW_MS - 1), claim(A, PAID + 9)]),
    { kind: 'proceed' },
    'a claim from before the order was paid (an old claim replayed)',
  );
  t.deepEqual(
    verdict(A, [claim(A, PAID + 9), mark(B, 'done', PAID - CLAIM_CLOCK_SKEW_MS - 5, 3)]),
    { kind: 'proceed' },
    'an old "printed" record replayed',
  );
  t.deepEqual(verdict(A, [claim(B, NOW + CLAIM_CLOCK_SKEW_MS + 1), claim(A, NOW)]), { kind: 'proceed' }, 'future');
  // A printer repeating its claim (a retry or a replay) keeps its first stamp, earlier or later.
  const repeated = [claim(B, PAID + 30, 0), claim(B, PAID + 1, 1), claim(A, PAID + 10)];
  t.deepEqual(claimWinner(repeated), { printerKey: A, mode: 'offline' });
});

test('an online printer defers to unsynced offline work on the order, not to synced or online work', (t) => {
  const input = (records: SeenClaimRecord[]) =>
    unsyncedOfflineHolder({ self: C, paired: PAIRED, records, paidAt: PAID, now: NOW });
  t.deepEqual(input([claim(A, PAID + 5)]), { printerKey: A, printed: false });
  t.deepEqual(input([claim(A, PAID + 5), mark(A, 'done', PAID + 8, 1)]), { printerKey: A, printed: true });
  t.is(input([claim(A, PAID + 5), mark(A, 'synced', PAID + 8, 1)]), null);
  t.is(input([claim(A, PAID + 5), mark(A, 'done', PAID + 8, 1), mark(A, 'synced', PAID + 9, 2)]), null);
  t.is(input([claim(B, PAID + 5, 0, 'online'), mark(B, 'done', PAID + 8, 1)]), null);
  t.is(input([claim(A, PAID + 5), mark(A, 'release', PAID + 8, 1)]), null);
});

test('isolated printers: refuse, or allow up to the per-outage limit; no peers means no hold', (t) => {
  t.deepEqual(isolatedVerdict({ mode: 'refuse', limit: 5 }, 0), { kind: 'refuse', reason: 'isolated_refused' });
  t.deepEqual(isolatedVerdict({ mode: 'allow', limit: 2 }, 1), { kind: 'proceed' });
  t.deepEqual(isolatedVerdict({ mode: 'allow', limit: 2 }, 2), { kind: 'refuse', reason: 'isolated_limit' });
  t.is(claimHoldMs(0), 0);
  t.is(claimHoldMs(2), OFFLINE_CLAIM_HOLD_MS);
});

test('uplink failures are transport errors and gateway errors, not the coordinator’s answers', (t) => {
  t.true(isUplinkFailure({ status: 503, code: 'coordinator_unreachable' }));
  t.true(isUplinkFailure({ status: 502, code: 'coordinator_error' }));
  t.true(isUplinkFailure({ status: 504, code: 'coordinator_error' }));
  t.false(isUplinkFailure({ status: 409, code: 'order_already_printed' }));
  t.false(isUplinkFailure({ status: 503, code: 'store_unavailable' }));
});

test('hybrid clock: strictly increasing, after what it observed, not dragged far ahead by a peer', (t) => {
  let wall = 1_000;
  const clock = new HybridClock(() => wall, 5_000);
  const a = clock.now();
  const b = clock.now();
  t.true(compareHlc(b, a) > 0, 'same millisecond: the counter moves');
  clock.observe({ wall: 3_000, count: 4 });
  const c = clock.now();
  t.deepEqual(c, { wall: 3_000, count: 5 });
  clock.observe({ wall: 1_000_000, count: 0 });
  wall = 3_500;
  t.deepEqual(clock.now(), { wall: 3_500, count: 0 }, 'a stamp from far in the future is not observed');
  const seen: HlcStamp[] = [];
  for (let i = 0; i < 50; i++) {
    if (i % 7 === 0) wall -= 3; // the wall clock stepping back does not make stamps go back
    seen.push(clock.now());
  }
  t.true(seen.every((s, i) => i === 0 || compareHlc(s, seen[i - 1]!) > 0));
});

test('claim records are plain data that survive a JSON round trip', (t) => {
  const record: ClaimLogRecord = { t: 'claim', orderId: 'o1', hlc: { wall: 5, count: 1 }, mode: 'isolated', units: 3 };
  t.deepEqual(JSON.parse(JSON.stringify(record)), record);
});
