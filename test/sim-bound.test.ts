import test from 'ava';
import { runModel } from '../sim/run-model.ts';
import type { ScenarioInput } from '../sim/scenario.ts';
import { near, variant } from './sim-helpers.ts';

const MB = 1_000_000;

/** One batch of two 5 MB images (F = 10 MB) to N printers; everything else from the club scenario. */
function oneBatch(raw: ScenarioInput, printers: number): void {
  raw.durationS = 3600;
  raw.venue.printers = [{ count: printers, model: 'dnp-ds620' }];
  raw.event = {
    uploads: { kind: 'explicit', batches: [{ atS: 10, images: 2 }] },
    imageSizeBytes: { kind: 'fixed', value: 5 * MB },
  };
  raw.orders = { kind: 'explicit', list: [] };
}

test('Kumar–Ross per batch, WAN-bound: F/u_s = 10 MB / 1.25 MB/s = 8 s', (t) => {
  // 4 printers with 100 Mb/s ports (12.5 MB/s), WAN 10 Mb/s (1.25 MB/s):
  // F/u_s = 8 s, F/d_min = 0.8 s, N·F/(u_s + Σu) = 40 / 51.25 = 0.78 s → 8 s.
  const s = variant('club', (raw) => {
    oneBatch(raw, 4);
    raw.venue.lan = { kind: 'switched', portUpMbps: 100, portDownMbps: 100 };
    raw.venue.wan = { bandwidthMbps: 10, rttMs: 20 };
  });
  const run = runModel(s, 'mesh', 1);
  t.is(run.batches.length, 1);
  t.is(run.batches[0]!.bytes, 10 * MB);
  t.true(near(run.batches[0]!.boundSeconds, 8));
});

test('Kumar–Ross per batch, upload-bound: N·F/(u_s + Σu_i) dominates', (t) => {
  // 100 printers uploading 1 Mb/s (0.125 MB/s), downloading 1000 Mb/s, WAN 10 Mb/s (1.25 MB/s), F = 10 MB:
  // F/u_s = 8 s, F/d_min = 0.08 s, N·F/(u_s + Σu) = 1000 / (1.25 + 12.5) = 72.727… s.
  const s = variant('club', (raw) => {
    oneBatch(raw, 100);
    raw.venue.lan = { kind: 'switched', portUpMbps: 1, portDownMbps: 1000 };
    raw.venue.wan = { bandwidthMbps: 10, rttMs: 20 };
  });
  const run = runModel(s, 'star-periodic', 1);
  t.true(near(run.batches[0]!.boundSeconds, 1000 / 13.75));
});

test('shared medium: N·F/C joins the bound (and wins here)', (t) => {
  // 4 printers on a 20 Mb/s channel (2.5 MB/s), WAN 10 Mb/s: Kumar–Ross = max(8, 4, 40/11.25) = 8 s;
  // N·F/C = 40 / 2.5 = 16 s → 16 s.
  const s = variant('club', (raw) => {
    oneBatch(raw, 4);
    raw.venue.lan = { kind: 'shared', capacityMbps: 20, airtimeFactor: 2 };
    raw.venue.wan = { bandwidthMbps: 10, rttMs: 20 };
  });
  const run = runModel(s, 'mesh', 1);
  t.true(near(run.batches[0]!.boundSeconds, 16));
});

for (const name of ['club', 'wifi-shared', 'arena'] as const) {
  test(`no strategy beats the bound (${name})`, (t) => {
    const s = variant(name, (raw) => {
      raw.orders = { kind: 'explicit', list: [] };
    });
    for (const strategy of ['star-periodic', 'mesh'] as const) {
      const run = runModel(s, strategy, 1);
      let complete = 0;
      for (const b of run.batches) {
        if (b.completeSeconds === null) continue;
        complete++;
        t.true(b.completeSeconds >= b.boundSeconds * (1 - 1e-9), `${strategy} batch ${b.batch}`);
      }
      t.true(complete > 0, `${strategy} completed some batches`);
    }
  });
}
