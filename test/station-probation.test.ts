import { EventEmitter } from 'node:events';
import test from 'ava';
import type { SwarmConnection } from 'hyperswarm';
import {
  PROBATION_BYTES_MAX,
  PROBATION_CHECK_MS,
  PROBATION_CONNECTIONS_MAX,
  PROBATION_MAX_MS,
  type ProbationEnd,
  StationProbation,
} from '../edge-node/mesh/station-probation.ts';
import { ManualClock } from '../shared/ports/clock.ts';

/** A connection as the probation sees it: destroyable, closing once destroyed, and its bytes received. */
function fakeConnection() {
  const conn = new EventEmitter() as EventEmitter & { destroyed: boolean; received: number; destroy(): void };
  conn.destroyed = false;
  conn.received = 0;
  conn.destroy = () => {
    if (conn.destroyed) return;
    conn.destroyed = true;
    conn.emit('close');
  };
  return conn;
}
type FakeConnection = ReturnType<typeof fakeConnection>;
const asSwarm = (c: FakeConnection) => c as unknown as SwarmConnection;

function probation(clock: ManualClock) {
  const ended: Array<[string, ProbationEnd]> = [];
  const held = new StationProbation({
    clock,
    received: (conn) => (conn as unknown as FakeConnection).received,
    onEnded: (key, why) => ended.push([key, why]),
  });
  return { ended, held };
}

test('probation: a station the profile lists is handed over whole and never dropped', (t) => {
  const clock = new ManualClock(0);
  const { ended, held } = probation(clock);
  const conn = fakeConnection();
  t.true(held.mayHold('new-station'));
  t.true(held.hold('new-station', asSwarm(conn)));
  t.deepEqual(held.keys(), ['new-station']);
  clock.advance(PROBATION_MAX_MS - PROBATION_CHECK_MS);
  t.is(held.release('new-station'), asSwarm(conn));
  t.is(held.size, 0);
  clock.advance(PROBATION_MAX_MS);
  t.false(conn.destroyed, 'released before its probation ended: it replicates now');
  t.deepEqual(ended, []);
  t.is(held.release('new-station'), null, 'handed over once');
  t.is(clock.pendingTimers, 0, 'nothing held, nothing checked');
});

test('probation: a key not confirmed in time is dropped and refused a second probation', (t) => {
  const clock = new ManualClock(0);
  const { ended, held } = probation(clock);
  const conn = fakeConnection();
  held.hold('stranger', asSwarm(conn));
  clock.advance(PROBATION_MAX_MS);
  t.true(conn.destroyed);
  t.deepEqual(ended, [['stranger', 'timeout']]);
  t.is(held.size, 0);
  t.false(held.mayHold('stranger'), 'its next dial is refused at the firewall, as before probation');
  const again = fakeConnection();
  t.false(held.hold('stranger', asSwarm(again)), 'a handshake the firewall accepted just before is hung up on');
  t.true(again.destroyed);
  t.true(held.mayHold('someone-else'));
});

test("probation: redialling does not start a key's probation over", (t) => {
  const clock = new ManualClock(0);
  const { ended, held } = probation(clock);
  const first = fakeConnection();
  held.hold('stranger', asSwarm(first));
  clock.advance(PROBATION_MAX_MS - 1_000);
  first.destroy();
  t.is(held.size, 0);
  t.true(held.mayHold('stranger'), 'a closed connection is not a refusal');
  const second = fakeConnection();
  held.hold('stranger', asSwarm(second));
  clock.advance(1_000);
  t.true(second.destroyed, 'dropped at the deadline of its first connection');
  t.deepEqual(ended, [['stranger', 'timeout']]);
});

test('probation: a held connection that receives more than PROBATION_BYTES_MAX is dropped at the next check', (t) => {
  const clock = new ManualClock(0);
  const { ended, held } = probation(clock);
  const flood = fakeConnection();
  const quiet = fakeConnection();
  held.hold('flood', asSwarm(flood));
  held.hold('new-station', asSwarm(quiet));
  quiet.received = 4_000;
  flood.received = PROBATION_BYTES_MAX + 1;
  clock.advance(PROBATION_CHECK_MS);
  t.true(flood.destroyed);
  t.false(quiet.destroyed, 'a station sending its channel opens stays held');
  t.deepEqual(ended, [['flood', 'too-much-data']]);
  t.false(held.mayHold('flood'));
});

test('probation: at most PROBATION_CONNECTIONS_MAX unknown keys are held at once, even if more got past the firewall', (t) => {
  const clock = new ManualClock(0);
  const { held } = probation(clock);
  for (let i = 0; i < PROBATION_CONNECTIONS_MAX; i++) held.hold(`key-${i}`, asSwarm(fakeConnection()));
  t.false(held.mayHold('one-more'), 'a crowd of strangers is refused outright');
  const extra = fakeConnection();
  t.false(held.hold('one-more', asSwarm(extra)));
  t.true(extra.destroyed);
  t.true(held.mayHold('key-0'), 'a held key redialling still fits');
  held.release('key-0');
  t.true(held.mayHold('one-more'));
  held.close();
  t.is(held.size, 0);
  t.false(held.mayHold('one-more'), 'closed: holds nothing more');
  t.is(clock.pendingTimers, 0);
});

test('probation: a key the coordinator refused is dropped at once and not held again', (t) => {
  const clock = new ManualClock(0);
  const { ended, held } = probation(clock);
  const conn = fakeConnection();
  held.hold('stranger', asSwarm(conn));
  t.true(held.drop('stranger'));
  t.true(conn.destroyed);
  t.false(held.mayHold('stranger'));
  t.false(held.drop('stranger'), 'nothing held any more');
  clock.advance(PROBATION_MAX_MS);
  t.deepEqual(ended, [], 'dropped by the caller: not reported as ended');
  t.is(clock.pendingTimers, 0);
});
