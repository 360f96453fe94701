import test from 'ava';
import { PriorityGate } from '../edge-node/mesh/traffic.ts';
import { FEED_BLOCK_BYTES } from '../shared/feed/feed-layout.ts';
import { backgroundMayRun } from '../shared/policy/priority.ts';
import {
  BACKGROUND_BATCH_BLOCKS,
  BACKGROUND_PARALLEL_BATCHES,
  BACKGROUND_WINDOW_BLOCKS,
  BACKGROUND_WINDOW_BYTES,
} from '../shared/policy/sync-planner.ts';

const idle = { onDemandInFlight: 0, onDemandQueued: 0 };

test('background yields entirely while any on-demand fetch is queued or in flight', (t) => {
  t.true(backgroundMayRun(idle));
  t.false(backgroundMayRun({ onDemandInFlight: 1, onDemandQueued: 0 }));
  t.false(backgroundMayRun({ onDemandInFlight: 0, onDemandQueued: 1 }));
  t.false(backgroundMayRun({ onDemandInFlight: 0, onDemandQueued: 3 }));
});

test('the edge node’s gate lets background work go only when the policy says so', async (t) => {
  const gate = new PriorityGate();
  const leave = gate.enterOnDemand();
  let turn = false;
  const waiting = gate.waitForTurn().then(() => {
    turn = true;
  });
  // The gate resolves through promises only: one macrotask turn flushes them all, no timing involved.
  await new Promise((r) => setImmediate(r));
  t.false(turn, 'an on-demand fetch is running');
  leave();
  await waiting;
  t.true(turn);
});

test('the window is the measured 1 batch × 128 blocks of the feed’s 64 KiB: 8 MiB', (t) => {
  t.is(BACKGROUND_WINDOW_BLOCKS, BACKGROUND_BATCH_BLOCKS * BACKGROUND_PARALLEL_BATCHES);
  t.is(BACKGROUND_WINDOW_BLOCKS, 128);
  t.is(BACKGROUND_WINDOW_BYTES, BACKGROUND_WINDOW_BLOCKS * FEED_BLOCK_BYTES);
  t.is(BACKGROUND_WINDOW_BYTES, 8 * 1024 * 1024);
});
