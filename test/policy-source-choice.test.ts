import test from 'ava';
import fc from 'fast-check';
import {
  chooseSource,
  DEFAULT_SOURCE_CONFIG,
  type SourceConfig,
  type SourceInput,
} from '../shared/policy/source-choice.ts';

const base: SourceInput = {
  priority: 'background',
  lanHolders: 0,
  lanPeersConnected: 3,
  ownedByMe: false,
  waitedMs: 0,
  cloudReachable: true,
};

test('the default deadlines', (t) => {
  t.is(DEFAULT_SOURCE_CONFIG.onDemandLanDeadlineMs, 1500);
  t.is(DEFAULT_SOURCE_CONFIG.backgroundLanDeadlineMs, 120_000);
});

test('LAN first whenever a LAN peer holds it, even for own chunks and with the cloud down', (t) => {
  for (const priority of ['on_demand', 'background'] as const) {
    t.deepEqual(chooseSource({ ...base, priority, lanHolders: 1, ownedByMe: true }), { source: 'lan' });
    t.deepEqual(chooseSource({ ...base, priority, lanHolders: 2, cloudReachable: false, waitedMs: 1e9 }), {
      source: 'lan',
    });
  }
});

test('on demand: straight to the cloud when no LAN peer is connected', (t) => {
  t.deepEqual(chooseSource({ ...base, priority: 'on_demand', lanPeersConnected: 0 }), { source: 'cloud' });
});

test('on demand: waits for the LAN up to the deadline, then the cloud', (t) => {
  const i = { ...base, priority: 'on_demand' as const };
  t.deepEqual(chooseSource({ ...i, waitedMs: 0 }), { source: 'wait', retryInMs: 1500 });
  t.deepEqual(chooseSource({ ...i, waitedMs: 1000 }), { source: 'wait', retryInMs: 500 });
  t.deepEqual(chooseSource({ ...i, waitedMs: 1500 }), { source: 'cloud' });
  // Nobody else pulls my chunk from the cloud, so a fan should not wait for it.
  t.deepEqual(chooseSource({ ...i, ownedByMe: true }), { source: 'cloud' });
});

test('background: own chunks from the cloud, others wait for the owner until the deadline', (t) => {
  t.deepEqual(chooseSource({ ...base, ownedByMe: true }), { source: 'cloud' });
  t.deepEqual(chooseSource({ ...base, waitedMs: 20_000 }), { source: 'wait', retryInMs: 100_000 });
  t.deepEqual(chooseSource({ ...base, waitedMs: 120_000 }), { source: 'cloud' });
  // Alone on the LAN with a stale map: still bounded by the deadline, not an instant cloud pull.
  t.deepEqual(chooseSource({ ...base, lanPeersConnected: 0, waitedMs: 0 }), { source: 'wait', retryInMs: 120_000 });
});

test('cloud unreachable: wait and retry', (t) => {
  const cfg: SourceConfig = { ...DEFAULT_SOURCE_CONFIG, unreachableCloudRetryMs: 700 };
  t.deepEqual(chooseSource({ ...base, ownedByMe: true, cloudReachable: false }, cfg), {
    source: 'wait',
    retryInMs: 700,
  });
  t.deepEqual(chooseSource({ ...base, priority: 'on_demand', lanPeersConnected: 0, cloudReachable: false }, cfg), {
    source: 'wait',
    retryInMs: 700,
  });
});

test('a custom config is honoured', (t) => {
  const cfg: SourceConfig = { onDemandLanDeadlineMs: 200, backgroundLanDeadlineMs: 1000, unreachableCloudRetryMs: 50 };
  t.deepEqual(chooseSource({ ...base, priority: 'on_demand', waitedMs: 150 }, cfg), { source: 'wait', retryInMs: 50 });
  t.deepEqual(chooseSource({ ...base, waitedMs: 1000 }, cfg), { source: 'cloud' });
});

const inputArb: fc.Arbitrary<SourceInput> = fc.record({
  priority: fc.constantFrom('on_demand' as const, 'background' as const),
  lanHolders: fc.integer({ min: 0, max: 5 }),
  lanPeersConnected: fc.integer({ min: 0, max: 5 }),
  ownedByMe: fc.boolean(),
  waitedMs: fc.integer({ min: -10, max: 300_000 }),
  cloudReachable: fc.boolean(),
});

test('invariants over all inputs', (t) => {
  const cfg = DEFAULT_SOURCE_CONFIG;
  fc.assert(
    fc.property(inputArb, (i) => {
      const d = chooseSource(i);
      if (i.lanHolders === 0 && d.source === 'lan') return false;
      if (i.lanHolders > 0 && d.source !== 'lan') return false;
      if (!i.cloudReachable && d.source === 'cloud') return false;
      // The strict limit on going back to source.
      if (
        i.priority === 'background' &&
        !i.ownedByMe &&
        i.lanPeersConnected > 0 &&
        i.waitedMs < cfg.backgroundLanDeadlineMs &&
        d.source === 'cloud'
      ) {
        return false;
      }
      // A fan never waits past the deadline when the cloud can serve.
      if (
        i.priority === 'on_demand' &&
        i.cloudReachable &&
        i.waitedMs >= cfg.onDemandLanDeadlineMs &&
        d.source === 'wait'
      ) {
        return false;
      }
      if (d.source === 'wait') {
        if (!(Number.isInteger(d.retryInMs) && d.retryInMs >= 1)) return false;
        // Re-checking after retryInMs never lands before the deadline it waits for.
        if (i.cloudReachable) {
          const deadline = i.priority === 'on_demand' ? cfg.onDemandLanDeadlineMs : cfg.backgroundLanDeadlineMs;
          if (Math.max(0, i.waitedMs) + d.retryInMs < deadline) return false;
          if (chooseSource({ ...i, waitedMs: Math.max(0, i.waitedMs) + d.retryInMs }).source !== 'cloud') return false;
        }
      }
      return true;
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('backgroundWaitedMs: the LAN deadline clock stops while the cloud is down and restarts with venue progress', async (t) => {
  const { backgroundWaitedMs } = await import('../shared/policy/source-choice.ts');
  t.is(backgroundWaitedMs(1_000, 0, 0, 61_000), 60_000, 'plain wait since the photo was first wanted');
  t.is(backgroundWaitedMs(1_000, null, 0, 61_000), 0, 'cloud unreachable: nobody could have delivered');
  t.is(backgroundWaitedMs(1_000, 50_000, 0, 61_000), 11_000, 'counted from when the cloud came back');
  t.is(backgroundWaitedMs(1_000, 0, 58_000, 61_000), 3_000, 'the venue was still receiving its owners’ pulls');
  t.is(backgroundWaitedMs(70_000, 0, 0, 61_000), 0, 'never negative');
});
