/**
 * The cloud connection is shared by background sync, on-demand fetches and offline reports: the last
 * user out hangs up after CLOUD_IDLE_HANGUP_MS, so a burst of photos reuses one dial. A dial that did
 * not connect is hung up at once instead: Hyperswarm parks a seeder whose attempts failed on its own
 * retry timer (up to 10 minutes), and only a fresh join queues it again (issue #16).
 */
import test from 'ava';
import { CLOUD_IDLE_HANGUP_MS, type CloudDialer, CloudSessions } from '../edge-node/mesh/traffic.ts';
import { ManualClock } from '../shared/ports/clock.ts';

/** A mesh whose dials connect or not, as `answers` says, counting hang-ups. */
function mesh(answers: boolean[]) {
  let connected = false;
  const calls = { dials: 0, hangUps: 0 };
  const dialer: CloudDialer = {
    dialCloud: async () => {
      calls.dials++;
      connected = answers.shift() ?? false;
      return connected;
    },
    hangUpCloud: () => {
      calls.hangUps++;
      connected = false;
    },
    cloudConnected: () => connected,
  };
  return { dialer, calls };
}

test('a connected session is kept for the idle period after its last user, then hung up', async (t) => {
  const clock = new ManualClock(0);
  const { dialer, calls } = mesh([true]);
  const sessions = new CloudSessions(dialer, clock);
  t.teardown(() => sessions.close());
  const a = await sessions.acquire();
  t.true(a.connected);
  a.release();
  clock.advance(CLOUD_IDLE_HANGUP_MS - 1);
  t.is(calls.hangUps, 0, 'kept warm for the next photo of the burst');
  clock.advance(1);
  t.is(calls.hangUps, 1);
});

test('a dial that did not connect is hung up as soon as its last user lets go, so the next one joins afresh', async (t) => {
  const clock = new ManualClock(0);
  const { dialer, calls } = mesh([false, false, true]);
  const sessions = new CloudSessions(dialer, clock);
  t.teardown(() => sessions.close());
  const first = await sessions.acquire();
  const second = await sessions.acquire();
  t.false(first.connected);
  first.release();
  t.is(calls.hangUps, 0, 'another user still waits on the dial');
  second.release();
  t.is(calls.hangUps, 1, 'no timer: nothing connected to keep warm');
  const next = await sessions.acquire();
  t.true(next.connected, 'the fresh dial connects');
  next.release();
  t.is(calls.hangUps, 1, 'a connected session waits for the idle period again');
});
