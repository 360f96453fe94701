import test from 'ava';
import { FEED_BLOCK_BYTES } from '../shared/feed/feed-layout.ts';
import { backgroundMayRun } from '../shared/policy/priority.ts';
import {
  BACKGROUND_BATCH_BLOCKS,
  BACKGROUND_PARALLEL_BATCHES,
  BACKGROUND_WINDOW_BLOCKS,
  BACKGROUND_WINDOW_BYTES,
  backgroundWindowBlocks,
} from '../shared/policy/sync-planner.ts';

const idle = { onDemandInFlight: 0, onDemandQueued: 0 };

test('background yields entirely while any on-demand fetch is queued or in flight', (t) => {
  t.true(backgroundMayRun(idle));
  t.false(backgroundMayRun({ onDemandInFlight: 1, onDemandQueued: 0 }));
  t.false(backgroundMayRun({ onDemandInFlight: 0, onDemandQueued: 1 }));
  t.is(backgroundWindowBlocks({ onDemandInFlight: 1, onDemandQueued: 0 }), 0);
  t.is(backgroundWindowBlocks({ onDemandInFlight: 0, onDemandQueued: 3 }), 0);
});

test('the idle window is the measured 2 batches × 32 blocks of the feed’s 64 KiB: 4 MiB', (t) => {
  t.is(backgroundWindowBlocks(idle), BACKGROUND_BATCH_BLOCKS * BACKGROUND_PARALLEL_BATCHES);
  t.is(BACKGROUND_WINDOW_BLOCKS, 64);
  t.is(BACKGROUND_WINDOW_BYTES, BACKGROUND_WINDOW_BLOCKS * FEED_BLOCK_BYTES);
  t.is(BACKGROUND_WINDOW_BYTES, 4 * 1024 * 1024);
});
