import { EventEmitter } from 'node:events';
import test from 'ava';
import type { SwarmConnection } from 'hyperswarm';
import { PROBATION_CONNECTIONS_MAX, PROBATION_MAX_MS, StationProbation } from '../edge-node/mesh/station-probation.ts';
import { ManualClock } from '../shared/ports/clock.ts';

/** A connection as the probation sees it: destroyable, and closing once destroyed. */
function fakeConnection() {
  const conn = new EventEmitter() as EventEmitter & { destroyed: boolean; destroy(): void };
  conn.destroyed = false;
  conn.destroy = () => {
    if (conn.destroyed) return;
    conn.destroyed = true;
    conn.emit('close');
  };
  return conn;
}
const asSwarm = (c: ReturnType<typeof fakeConnection>) => c as unknown as SwarmConnection;

function probation(clock: ManualClock) {
  const expired: string[] = [];
  return { expired, held: new StationProbation({ clock, onExpired: (key) => expired.push(key) }) };
}

test('probation: a station the profile lists is handed over whole and never dropped', (t) => {
  const clock = new ManualClock(0);
  const { expired, held } = probation(clock);
  const conn = fakeConnection();
  t.true(held.mayHold('new-station'));
  held.hold('new-station', asSwarm(conn));
  t.deepEqual(held.keys(), ['new-station']);
  clock.advance(PROBATION_MAX_MS - 1);
  t.is(held.release('new-station'), asSwarm(conn));
  t.is(held.size, 0);
  clock.advance(PROBATION_MAX_MS);
  t.false(conn.destroyed, 'released before its probation ended: it replicates now');
  t.deepEqual(expired, []);
  t.is(held.release('new-station'), null, 'handed over once');
});

test('probation: a key not confirmed in time is dropped and refused a second probation', (t) => {
  const clock = new ManualClock(0);
  const { expired, held } = probation(clock);
  const conn = fakeConnection();
  held.hold('stranger', asSwarm(conn));
  clock.advance(PROBATION_MAX_MS);
  t.true(conn.destroyed);
  t.deepEqual(expired, ['stranger']);
  t.is(held.size, 0);
  t.false(held.mayHold('stranger'), 'its next dial is refused at the firewall, as before probation');
  t.true(held.mayHold('someone-else'));
});

test('probation: a held connection that closes by itself leaves, without counting as refused', (t) => {
  const clock = new ManualClock(0);
  const { expired, held } = probation(clock);
  const conn = fakeConnection();
  held.hold('flaky', asSwarm(conn));
  conn.destroy();
  t.is(held.size, 0);
  clock.advance(PROBATION_MAX_MS);
  t.deepEqual(expired, []);
  t.true(held.mayHold('flaky'), 'it may dial again and be held again');
  t.is(clock.pendingTimers, 0);
});

test('probation: at most PROBATION_CONNECTIONS_MAX unknown keys are held at once', (t) => {
  const clock = new ManualClock(0);
  const { held } = probation(clock);
  for (let i = 0; i < PROBATION_CONNECTIONS_MAX; i++) held.hold(`key-${i}`, asSwarm(fakeConnection()));
  t.false(held.mayHold('one-more'), 'a crowd of strangers is refused outright');
  t.true(held.mayHold('key-0'), 'a held key redialling still fits');
  held.release('key-0');
  t.true(held.mayHold('one-more'));
  held.close();
  t.is(held.size, 0);
  t.is(clock.pendingTimers, 0);
});

test('probation: a key the coordinator refused is dropped at once and not held again', (t) => {
  const clock = new ManualClock(0);
  const { expired, held } = probation(clock);
  const conn = fakeConnection();
  held.hold('stranger', asSwarm(conn));
  t.true(held.drop('stranger'));
  t.true(conn.destroyed);
  t.false(held.mayHold('stranger'));
  t.false(held.drop('stranger'), 'nothing held any more');
  clock.advance(PROBATION_MAX_MS);
  t.deepEqual(expired, [], 'dropped, not expired');
  t.is(clock.pendingTimers, 0);
});
