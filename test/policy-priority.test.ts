import test from 'ava';
import fc from 'fast-check';
import { FEED_BLOCK_BYTES } from '../shared/feed/feed-layout.ts';
import {
  backgroundMayRun,
  backgroundWindowBlocks,
  DEFAULT_PRIORITY_CONFIG,
  MAX_BACKGROUND_WINDOW_BLOCKS,
  MIN_BACKGROUND_WINDOW_BLOCKS,
  POLICY_BLOCK_BYTES,
  type PriorityConfig,
} from '../shared/policy/priority.ts';

const idle = { onDemandInFlight: 0, onDemandQueued: 0 };

test('the policy block size is the feed block size', (t) => {
  t.is(POLICY_BLOCK_BYTES, FEED_BLOCK_BYTES);
});

test('background yields entirely while any on-demand fetch is queued or in flight', (t) => {
  t.true(backgroundMayRun(idle));
  t.false(backgroundMayRun({ onDemandInFlight: 1, onDemandQueued: 0 }));
  t.false(backgroundMayRun({ onDemandInFlight: 0, onDemandQueued: 1 }));
  t.is(backgroundWindowBlocks({ onDemandInFlight: 1, onDemandQueued: 0 }), 0);
  t.is(backgroundWindowBlocks({ onDemandInFlight: 0, onDemandQueued: 3 }), 0);
});

test('the default window: 25 ms of a 100 Mbit/s LAN is 4 blocks of 64 KiB', (t) => {
  // 0.025 s × 12.5 MB/s = 312,500 B → 4 whole blocks.
  t.is(backgroundWindowBlocks(idle), 4);
  t.is(backgroundWindowBlocks(idle, DEFAULT_PRIORITY_CONFIG), 4);
});

test('a faster link earns a larger window, clamped to [min, max]', (t) => {
  const fast: PriorityConfig = { ...DEFAULT_PRIORITY_CONFIG, linkBytesPerSec: 50_000_000 };
  t.is(backgroundWindowBlocks(idle, fast), 19); // 1,250,000 B / 65,536 B
  t.is(
    backgroundWindowBlocks(idle, { ...DEFAULT_PRIORITY_CONFIG, linkBytesPerSec: 1e12 }),
    MAX_BACKGROUND_WINDOW_BLOCKS,
  );
  t.is(
    backgroundWindowBlocks(idle, { ...DEFAULT_PRIORITY_CONFIG, linkBytesPerSec: 1000 }),
    MIN_BACKGROUND_WINDOW_BLOCKS,
  );
});

test('the window keeps added on-demand latency within budget unless clamped to the minimum', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 500 }),
      fc.integer({ min: 100_000, max: 1_000_000_000 }),
      (budgetMs, linkBytesPerSec) => {
        const cfg: PriorityConfig = {
          ...DEFAULT_PRIORITY_CONFIG,
          maxAddedOnDemandLatencyMs: budgetMs,
          linkBytesPerSec,
        };
        const w = backgroundWindowBlocks(idle, cfg);
        if (!(Number.isInteger(w) && w >= cfg.minWindowBlocks && w <= cfg.maxWindowBlocks)) return false;
        const addedMs = (w * cfg.blockBytes * 1000) / linkBytesPerSec;
        return w === cfg.minWindowBlocks || addedMs <= budgetMs + 1e-9;
      },
    ),
  );
  t.pass();
});
