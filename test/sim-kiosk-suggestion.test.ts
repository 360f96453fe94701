import test from 'ava';
import { SUGGEST_LONG_QUEUE_SECONDS, SUGGEST_MIN_SAVING_SECONDS } from '../shared/policy/queue-routing.ts';
import { runEmulation } from '../sim/emulation/run-emulation.ts';
import { runModel } from '../sim/run-model.ts';
import { type Scenario, validateScenario } from '../sim/scenario.ts';
import type { TraceEvent } from '../sim/strategies/strategy.ts';
import { variant } from './sim-helpers.ts';

const PRINT_S = 12;
const FANS = 8;
const AT_S = 100;

/**
 * Two stations; eight fans arrive at once at station 0 (their seats are there: a Zipf exponent this
 * steep puts every seat at printer 0), each with one photo local everywhere by then.
 */
function rush(kioskSuggestion?: { follow: number; walkS: number }): Scenario {
  return validateScenario(
    {
      schemaVersion: 1,
      name: 'kiosk-rush',
      seed: 1,
      durationS: 600,
      venue: {
        printerModels: { dye: { printSeconds: PRINT_S } },
        printers: [{ count: 2, model: 'dye' }],
        lan: { kind: 'switched', portUpMbps: 1000, portDownMbps: 1000, rttMs: 1 },
        wan: { bandwidthMbps: 100, rttMs: 30 },
      },
      event: {
        uploads: { kind: 'explicit', batches: [{ atS: 0, images: 1 }] },
        imageSizeBytes: { kind: 'fixed', value: 100_000 },
      },
      orders: {
        kind: 'explicit',
        list: Array.from({ length: FANS }, () => ({ purchaseAtS: 10, images: [0], redeemAtS: AT_S })),
      },
      redemption: {
        delayS: { kind: 'fixed', value: 0 },
        choice: 'nearest',
        hotspotSkew: 60,
        ...(kioskSuggestion ? { kioskSuggestion } : {}),
      },
      strategies: {},
      output: { sampleIntervalS: 60 },
    },
    'kiosk-rush',
  );
}

test('the kiosk sends fans on once its queue is long and the walk saves enough; their wait counts the walk', (t) => {
  const walkS = 10;
  const events: TraceEvent[] = [];
  const run = runModel(rush({ follow: 1, walkS }), 'mesh', 1, { trace: (e) => events.push(e) });
  // Fan k (0-based) at station 0 is done after (k + 1) × 12 s. The other station, empty, offers
  // walk + 12 = 22 s: worth it once the queue here is long (≥ 45 s) and the saving ≥ 30 s, i.e. from
  // the fifth fan (60 − 22 = 38; the fourth saves only 48 − 22 = 26). Fans on their way do not show
  // in the other station's queue, so every later fan is sent too.
  t.is(SUGGEST_LONG_QUEUE_SECONDS, 45);
  t.is(SUGGEST_MIN_SAVING_SECONDS, 30);
  const stayers = 4;
  t.is(run.kioskWalks, FANS - stayers);
  const redeems = events.filter((e) => e.kind === 'redeem');
  t.deepEqual(
    redeems.filter((e) => e.printer === 0).map((e) => e.t),
    Array(stayers).fill(AT_S),
  );
  t.deepEqual(
    redeems.filter((e) => e.printer === 1).map((e) => e.t),
    Array(FANS - stayers).fill(AT_S + walkS),
  );
  // Waits from the arrival at the first kiosk: 12, 24, 36, 48 there; walk + 12, 24, 36, 48 here.
  t.is(run.fanWaitSeconds.count, FANS);
  t.is(run.fanWaitSeconds.max, walkS + (FANS - stayers) * PRINT_S);
  t.is(run.fanWaitSeconds.mean, (12 + 24 + 36 + 48 + (walkS + 12) + (walkS + 24) + (walkS + 36) + (walkS + 48)) / FANS);
  t.is(run.redemptions, FANS, 'a walk is not a scan');
});

test('fans who ignore the kiosk, and a walk that costs more than it saves, leave the run as it was', (t) => {
  const without = runModel(rush(), 'mesh', 1);
  t.is(without.kioskWalks, undefined);
  t.is(without.fanWaitSeconds.max, FANS * PRINT_S, 'everyone queued at station 0');
  for (const ks of [
    { follow: 0, walkS: 10 },
    { follow: 1, walkS: FANS * PRINT_S },
  ]) {
    const run = runModel(rush(ks), 'mesh', 1);
    t.is(run.kioskWalks, 0);
    t.deepEqual(run.fanWaitSeconds, without.fanWaitSeconds);
  }
});

test('a share of fans follows: fewer walk than when all follow, and the p99 wait falls when all do', (t) => {
  const base = variant('club', (raw) => {
    raw.redemption.hotspotSkew = 3;
  });
  const half = variant('club', (raw) => {
    raw.redemption.hotspotSkew = 3;
    raw.redemption.kioskSuggestion = { follow: 0.5, walkS: 60 };
  });
  const all = variant('club', (raw) => {
    raw.redemption.hotspotSkew = 3;
    raw.redemption.kioskSuggestion = { follow: 1, walkS: 60 };
  });
  const runs = [base, half, all].map((s) => runModel(s, 'mesh', 1));
  const [none, some, every] = runs as [(typeof runs)[0], (typeof runs)[0], (typeof runs)[0]];
  t.true(some.kioskWalks! > 0, `${some.kioskWalks}`);
  t.true(every.kioskWalks! > some.kioskWalks!, `${every.kioskWalks} vs ${some.kioskWalks}`);
  t.true(
    every.fanWaitSeconds.p99 < none.fanWaitSeconds.p99,
    `${every.fanWaitSeconds.p99} vs ${none.fanWaitSeconds.p99}`,
  );
  for (const run of runs) t.is(run.fanWaitSeconds.count + run.failedRedemptions, run.redemptions);
});

test('a scenario that routes fans to the shortest queue cannot also send them on from the kiosk', (t) => {
  t.throws(
    () =>
      variant('club', (raw) => {
        raw.redemption.choice = 'shortest-queue';
        raw.redemption.kioskSuggestion = { follow: 1, walkS: 0 };
      }),
    { message: /redemption\.kioskSuggestion: fans sent to the shortest queue/ },
  );
});

test('emulation refuses a scenario with kiosk suggestions, naming the field', async (t) => {
  const err = await t.throwsAsync(runEmulation(rush({ follow: 1, walkS: 10 }), { timeCompression: 1, maxPrinters: 2 }));
  t.regex(err!.message, /redemption\.kioskSuggestion/);
});

test('the scenario checks the share', (t) => {
  t.throws(() => rush({ follow: 1.5, walkS: 10 }), { message: /kioskSuggestion\.follow/ });
  t.throws(() => rush({ follow: 0.5, walkS: -1 }), { message: /kioskSuggestion\.walkS/ });
});
