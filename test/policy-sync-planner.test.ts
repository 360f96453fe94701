import test from 'ava';
import fc from 'fast-check';
import { DEFAULT_SOURCE_CONFIG } from '../shared/policy/source-choice.ts';
import { planSyncCycle, type SyncPlanInput, type SyncUnit } from '../shared/policy/sync-planner.ts';

const DEADLINE_MS = DEFAULT_SOURCE_CONFIG.backgroundLanDeadlineMs;
const NOW_MS = 1_000_000;

function unit(id: number, over: Partial<SyncUnit> = {}): SyncUnit {
  return { id, ownedByMe: false, lanHolders: 0, missingSinceMs: NOW_MS, ...over };
}

function input(units: SyncUnit[], over: Partial<SyncPlanInput> = {}): SyncPlanInput {
  return { mode: 'mesh', units, lanPeers: 3, cloudReachableSinceMs: 0, progressAtMs: 0, nowMs: NOW_MS, ...over };
}

test('a LAN holder → LAN (also for its own share); own share → cloud; the rest → later', (t) => {
  const plan = planSyncCycle(
    input([
      unit(3, { ownedByMe: true }),
      unit(1, { lanHolders: 2 }),
      unit(2),
      unit(0, { ownedByMe: true, lanHolders: 1 }),
    ]),
  );
  t.deepEqual(plan, { cloud: [3], lan: [1, 0], later: [2] });
});

test('someone else’s share goes to the cloud once the LAN has had the deadline', (t) => {
  const due = unit(1, { missingSinceMs: NOW_MS - DEADLINE_MS });
  const notYet = unit(2, { missingSinceMs: NOW_MS - DEADLINE_MS + 1 });
  t.deepEqual(planSyncCycle(input([due, notYet])), { cloud: [1], lan: [], later: [2] });
  // The deadline counts only while the cloud is reachable and nothing arrives.
  t.deepEqual(planSyncCycle(input([due], { cloudReachableSinceMs: NOW_MS - 1 })).later, [1]);
  t.deepEqual(planSyncCycle(input([due], { progressAtMs: NOW_MS - 1 })).later, [1]);
});

test('cloud unreachable: nothing goes to the cloud, LAN holders still come from the LAN', (t) => {
  const plan = planSyncCycle(
    input([unit(0, { ownedByMe: true }), unit(1, { lanHolders: 1 }), unit(2, { missingSinceMs: 0 })], {
      cloudReachableSinceMs: null,
    }),
  );
  t.deepEqual(plan, { cloud: [], lan: [1], later: [0, 2] });
});

test('star-periodic takes everything from the cloud, in upload order', (t) => {
  const plan = planSyncCycle(
    input([unit(5, { lanHolders: 3 }), unit(2), unit(9, { ownedByMe: true })], { mode: 'star-periodic' }),
  );
  t.deepEqual(plan, { cloud: [2, 5, 9], lan: [], later: [] });
});

test('every unit lands in exactly one list, and the cloud list is ascending', (t) => {
  const arbUnit = fc.record({
    ownedByMe: fc.boolean(),
    lanHolders: fc.integer({ min: 0, max: 4 }),
    missingSinceMs: fc.integer({ min: 0, max: NOW_MS }),
  });
  fc.assert(
    fc.property(
      fc.array(arbUnit, { maxLength: 40 }),
      fc.constantFrom<'mesh' | 'star-periodic'>('mesh', 'star-periodic'),
      fc.option(fc.integer({ min: 0, max: NOW_MS }), { nil: null }),
      (raw, mode, reachableSince) => {
        const units = raw.map((u, k) => ({ ...u, id: ((k * 7919) % 101) + k * 101 }));
        const plan = planSyncCycle(input(units, { mode, cloudReachableSinceMs: reachableSince }));
        const all = [...plan.cloud, ...plan.lan, ...plan.later].sort((a, b) => a - b);
        const ids = units.map((u) => u.id).sort((a, b) => a - b);
        const ascending = plan.cloud.every((id, k) => k === 0 || plan.cloud[k - 1]! < id);
        const noCloudWhileUnreachable = mode === 'star-periodic' || reachableSince !== null || plan.cloud.length === 0;
        return JSON.stringify(all) === JSON.stringify(ids) && ascending && noCloudWhileUnreachable;
      },
    ),
  );
  t.pass();
});

test('live: someone else’s share whose owner is fetching goes to the LAN now; own share still to the cloud', (t) => {
  const units = [unit(0, { ownedByMe: true }), unit(1, { ownerFetching: true }), unit(2), unit(3, { lanHolders: 1 })];
  t.deepEqual(planSyncCycle(input(units, { live: true })), { cloud: [0], lan: [1, 3], later: [2] });
  // Not live: the same units wait for a later cycle.
  t.deepEqual(planSyncCycle(input(units)), { cloud: [0], lan: [3], later: [1, 2] });
  // The cloud unreachable: an owner cannot be fetching, nothing is streamed.
  t.deepEqual(planSyncCycle(input(units, { live: true, cloudReachableSinceMs: null })).lan, [3]);
  // Past the deadline the cloud still wins over waiting on a slow owner.
  const late = unit(4, { ownerFetching: true, missingSinceMs: NOW_MS - DEADLINE_MS });
  t.deepEqual(planSyncCycle(input([late], { live: true })).cloud, [4]);
});
