import test from 'ava';
import {
  KEY_DIAL_RETRY_FIRST_MS,
  KEY_DIAL_RETRY_MAX_MS,
  type KeyDialState,
  keyDialRetryMs,
  MESH_KEY_DIALS_MAX,
  planKeyDials,
} from '../edge-node/mesh/key-dials.ts';

const keys = (n: number, prefix = 's') => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);

const NOW = 100_000;

/** Nothing connected, dialled or failed yet; `over` replaces what a test is about. */
function state(members: string[], over: Partial<KeyDialState> = {}): KeyDialState {
  return {
    members,
    connected: () => false,
    busy: () => false,
    dialledByKey: new Set(),
    lastDialledAt: () => undefined,
    failures: () => 0,
    now: NOW,
    ...over,
  };
}

test('at most MESH_KEY_DIALS_MAX dials by key at once, never one for a station connected or already being dialled', (t) => {
  const members = keys(30);
  const connected = new Set(members.slice(0, 5));
  const dialling = new Set(members.slice(5, 7));
  const plan = planKeyDials(state(members, { connected: (k) => connected.has(k), busy: (k) => dialling.has(k) }));
  t.deepEqual(plan.letGo, []);
  t.is(plan.dial.length, MESH_KEY_DIALS_MAX);
  t.true(plan.dial.every((k) => !connected.has(k) && !dialling.has(k)));
});

test('dials by key still running count against the cap; connected ones are let go, not counted as failed', (t) => {
  const members = keys(30);
  const connected = new Set(members.slice(0, 3));
  const dialling = new Set(members.slice(3, 6));
  const plan = planKeyDials(
    state(members, {
      connected: (k) => connected.has(k),
      busy: (k) => dialling.has(k),
      dialledByKey: new Set(members.slice(0, 6)),
      lastDialledAt: () => 0,
      max: 5,
    }),
  );
  t.deepEqual(plan.letGo, members.slice(0, 3));
  t.deepEqual(plan.failed, []);
  t.deepEqual(plan.dial, members.slice(6, 8), 'three of five places are taken');
});

test('a failed dial by key is let go and waits out its back-off, even with places free', (t) => {
  const [dead, other] = keys(2);
  const failedNow = planKeyDials(
    state([dead!, other!], {
      dialledByKey: new Set([dead!]),
      lastDialledAt: (k) => (k === dead ? NOW - 600 : undefined),
    }),
  );
  t.deepEqual(failedNow.letGo, [dead]);
  t.deepEqual(failedNow.failed, [dead], 'out of the explicit peers, counted as a failure');
  t.deepEqual(failedNow.dial, [other], 'not dialled again in the same round');
  const lastAt = NOW - 600;
  const waiting = state([dead!], { lastDialledAt: () => lastAt, failures: () => 3 });
  t.deepEqual(planKeyDials({ ...waiting, now: lastAt + keyDialRetryMs(3) - 1 }).dial, [], 'inside its back-off');
  t.deepEqual(planKeyDials({ ...waiting, now: lastAt + keyDialRetryMs(3) }).dial, [dead], 'due again');
});

test('the back-off doubles from the first retry to the last and stays there', (t) => {
  t.is(keyDialRetryMs(0), 0, 'never failed: dial at once');
  t.is(keyDialRetryMs(1), KEY_DIAL_RETRY_FIRST_MS);
  t.is(keyDialRetryMs(2), 2 * KEY_DIAL_RETRY_FIRST_MS);
  t.is(keyDialRetryMs(50), KEY_DIAL_RETRY_MAX_MS);
});

test('the stations never dialled go first, then the ones waiting longest', (t) => {
  const members = keys(4);
  const plan = planKeyDials(
    state(members, { lastDialledAt: (k) => (k === members[0] ? 1_000 : k === members[1] ? 500 : undefined), max: 3 }),
  );
  t.deepEqual(plan.dial, [members[2], members[3], members[1]]);
});

test('a dial by key that connected is let go (the swarm keeps a connected peer); nothing missing, nothing dialled', (t) => {
  const members = keys(3);
  const plan = planKeyDials(state(members, { connected: () => true, dialledByKey: new Set(members) }));
  t.deepEqual(plan, { letGo: members, failed: [], dial: [] });
});
