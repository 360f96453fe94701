import test from 'ava';
import { MESH_KEY_DIALS_MAX, planKeyDials } from '../edge-node/mesh/key-dials.ts';

const keys = (n: number, prefix = 's') => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);

test('at most MESH_KEY_DIALS_MAX dials by key at once, never one for a station connected or already being dialled', (t) => {
  const members = keys(30);
  const connected = new Set(members.slice(0, 5));
  const dialling = new Set(members.slice(5, 7));
  const plan = planKeyDials({
    members,
    connected: (k) => connected.has(k),
    busy: (k) => dialling.has(k),
    dialledByKey: new Set(),
    lastDialledAt: () => undefined,
  });
  t.deepEqual(plan.letGo, []);
  t.is(plan.dial.length, MESH_KEY_DIALS_MAX);
  t.true(plan.dial.every((k) => !connected.has(k) && !dialling.has(k)));
});

test('dials by key still running count against the cap; connected ones are let go', (t) => {
  const members = keys(30);
  const dialledByKey = new Set(members.slice(0, 6));
  const connected = new Set(members.slice(0, 3));
  const dialling = new Set(members.slice(3, 6));
  const plan = planKeyDials({
    members,
    connected: (k) => connected.has(k),
    busy: (k) => dialling.has(k),
    dialledByKey,
    lastDialledAt: () => 0,
    max: 5,
  });
  t.deepEqual(plan.letGo, members.slice(0, 3));
  t.deepEqual(plan.dial, members.slice(6, 8), 'three of five places are taken');
});

test('a dial by key that ended without a connection is let go and waits behind the stations never dialled', (t) => {
  const members = keys(4);
  const failed = members[0]!;
  const plan = planKeyDials({
    members,
    connected: () => false,
    busy: () => false,
    dialledByKey: new Set([failed]),
    lastDialledAt: (k) => (k === failed ? 1_000 : k === members[1] ? 500 : undefined),
    max: 3,
  });
  t.deepEqual(plan.letGo, [failed], 'out of the explicit peers, so the swarm does not retry it outside the cap');
  t.deepEqual(plan.dial, [members[2], members[3], members[1]], 'never dialled first, then the longest waiting');
  const later = planKeyDials({
    members,
    connected: () => false,
    busy: () => false,
    dialledByKey: new Set(),
    lastDialledAt: (k) => (k === failed ? 1_000 : 2_000),
    max: 1,
  });
  t.deepEqual(later.dial, [failed], 'its turn comes round again');
});

test('a dial by key that connected is let go (the swarm keeps a connected peer); nothing missing, nothing dialled', (t) => {
  const members = keys(3);
  const plan = planKeyDials({
    members,
    connected: () => true,
    busy: () => false,
    dialledByKey: new Set(members),
    lastDialledAt: () => 0,
  });
  t.deepEqual(plan, { letGo: members, dial: [] });
});
